"""What one outbox event adds to which online row: `(view, key, {feature: delta})`.

Counters add; every window of a counter gets the same +1 (windows are re-aged by the next batch
build: between two builds a streamed window count is an upper bound, never an undercount).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from features.schema import ENGAGEMENT_TYPES, POST_COUNTED, POST_WINDOWS, USER_COUNTED, USER_WINDOWS

UNDO = {"unlike": "like", "unsave": "save"}
_USER_NAME = {kind: name for name, kind in USER_COUNTED.items()}
_POST_NAME = {kind: name for name, kind in POST_COUNTED.items()}

Delta = tuple[str, tuple[int, ...], dict[str, float]]


def event_deltas(kind: str, actor: int | None, post: int | None, target: int | None) -> Iterator[Delta]:
    sign = -1.0 if kind in UNDO else 1.0
    base = UNDO.get(kind, kind)
    if base in _POST_NAME and post is not None:
        name = _POST_NAME[base]
        yield "post_stats", (post,), {f"post_{name}_{w}": sign for w in ("total", *POST_WINDOWS)}
    if base in ENGAGEMENT_TYPES and post is not None:
        yield "post_stats", (post,), {"_eng": sign}
    if base in _USER_NAME and actor is not None and sign > 0:
        yield "user_engagement", (actor,), {f"user_{_USER_NAME[base]}_{w}": 1.0 for w in USER_WINDOWS}
    if base in ENGAGEMENT_TYPES and actor is not None and sign > 0:
        yield "user_engagement", (actor,), {"_eng_7d": 1.0, "_eng_28d": 1.0}
        if target is not None:
            yield "author_stats", (target,), {"_eng": 1.0}
            yield "user_author", (actor, target), {"ua_interactions_28d": 1.0}
    if kind == "impression" and target is not None:
        yield "author_stats", (target,), {"_imp": 1.0}
    if kind == "hide" and actor is not None and target is not None:
        yield "user_author", (actor, target), {"ua_hides_28d": 1.0}
    if kind == "post_created" and actor is not None:
        yield "author_stats", (actor,), {"author_posts_7d": 1.0}
    if kind in ("follow", "unfollow") and actor is not None and target is not None:
        step = 1.0 if kind == "follow" else -1.0
        yield "user_engagement", (actor,), {"user_following_count": step}
        yield "author_stats", (target,), {"author_followers": step}
        yield "user_author", (actor, target), {"ua_follows": step}
        yield "user_author", (target, actor), {"ua_followed_by": step}


def field(event: Any, name: str) -> Any:
    return event[name] if isinstance(event, dict) else getattr(event, name)
