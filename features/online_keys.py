"""Feast's online entity keys, built without protobuf: `serialize_entity_key` (v3) of int64 join keys.

The constant bytes (key count, join-key names, value type and length) are taken once from Feast's own
`serialize_entity_key` on a template key, so the layout stays Feast's; per key only the int64 values
are packed. Redis appends the project name to the key; SQLite uses the bytes as they are.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

from feast.infra.key_encoding_utils import serialize_entity_key
from feast.protos.feast.types.EntityKey_pb2 import EntityKey
from feast.protos.feast.types.Value_pb2 import Value

_Q = struct.Struct("<q")


class KeyCodec:
    """Serialized entity keys for one set of int64 join keys (e.g. ("user_id", "author_id"))."""

    def __init__(self, join_keys: Sequence[str], suffix: bytes = b"") -> None:
        self.join_keys = tuple(join_keys)
        self.order = sorted(range(len(join_keys)), key=lambda i: join_keys[i])  # Feast sorts by name
        template = serialize_entity_key(
            EntityKey(join_keys=list(join_keys), entity_values=[Value(int64_val=0) for _ in join_keys]),
            entity_key_serialization_version=3,
        )
        n = len(join_keys)
        self.prefix = template[: len(template) - 16 * n]
        self.value_head = template[len(template) - 16 : len(template) - 8]  # value type + length
        self.suffix = suffix

    def one(self, *values: int) -> bytes:
        parts = [self.prefix]
        for i in self.order:
            parts.append(self.value_head)
            parts.append(_Q.pack(int(values[i])))
        parts.append(self.suffix)
        return b"".join(parts)

    def many(self, *columns: Sequence[int]) -> list[bytes]:
        if len(self.join_keys) == 1:
            head, suffix, pack = self.prefix + self.value_head, self.suffix, _Q.pack
            return [head + pack(v) + suffix for v in columns[0]]
        return [self.one(*values) for values in zip(*columns, strict=True)]
