"""Map a validated `Dataset` onto the product's tables, in memory: who, which posts, which likes.

Times are int64 microseconds since the Unix epoch (UTC) throughout; users and posts are referred
to by their position in `ImportPlan.users` / `ImportPlan.posts` until the writer knows user ids.

- every external user becomes an account `u{id}` (see `username_for`), created one `LEAD` before it
  first appears (users only known from an untimed follow: one `LEAD` before the dataset starts);
- every item becomes a post of the dataset's catalogue account `catalog.{dataset}`, created one
  `LEAD` before its first interaction (items nobody touched: one `LEAD` before the dataset starts),
  captioned with its title and its tags as hashtags;
- the earliest positive interaction of each (user, item) becomes a like; every other interaction
  a view, so that each row of the file is exactly one like or one view;
- untimed follows are dated when the later of their two accounts was created.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd

from social_core import text
from social_core.ids import NODE_BITS, SEQUENCE_BITS, id_for_time
from social_core.posts import MAX_CAPTION
from training.evaluation.data import DatasetError
from training.importing.sources import Dataset

LEAD_US = 1_000_000  # one second
UNIX_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_LOW_BITS = 1 << (NODE_BITS + SEQUENCE_BITS)
_ID_SAFE = re.compile(r"^[a-z0-9._]{1,29}$")


@dataclass(frozen=True)
class ImportPlan:
    """users: key, username, created_us, followers, following.
    posts: key, post_id, caption, hashtags, created_us, like_count (sorted by created_us).
    likes / views: user, post (positions), at_us, value, row (in the file).
    follows: follower, followee (positions), at_us.
    """

    dataset: str
    catalog_username: str
    catalog_created_us: int
    users: pd.DataFrame
    posts: pd.DataFrame
    likes: pd.DataFrame
    views: pd.DataFrame
    follows: pd.DataFrame
    value_name: str | None


def plan_import(dataset: Dataset) -> ImportPlan:
    frame = dataset.interactions.copy()
    frame["at_us"] = to_micros(frame["timestamp"])
    follows = dataset.follows.assign(at_us=to_micros(dataset.follows["timestamp"]))
    start = int(pd.concat([frame["at_us"], follows["at_us"]]).min(skipna=True))
    users = _users(frame, follows, start)
    posts = _posts(frame, dataset, start)
    user_pos = pd.Series(np.arange(len(users)), index=users["key"])
    post_pos = pd.Series(np.arange(len(posts)), index=posts["key"])
    frame["user"] = user_pos.loc[frame["user"]].to_numpy()
    frame["post"] = post_pos.loc[frame["item"]].to_numpy()
    likes, views = _split_likes(frame)
    posts["like_count"] = np.bincount(likes["post"], minlength=len(posts))
    follows = _follows(follows, user_pos, users["created_us"].to_numpy())
    users["followers"] = np.bincount(follows["followee"], minlength=len(users))
    users["following"] = np.bincount(follows["follower"], minlength=len(users))
    return ImportPlan(
        dataset.name,
        f"catalog.{dataset.name}",
        start - 2 * LEAD_US,
        users,
        posts,
        likes,
        views,
        follows,
        dataset.value_name,
    )


def username_for(key: str) -> str:
    """`u` + the id when it is already a valid username, else a readable prefix + a hash of the id.

    Deterministic per id, independent of the other ids, and distinct for distinct ids
    ("Bob" and "bob" give different usernames).
    """
    if _ID_SAFE.match(key):
        return f"u{key}"
    clean = re.sub(r"[^a-z0-9._]+", "_", key.lower())[:20]
    return f"u{clean}.{hashlib.sha1(key.encode()).hexdigest()[:8]}"


def to_micros(timestamps: pd.Series) -> pd.Series:
    """UTC timestamps → int64 microseconds since the Unix epoch (NaT → NaN)."""
    delta = timestamps - pd.Timestamp(0, tz="UTC")
    return delta // pd.Timedelta(microseconds=1)


def to_datetimes(micros: np.ndarray | pd.Series | list[int]) -> list[datetime]:
    return [UNIX_EPOCH + timedelta(microseconds=us) for us in np.asarray(micros, dtype=np.int64).tolist()]


def post_ids(created: list[datetime], dataset: str) -> list[int]:
    """`id_for_time` of each creation time; posts sharing a millisecond get distinct node/sequence bits.

    The count starts at an offset derived from the dataset name, so two datasets imported into one
    database (or the live app, whose node is its pid) rarely meet; the writer checks anyway.
    """
    offset = (zlib.crc32(dataset.encode()) % (1 << NODE_BITS)) << SEQUENCE_BITS
    seen: dict[int, int] = {}
    ids = []
    for at in created:
        ms = int(at.timestamp() * 1000)
        k = seen.get(ms, 0)
        if k >= _LOW_BITS:
            raise DatasetError(f"more than {_LOW_BITS} items first appear in the same millisecond")
        seen[ms] = k + 1
        bits = (offset + k) % _LOW_BITS
        ids.append(id_for_time(at, bits >> SEQUENCE_BITS, bits & ((1 << SEQUENCE_BITS) - 1)))
    return ids


def _users(frame: pd.DataFrame, follows: pd.DataFrame, start: int) -> pd.DataFrame:
    seen = pd.concat(
        [
            frame[["user", "at_us"]].rename(columns={"user": "key"}),
            follows[["follower", "at_us"]].rename(columns={"follower": "key"}),
            follows[["followee", "at_us"]].rename(columns={"followee": "key"}),
        ]
    )
    first = seen.groupby("key", sort=False)["at_us"].min().fillna(start)
    users = pd.DataFrame({"key": _natural_order(first.index)})
    users["created_us"] = first.loc[users["key"]].to_numpy().astype(np.int64) - LEAD_US
    users["username"] = [username_for(key) for key in users["key"]]
    clash = users["username"][users["username"].duplicated()]
    if not clash.empty:
        raise DatasetError(f"two user ids map to the username {clash.iloc[0]!r}")
    return users


def _posts(frame: pd.DataFrame, dataset: Dataset, start: int) -> pd.DataFrame:
    first = frame.groupby("item", sort=False)["at_us"].min()
    if dataset.items is not None:
        catalogue = dataset.items.set_index("item")
    else:
        catalogue = pd.DataFrame({"title": "", "tags": [[] for _ in first.index]}, index=first.index)
    posts = pd.DataFrame({"key": catalogue.index.astype(str)})
    posts["created_us"] = first.reindex(posts["key"]).fillna(start).to_numpy().astype(np.int64) - LEAD_US
    posts["caption"] = [
        _caption(title, tags) for title, tags in zip(catalogue["title"], catalogue["tags"], strict=True)
    ]
    posts = posts.sort_values(["created_us", "key"], kind="stable").reset_index(drop=True)
    posts["hashtags"] = [text.hashtags(caption) for caption in posts["caption"]]
    posts["post_id"] = post_ids(to_datetimes(posts["created_us"]), dataset.name)
    return posts


def _caption(title: str, tags: list[str]) -> str:
    suffix = " ".join(f"#{tag}" for tag in tags)
    room = MAX_CAPTION - len(suffix) - 1
    return " ".join(part for part in (title.strip()[: max(room, 0)], suffix) if part)[:MAX_CAPTION]


def _split_likes(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The earliest positive interaction per (user, item) is a like; the rest are views."""
    ordered = frame.sort_values("at_us", kind="stable")
    positive = ordered["positive"].to_numpy()
    repeat = np.zeros(len(ordered), dtype=bool)
    repeat[positive] = ordered.loc[positive, ["user", "post"]].duplicated().to_numpy()
    is_like = positive & ~repeat
    ordered = ordered.assign(row=ordered.index)  # the file's order breaks ties in the outbox
    columns = ["user", "post", "at_us", "value", "row"]
    return (
        ordered.loc[is_like, columns].reset_index(drop=True),
        ordered.loc[~is_like, columns].reset_index(drop=True),
    )


def _follows(follows: pd.DataFrame, user_pos: pd.Series, created_us: np.ndarray) -> pd.DataFrame:
    follower = user_pos.loc[follows["follower"]].to_numpy()
    followee = user_pos.loc[follows["followee"]].to_numpy()
    both_exist = np.maximum(created_us[follower], created_us[followee]) if len(follows) else np.empty(0, np.int64)
    at_us = follows["at_us"].fillna(pd.Series(both_exist, index=follows.index)).to_numpy().astype(np.int64)
    frame = pd.DataFrame({"follower": follower.astype(np.int64), "followee": followee.astype(np.int64), "at_us": at_us})
    return frame.sort_values("at_us", kind="stable").reset_index(drop=True)


def _natural_order(keys: pd.Index) -> list[str]:
    """Numeric ids in numeric order, then the others alphabetically: user ids follow the file's ids."""
    numeric = pd.to_numeric(pd.Series(keys), errors="coerce")
    order = pd.DataFrame({"key": keys, "n": numeric.to_numpy()}).sort_values(["n", "key"], na_position="last")
    return [str(key) for key in order["key"]]
