"""Load interaction logs (a generic CSV or MovieLens ratings.csv) into one canonical frame.

The canonical frame has columns ``user_id``, ``item_id``, ``timestamp`` (UTC datetimes) and,
when the source has one, ``rating`` or ``weight``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pandas as pd

DataFormat = Literal["csv", "movielens"]
FORMATS: tuple[DataFormat, ...] = ("csv", "movielens")

REQUIRED_COLUMNS = ("user_id", "item_id", "timestamp")
OPTIONAL_COLUMNS = ("rating", "weight")
MOVIELENS_COLUMNS = {"userId": "user_id", "movieId": "item_id", "rating": "rating", "timestamp": "timestamp"}


class DatasetError(ValueError):
    """An interactions file that cannot be evaluated; the message is one line for the user."""


def load_interactions(path: Path, data_format: DataFormat = "csv") -> pd.DataFrame:
    """Read ``path`` and return the canonical interactions frame, or raise `DatasetError`."""
    if data_format not in FORMATS:
        raise DatasetError(f"unknown format {data_format!r}; expected one of {', '.join(FORMATS)}")
    raw = read_csv_file(path)
    if data_format == "movielens":
        require_columns(raw, tuple(MOVIELENS_COLUMNS), path)
        raw = raw.rename(columns=MOVIELENS_COLUMNS)
    require_columns(raw, REQUIRED_COLUMNS, path)
    return to_canonical(raw, source=str(path))


def to_canonical(raw: pd.DataFrame, source: str = "interactions") -> pd.DataFrame:
    """Validate and normalise a frame that already has the canonical column names."""
    require_columns(raw, REQUIRED_COLUMNS, source)
    if raw.empty:
        raise DatasetError(f"{source}: no interactions (the file has a header but no rows)")
    columns = [*REQUIRED_COLUMNS, *(c for c in OPTIONAL_COLUMNS if c in raw.columns)]
    frame = raw.loc[:, columns].copy()
    for column in ("user_id", "item_id"):
        if frame[column].isna().any():
            raise DatasetError(f"{source}: column {column!r} has empty values")
        if not pd.api.types.is_numeric_dtype(frame[column]):
            frame[column] = frame[column].astype(str)
    frame["timestamp"] = parse_timestamps(frame["timestamp"], source)
    for column in OPTIONAL_COLUMNS:
        if column in frame.columns:
            frame[column] = _numeric(frame[column], column, source)
    return frame.reset_index(drop=True)


def parse_timestamps(values: pd.Series, source: str = "interactions") -> pd.Series:
    """Integer epoch seconds or ISO-8601 strings → UTC datetimes; anything else is an error."""
    numeric = pd.to_numeric(values, errors="coerce")
    if numeric.notna().all():
        if not (numeric == numeric.round()).all():
            raise DatasetError(f"{source}: timestamps must be integer epoch seconds or ISO-8601")
        try:
            return pd.to_datetime(numeric.astype("int64"), unit="s", utc=True)
        except (OverflowError, pd.errors.OutOfBoundsDatetime):
            raise DatasetError(f"{source}: epoch timestamps out of range (expected seconds)") from None
    try:
        return pd.to_datetime(values.astype(str), format="ISO8601", utc=True)
    except (ValueError, TypeError, OverflowError):
        bad = values[numeric.isna()].iloc[0]
        raise DatasetError(
            f"{source}: unparsable timestamp {str(bad)!r} (expected integer epoch seconds or ISO-8601)"
        ) from None


def read_csv_file(path: Path) -> pd.DataFrame:
    """Read a CSV file, turning every way it can fail into one-line `DatasetError`s."""
    if not path.is_file():
        raise DatasetError(f"{path}: no such file")
    try:
        return pd.read_csv(path)
    except pd.errors.EmptyDataError:
        raise DatasetError(f"{path}: the file is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise DatasetError(f"{path}: not a readable CSV ({first_line})") from None


def require_columns(frame: pd.DataFrame, columns: tuple[str, ...], source: object) -> None:
    """Raise `DatasetError` naming the missing ones of `columns` (and the columns found)."""
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        found = ", ".join(map(str, frame.columns)) or "none"
        raise DatasetError(f"{source}: missing column(s) {', '.join(missing)} (found: {found})")


def _numeric(values: pd.Series, column: str, source: str) -> pd.Series:
    numeric = pd.to_numeric(values, errors="coerce")
    if numeric.isna().any():
        raise DatasetError(f"{source}: column {column!r} has non-numeric or empty values")
    return numeric.astype("float64")
