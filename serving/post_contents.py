"""`PostContents`: what a post shows that never changes once it exists (media variants, hashtags), by post id.

A post, its media and its hashtags are written in one transaction and never edited (media variants
are rendered before the post that uses them), so once a reader sees a post, its contents are final:
`PostContents` keeps them presented, per process, for the most recently shown `capacity` posts.
A feed page then reads them only for posts it has not shown lately: the two queries and the
presenting were a fifth of a cached feed page. Deleted posts need no invalidation: the visibility
check before every page drops them, and whatever else reads a post checks it is live first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy.orm import Session

from serving.attachments import media_attachment
from serving.schemas.attachments import MediaAttachment
from social_core import posts
from social_core.types import PostId


@dataclass(frozen=True)
class PostContent:
    media: tuple[MediaAttachment, ...]  # in the post's order
    hashtags: tuple[str, ...]


ContentsReader = Callable[[Session, Sequence[PostId]], dict[PostId, PostContent]]  # post ids -> their contents


def read_contents(session: Session, post_ids: Sequence[PostId]) -> dict[PostId, PostContent]:
    """Straight from the database: two queries for any number of posts."""
    return {
        post_id: PostContent(tuple(media_attachment(m) for m in media), tuple(tags))
        for post_id, (media, tags) in posts.post_details(session, post_ids).items()
    }


class PostContents:
    """`read_contents` behind a per-process LRU of `capacity` posts (about 1.5 KB each), safe across threads."""

    def __init__(self, capacity: int = 20_000) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self.capacity = capacity
        self._kept: OrderedDict[PostId, PostContent] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, session: Session, post_ids: Sequence[PostId]) -> dict[PostId, PostContent]:
        found: dict[PostId, PostContent] = {}
        with self._lock:
            for post_id in post_ids:
                content = self._kept.get(post_id)
                if content is not None:
                    self._kept.move_to_end(post_id)
                    found[post_id] = content
        missing = [p for p in post_ids if p not in found]
        if missing:
            read = read_contents(session, missing)
            found |= read
            with self._lock:
                self._kept.update(read)
                while len(self._kept) > self.capacity:
                    self._kept.popitem(last=False)
        return found

    def __len__(self) -> int:
        return len(self._kept)
