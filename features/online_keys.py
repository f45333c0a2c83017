"""Feast's online entity keys, built without protobuf: `serialize_entity_key` (v3) of int64 join keys.

The constant bytes (key count, join-key names, value types and lengths) are taken once from Feast's
own `serialize_entity_key` on a template key, so the layout stays Feast's; per key only the int64
values change. `matrix` builds a whole batch as one uint8 array (one row per key, every key of a
codec has the same length) with numpy, no Python work per key. Redis appends the project name to
the key; SQLite uses the bytes as they are.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from feast.infra.key_encoding_utils import serialize_entity_key
from feast.protos.feast.types.EntityKey_pb2 import EntityKey
from feast.protos.feast.types.Value_pb2 import Value


class KeyCodec:
    """Serialized entity keys for one set of int64 join keys (e.g. ("user_id", "author_id"))."""

    def __init__(self, join_keys: Sequence[str], suffix: bytes = b"") -> None:
        self.join_keys = tuple(join_keys)
        template = serialize_entity_key(
            EntityKey(join_keys=list(join_keys), entity_values=[Value(int64_val=0) for _ in join_keys]),
            entity_key_serialization_version=3,
        )
        n = len(join_keys)
        head = len(template) - 16 * n  # then per key, in name order: value type + length (8 bytes), int64
        order = sorted(range(n), key=lambda i: join_keys[i])  # Feast sorts the keys by name
        # Byte offset of each join key's int64 (in the order the join keys were given).
        self.offsets = [0] * n
        for slot, i in enumerate(order):
            self.offsets[i] = head + 16 * slot + 8
        self.template = np.frombuffer(template + suffix, dtype=np.uint8)
        self.width = len(self.template)

    def matrix(self, values: np.ndarray) -> np.ndarray:
        """(n × join keys) int64 values → (n × width) uint8, one serialized key per row."""
        values = np.asarray(values, dtype="<i8").reshape(-1, len(self.join_keys))
        out = np.tile(self.template, (len(values), 1))
        for column, offset in enumerate(self.offsets):
            out[:, offset : offset + 8] = np.ascontiguousarray(values[:, column]).view(np.uint8).reshape(-1, 8)
        return out

    def one(self, *values: int) -> bytes:
        return self.matrix(np.array([values], dtype=np.int64)).tobytes()

    def many(self, *columns: Sequence[int]) -> list[bytes]:
        rows = self.matrix(np.column_stack([np.asarray(c, dtype=np.int64) for c in columns]))
        return [row.tobytes() for row in rows]
