"""Read and validate every file of an import before anything is written.

Parsing and the interactions checks are `training.evaluation.data`'s; this module adds the follow
graph, the item catalogue and the checks an import needs on top (unknown items, id ranges).
External ids are normalised to strings (`1`, `1.0` and `"1"` are the same id) so that the three
files join on them whatever dtype pandas gave each column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from social_core.ids import EPOCH_MS, TIME_BITS
from training.evaluation.data import (
    DataFormat,
    DatasetError,
    load_interactions,
    parse_timestamps,
    read_csv_file,
    require_columns,
)

MAX_NAME = 22  # "catalog." + name must fit a 30-character username
MOVIELENS_ITEMS = {"movieId": "item_id", "title": "title", "genres": "tags"}
MOVIELENS_NO_GENRES = "(no genres listed)"
# Post ids hold milliseconds since EPOCH_MS in TIME_BITS bits: keep them positive and in range.
_ID_SPAN_MS = 1 << TIME_BITS
EARLIEST = pd.Timestamp(EPOCH_MS + 60_000, unit="ms", tz="UTC")
LATEST = pd.Timestamp(EPOCH_MS + _ID_SPAN_MS - 60_000, unit="ms", tz="UTC")


@dataclass(frozen=True)
class Dataset:
    """The validated content of an import's files.

    interactions: user, item (str), timestamp (UTC), value (float or NaN), positive (bool), in file order.
    follows: follower, followee (str), timestamp (UTC or NaT), one row per distinct pair.
    items: item (str), title (str), tags (list of str); None when no catalogue was given.
    """

    name: str
    interactions: pd.DataFrame
    value_name: str | None  # "rating", "weight", or None when the file has neither
    follows: pd.DataFrame
    items: pd.DataFrame | None


def load_dataset(
    interactions_path: Path,
    follows_path: Path | None = None,
    items_path: Path | None = None,
    fmt: DataFormat = "csv",
    *,
    name: str | None = None,
    like_threshold: float = 4.0,
) -> Dataset:
    """Read and check all files; raise `DatasetError` (one line) on the first problem."""
    raw = load_interactions(interactions_path, fmt)
    interactions, value_name = _interactions(raw, like_threshold)
    _check_range(interactions["timestamp"], str(interactions_path))
    if fmt == "movielens" and items_path is None and (interactions_path.parent / "movies.csv").is_file():
        items_path = interactions_path.parent / "movies.csv"
    items = None
    if items_path is not None:
        items = load_items(items_path, fmt)
        _check_known_items(interactions["item"], items["item"], items_path)
    follows = _empty_follows() if follows_path is None else load_follows(follows_path)
    return Dataset(dataset_name(interactions_path, fmt, name), interactions, value_name, follows, items)


def dataset_name(interactions_path: Path, fmt: DataFormat, name: str | None = None) -> str:
    """`name`, or the MovieLens folder (ml-latest-small) or the file stem, as `[a-z0-9_]{1,22}`."""
    if name is None:
        name = interactions_path.parent.name if fmt == "movielens" else interactions_path.stem
    clean = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:MAX_NAME].strip("_")
    if not clean:
        raise DatasetError(f"cannot derive a dataset name from {name!r}: give one with letters or digits")
    return clean


def external_ids(values: pd.Series) -> pd.Series:
    """Ids as strings: integral numbers without a decimal point, text stripped."""
    if pd.api.types.is_numeric_dtype(values) and (values == values.round()).all():
        return values.astype("int64").astype(str)
    return values.astype(str).str.strip()


def load_follows(path: Path) -> pd.DataFrame:
    raw = read_csv_file(path)
    require_columns(raw, ("follower_id", "followee_id"), path)
    for column in ("follower_id", "followee_id"):
        if raw[column].isna().any() or (raw[column].astype(str).str.strip() == "").any():
            raise DatasetError(f"{path}: column {column!r} has empty values")
    follows = pd.DataFrame({"follower": external_ids(raw["follower_id"]), "followee": external_ids(raw["followee_id"])})
    follows["timestamp"] = pd.Series(pd.NaT, index=raw.index, dtype="datetime64[ns, UTC]")
    if "timestamp" in raw.columns and not raw.empty:
        follows["timestamp"] = parse_timestamps(raw["timestamp"], str(path))
        _check_range(follows["timestamp"], str(path))
    selfish = follows[follows["follower"] == follows["followee"]]
    if not selfish.empty:
        row = selfish.index[0] + 2  # 1-based, after the header
        raise DatasetError(f"{path}: line {row}: user {selfish['follower'].iloc[0]!r} follows themselves")
    follows = follows.sort_values("timestamp", kind="stable", na_position="last")
    return follows.drop_duplicates(["follower", "followee"]).sort_index().reset_index(drop=True)


def load_items(path: Path, fmt: DataFormat = "csv") -> pd.DataFrame:
    raw = read_csv_file(path)
    if fmt == "movielens":
        require_columns(raw, tuple(MOVIELENS_ITEMS), path)
        raw = raw.rename(columns=MOVIELENS_ITEMS)
    require_columns(raw, ("item_id", "title"), path)
    if raw["item_id"].isna().any():
        raise DatasetError(f"{path}: column 'item_id' has empty values")
    items = pd.DataFrame({"item": external_ids(raw["item_id"]), "title": raw["title"].fillna("").astype(str)})
    duplicated = items["item"][items["item"].duplicated()]
    if not duplicated.empty:
        raise DatasetError(f"{path}: item {duplicated.iloc[0]!r} is listed more than once")
    tags = raw["tags"] if "tags" in raw.columns else pd.Series("", index=raw.index)
    items["tags"] = [split_tags(value, fmt) for value in tags.fillna("").astype(str)]
    return items


def split_tags(value: str, fmt: DataFormat = "csv") -> list[str]:
    """`a|b` (or, in the generic format, `a b`) → distinct hashtag-safe words: `Sci-Fi` → `sci_fi`."""
    if fmt == "movielens" and value.strip() == MOVIELENS_NO_GENRES:
        return []
    parts = value.split("|") if "|" in value or fmt == "movielens" else value.split()
    tags = (re.sub(r"\W+", "_", part.strip().lower()).strip("_")[:100] for part in parts)
    return list(dict.fromkeys(tag for tag in tags if tag))


def _interactions(raw: pd.DataFrame, like_threshold: float) -> tuple[pd.DataFrame, str | None]:
    frame = pd.DataFrame(
        {"user": external_ids(raw["user_id"]), "item": external_ids(raw["item_id"]), "timestamp": raw["timestamp"]}
    )
    for column in ("user", "item"):
        if (frame[column] == "").any():
            raise DatasetError(f"interactions: column '{column}_id' has empty values")
    if "rating" in raw.columns:
        frame["value"], frame["positive"] = raw["rating"], raw["rating"] >= like_threshold
        return frame, "rating"
    if "weight" in raw.columns:
        frame["value"], frame["positive"] = raw["weight"], raw["weight"] > 0
        return frame, "weight"
    frame["value"], frame["positive"] = float("nan"), True  # implicit feedback: every interaction is a like
    return frame, None


def _check_known_items(used: pd.Series, listed: pd.Series, items_path: Path) -> None:
    unknown = pd.Index(used.unique()).difference(pd.Index(listed))
    if len(unknown):
        shown = ", ".join(repr(item) for item in unknown[:5])
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        raise DatasetError(f"interactions refer to {len(unknown)} item(s) not in {items_path}: {shown}{more}")


def _check_range(timestamps: pd.Series, source: str) -> None:
    present = timestamps.dropna()
    if not present.empty and (present.min() < EARLIEST or present.max() > LATEST):
        raise DatasetError(
            f"{source}: timestamps must lie between {EARLIEST:%Y-%m-%d} and {LATEST:%Y-%m-%d} "
            "(post ids encode their time); are they epoch seconds?"
        )


def _empty_follows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "follower": pd.Series(dtype=str),
            "followee": pd.Series(dtype=str),
            "timestamp": pd.Series(dtype="datetime64[ns, UTC]"),
        }
    )
