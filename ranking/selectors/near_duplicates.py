"""`NearDuplicates`: a picture once per page of the home feed, and once in a whole explore list.

Two posts are near-duplicates when their pictures' perceptual hashes differ in at most `max_distance`
of 64 bits (a repost, recompressed or resized); a post without a hash (`NO_PHASH`) is never one.

In the feed, a later copy is deferred, not dropped: reposts there come from accounts the user chose
to follow, so each is a post the user asked for; hiding one would silently lose a friend's post, while
seeing the picture again a page later reads as "they shared it too". Two copies stand at least
`spacing` positions apart, so no page of up to `spacing` items holds both. Copies left when nothing
else remains to put between them are dropped, as author diversity drops a lone author's tail.

In explore (`spacing` None) a later copy is dropped: explore is discovery among strangers, and a
picture the grid already shows is a wasted tile.

Greedy and order-preserving, like author diversity: each position takes the first deferred copy
whose turn has come, else the next candidate that is no copy of one placed within `spacing`. The
first `shuffled_head` positions count as one (the exploration stage that follows may reorder them).
Only the request's `limit` rows are arranged (the pipeline serves no more), or the shuffled head if it
is longer: the exploration stage draws its pool from it.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass

import numpy as np

from features.catalogue import NO_PHASH
from ranking.frame import Frame
from ranking.types import RankingContext
from social_core.media.fingerprint import hamming

NEVER = np.iinfo(np.int64).max


@dataclass(frozen=True)
class NearDuplicatesConfig:
    # Bits of 64: a resized or recompressed copy lands within a few, an unrelated picture near 32, and two
    # simple scenes of one layout (a sky over hills) as close as 8.
    max_distance: int = 6
    feed_spacing: int = 20  # the feed's page: feed positions between two copies of one picture

    def __post_init__(self) -> None:
        if not 0 <= self.max_distance < 32 or self.feed_spacing < 1:
            raise ValueError("near duplicates need 0 <= max_distance < 32 and feed_spacing >= 1")


class NearDuplicates:
    name = "near_duplicates"

    def __init__(self, config: NearDuplicatesConfig | None = None, spacing: int | None = None, shuffled_head: int = 0):
        self.config, self.spacing, self.head = config or NearDuplicatesConfig(), spacing, shuffled_head

    def __call__(self, context: RankingContext, frame: Frame) -> np.ndarray:
        limit = min(len(frame), max(context.request.limit, self.head))  # the exploration draws from `head` rows
        if not self._any_pair(frame.phash[:limit]):
            return np.arange(limit)  # most rankings: nothing to move, and a copy beyond `limit` is never served
        return self._arranged(frame.phash.view(np.uint64), limit)

    def _any_pair(self, hashes: np.ndarray) -> bool:
        hashes = hashes[hashes != NO_PHASH]
        close = hamming(hashes[:, None], hashes[None, :]) <= self.config.max_distance
        return bool(close.sum() > len(hashes))  # the diagonal is each row with itself

    def _arranged(self, hashes: np.ndarray, limit: int) -> np.ndarray:
        pictures = _Pictures(hashes, self.config.max_distance)
        shown: dict[int, int] = {}  # picture → the position its latest copy took
        waiting: list[tuple[int, int]] = []  # (the position its turn comes at, row): deferred copies
        out: list[int] = []
        row = 0
        while len(out) < limit:
            at = max(len(out), self.head - 1)
            pick = self._ready(waiting, pictures, shown, at)
            while pick is None and row < len(hashes):
                turn = self._turn(shown, pictures.of(row))
                if turn <= at:
                    pick = row
                elif turn != NEVER:
                    heapq.heappush(waiting, (turn, row))
                row += 1
            if pick is None:
                break  # only copies of pictures just placed are left
            shown[pictures.of(pick)] = at
            out.append(pick)
        return np.array(out, dtype=np.int64)

    def _ready(self, waiting: list[tuple[int, int]], pictures: _Pictures, shown: dict[int, int], at: int) -> int | None:
        """The deferred copy whose turn has come (a copy placed since may push it further back)."""
        while waiting and waiting[0][0] <= at:
            _, row = heapq.heappop(waiting)
            turn = self._turn(shown, pictures.of(row))
            if turn <= at:
                return row
            heapq.heappush(waiting, (turn, row))
        return None

    def _turn(self, shown: dict[int, int], picture: int) -> int:
        """The first position a copy of `picture` may take: `spacing` after the latest (NEVER: no spacing)."""
        if picture < 0 or picture not in shown:  # no hash, or not shown yet
            return 0
        return NEVER if self.spacing is None else shown[picture] + self.spacing


class _Pictures:
    """Each row's picture, found in blocks as the arrangement reaches them: a post shows the first picture
    (in ranked order) whose first post's hash lies within `max_distance` bits of its own, or is a new one.
    Rows are compared with the pictures found, not with every row before them."""

    BLOCK = 256

    def __init__(self, hashes: np.ndarray, max_distance: int) -> None:
        self.hashes, self.max_distance = hashes, max_distance
        self.first = np.zeros(0, dtype=np.uint64)  # each picture's first hash, by picture id
        self.ids: list[int] = []  # per row so far; -1: no hash, a picture of its own

    def of(self, row: int) -> int:
        while row >= len(self.ids):
            self._block(self.hashes[len(self.ids) : len(self.ids) + self.BLOCK])
        return self.ids[row]

    def _block(self, hashes: np.ndarray) -> None:
        ids = np.full(len(hashes), -1, dtype=np.int64)
        new = np.flatnonzero(hashes != NO_PHASH)
        if len(self.first) and len(new):
            known = self._close(hashes[new], self.first)
            found = known.any(axis=1)
            ids[new[found]] = known[found].argmax(axis=1)
            new = new[~found]
        leads, copy_of = self._leaders(hashes[new])
        ids[new] = len(self.first) + (np.cumsum(leads) - 1)[copy_of]
        self.first = np.concatenate([self.first, hashes[new[leads]]])
        self.ids += ids.tolist()

    def _leaders(self, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Which of these (no known picture's) are new pictures, and the one each shows, in order: a post
        shows the first earlier new picture close to it."""
        lead, copy_of = [True] * len(hashes), list(range(len(hashes)))
        later, earlier = np.nonzero(np.tril(self._close(hashes, hashes), k=-1))  # by `later`, so in order
        for k, j in zip(later.tolist(), earlier.tolist(), strict=True):
            if lead[k] and lead[j]:
                lead[k], copy_of[k] = False, j
        return np.array(lead, dtype=bool), np.array(copy_of, dtype=np.int64)

    def _close(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.asarray(hamming(a[:, None], b[None, :]) <= self.max_distance)
