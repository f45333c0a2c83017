"""Tower inputs: hashed ids and tokens as tensors, and tables of raw per-post / per-user arrays.

Every id goes through a salted 64-bit mix (splitmix64) into a fixed number of buckets, so the
model has fixed-size tables and accepts ids it never saw. Bucket 0 is padding ("nothing"), which the
towers turn into a zero vector: id-dropout and empty history slots use it.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import torch

MEDIA_TYPES = ("none", "image", "video", "carousel")
TOKEN = re.compile(r"[#@]?\w+")
_MASK64 = (1 << 64) - 1


def mix64(values: np.ndarray, salt: int) -> np.ndarray:
    """splitmix64 of ``values ^ salt`` as uint64 (vectorised; wraps like the C original)."""
    x = np.asarray(values).astype(np.uint64) ^ np.uint64(salt & _MASK64)
    with np.errstate(over="ignore"):
        x = x + np.uint64(0x9E3779B97F4A7C15)
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def hash_ids(ids: np.ndarray, buckets: int, salt: int) -> np.ndarray:
    """Ids → buckets 1..buckets-1 (int64); negative ids (padding) → 0."""
    ids = np.asarray(ids, dtype=np.int64)
    hashed = (mix64(ids, salt) % np.uint64(buckets - 1)).astype(np.int64) + 1
    return np.where(ids < 0, 0, hashed)


def token_hash(token: str) -> int:
    """A process-independent hash of a token (Python's `hash` is salted per process)."""
    return zlib.crc32(token.lower().encode("utf-8"))


def caption_tokens(caption: str, hashtags: Iterable[str] = (), max_tokens: int = 16) -> list[int]:
    """Hashtags first (as ``#tag``), then caption words; distinct, at most ``max_tokens`` hashes."""
    words = [f"#{tag.lower().lstrip('#')}" for tag in hashtags] + [w.lower() for w in TOKEN.findall(caption or "")]
    return [token_hash(w) for w in dict.fromkeys(words)][:max_tokens]


def pad_rows(rows: Sequence[Sequence[int]], width: int, fill: int = -1) -> np.ndarray:
    """Ragged int rows → (n, width) int64, truncated or padded with ``fill``."""
    out = np.full((len(rows), width), fill, dtype=np.int64)
    for i, row in enumerate(rows):
        kept = list(row)[:width]
        out[i, : len(kept)] = kept
    return out


@dataclass
class UserInputs:
    """A batch for the user tower: hashed ids (B,), dense features (B, Du), hashed history (B, H)."""

    user_ids: torch.Tensor
    dense: torch.Tensor
    history: torch.Tensor


@dataclass
class PostInputs:
    """A batch for the post tower: hashed post/author ids (B,), hashed tokens (B, T), media type (B,), stats (B, Dp),
    image embeddings (B, Di; zeros for a post without one)."""

    post_ids: torch.Tensor
    author_ids: torch.Tensor
    tokens: torch.Tensor
    media_type: torch.Tensor
    stats: torch.Tensor
    image: torch.Tensor


@dataclass(frozen=True)
class Buckets:
    users: int = 1 << 16
    posts: int = 1 << 18
    authors: int = 1 << 16
    tokens: int = 1 << 15


USER_SALT, POST_SALT, AUTHOR_SALT, TOKEN_SALT = 0x5A17, 0xB0B, 0xA17, 0x70C


@dataclass
class PostTable:
    """Raw content of a set of posts, row-aligned: what the post tower needs, before hashing.

    ``tokens`` holds token hashes padded with -1; ``stats`` any numeric per-post features
    (the post's content stats, `embed.CONTENT_STATS`), zeros when absent; ``image`` the picture's
    embedding (`candidates.images`), zeros when the post has none, no columns when the tower reads none.
    """

    post_ids: np.ndarray  # int64
    author_ids: np.ndarray  # int64
    tokens: np.ndarray  # (n, T) int64, -1 = none
    media_type: np.ndarray  # int64 index into MEDIA_TYPES
    stats: np.ndarray  # (n, Dp) float32
    image: np.ndarray  # (n, Di) float32

    def __len__(self) -> int:
        return len(self.post_ids)

    @classmethod
    def from_ids(cls, post_ids: np.ndarray, n_stats: int = 0, n_tokens: int = 1) -> PostTable:
        """Id-only posts (no author, no content): what an interactions file like MovieLens gives."""
        n = len(post_ids)
        return cls(
            post_ids=np.asarray(post_ids, dtype=np.int64),
            author_ids=np.full(n, -1, dtype=np.int64),
            tokens=np.full((n, n_tokens), -1, dtype=np.int64),
            media_type=np.zeros(n, dtype=np.int64),
            stats=np.zeros((n, n_stats), dtype=np.float32),
            image=np.zeros((n, 0), dtype=np.float32),
        )

    def inputs(self, rows: np.ndarray, buckets: Buckets, drop_ids: np.ndarray | None = None) -> PostInputs:
        """Hash the given rows into a batch; ``drop_ids`` (bool per row) blanks the post id (id-dropout)."""
        post_ids = self.post_ids[rows]
        if drop_ids is not None:
            post_ids = np.where(drop_ids, -1, post_ids)
        tokens = self.tokens[rows]
        token_buckets = (mix64(tokens, TOKEN_SALT) % np.uint64(buckets.tokens - 1)).astype(np.int64) + 1
        return PostInputs(
            post_ids=torch.from_numpy(hash_ids(post_ids, buckets.posts, POST_SALT)),
            author_ids=torch.from_numpy(hash_ids(self.author_ids[rows], buckets.authors, AUTHOR_SALT)),
            tokens=torch.from_numpy(np.where(tokens < 0, 0, token_buckets)),
            media_type=torch.from_numpy(self.media_type[rows]),
            stats=torch.from_numpy(np.ascontiguousarray(self.stats[rows], dtype=np.float32)),
            image=torch.from_numpy(np.ascontiguousarray(self.image[rows], dtype=np.float32)),
        )


def user_inputs(user_ids: np.ndarray, history_post_ids: np.ndarray, dense: np.ndarray, buckets: Buckets) -> UserInputs:
    """A user-tower batch from raw user ids (B,), history post ids (B, H; -1 pad) and dense features (B, Du)."""
    return UserInputs(
        user_ids=torch.from_numpy(hash_ids(user_ids, buckets.users, USER_SALT)),
        dense=torch.from_numpy(np.ascontiguousarray(dense, dtype=np.float32)),
        history=torch.from_numpy(hash_ids(history_post_ids, buckets.posts, POST_SALT)),
    )
