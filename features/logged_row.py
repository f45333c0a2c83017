"""A served feature row as an impression logs it: `{"columns": fingerprint, "float64": base64}`.

Every first-page impression carries the row its item was scored with (`features.skew` compares it
with the training row). Written as binary, a row of 47 float64 is 504 base64 characters, encoded
in a microsecond and exact; as `{name: value}` JSON it was 1.9 kB and the impression writer's largest
cost. The names are not repeated per row: `columns` is a fingerprint of the column list, and the
reader, which holds that list (a feature service's columns), decodes only rows logged under it.
Rows logged as `{name: value}` (before this format) still decode.
"""

from __future__ import annotations

import base64
import hashlib
import math
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import numpy as np


@lru_cache(maxsize=32)
def fingerprint(columns: tuple[str, ...]) -> str:
    return hashlib.sha256("\n".join(columns).encode()).hexdigest()[:16]


def encode(columns: tuple[str, ...], values: np.ndarray) -> dict[str, str]:
    raw = np.ascontiguousarray(values, dtype="<f8").tobytes()
    return {"columns": fingerprint(columns), "float64": base64.b64encode(raw).decode("ascii")}


def decode(logged: Any, columns: Sequence[str]) -> dict[str, float] | None:
    """{column: value} of a logged row, None when there is none or it was logged under other columns."""
    if not isinstance(logged, dict):
        return None
    if "float64" not in logged:  # the {name: value} form: null was a non-finite value
        return {c: (math.nan if v is None else float(v)) for c, v in logged.items()}
    if logged.get("columns") != fingerprint(tuple(columns)):
        return None
    values = np.frombuffer(base64.b64decode(logged["float64"]), dtype="<f8")
    return dict(zip(columns, values.tolist(), strict=True)) if len(values) == len(columns) else None


def decode_rows(logged: Any, columns: Sequence[str]) -> np.ndarray | None:
    """(rows, len(columns)) of an `encode`d matrix (rows flattened in order); None when logged under other
    columns. An exploration logs its whole pool this way."""
    if not isinstance(logged, dict) or logged.get("columns") != fingerprint(tuple(columns)) or "float64" not in logged:
        return None
    values = np.frombuffer(base64.b64decode(logged["float64"]), dtype="<f8")
    width = max(len(columns), 1)
    return values.reshape(-1, width).copy() if len(values) % width == 0 else None
