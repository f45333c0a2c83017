"""What an online read asks for (`ReadRequest`), what answers it (`OnlineReader`), and the decoding
of Feast's value bytes: each value a serialized `Value` proto, which for a Float64 feature is exactly
9 bytes (tag 0x29 + little-endian double), so a whole batch is decoded by one `numpy.frombuffer`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

DOUBLE_TAG = 0x29  # field 5 (double_val), wire type 1 (64-bit)
CELL = 9


@dataclass(frozen=True)
class ReadRequest:
    """The same (view, feature) fields for every key of one entity kind (views of one entity may mix)."""

    keys: np.ndarray  # (n × key width) uint8, Feast's serialized entity keys (`KeyCodec.matrix`)
    fields: tuple[tuple[str, str], ...]  # (view, feature)


class OnlineReader(Protocol):
    key_suffix: bytes  # appended to Feast's serialized entity key (Redis: the project)

    def read_many(self, requests: Sequence[ReadRequest]) -> list[np.ndarray]:
        """One float64 matrix (keys × fields) per request, NaN where the key or the value is absent."""
        ...


def decode_cells(blob: bytes, n_keys: int, n_features: int) -> np.ndarray:
    cells = np.frombuffer(blob, dtype=np.uint8).reshape(n_keys, n_features, CELL)
    values = np.ascontiguousarray(cells[:, :, 1:]).view("<f8")[:, :, 0].astype(np.float64)
    values[cells[:, :, 0] != DOUBLE_TAG] = np.nan
    return values
