"""`FeedCacheInvalidation`: the relay drops cached feed and explore lists when what they were ranked from changes.

Why on the relay and not in the graph routes: a list must be re-ranked from the *new* follow graph,
and the `following` source reads the fan-out set, which `FeedFanout` invalidates on the same events.
Running right after it, in the same batch, guarantees that the next ranking rebuilds both; a route-side
drop could be re-ranked from the stale fan-out set in between. It also covers every way the graph
changes (a follow request approved by the other account, a block by the other side) and the user's
own ranking preferences. What must take effect at once (a block, a private account) does not wait
for it: every page is re-checked for visibility as it is served (`guard`).
Redis errors propagate, so the relay keeps the batch and retries; deleting is idempotent.
"""

from __future__ import annotations

from collections.abc import Sequence

from ranking.pages.cache import RankedListCache
from social_core.models import Event

EVENTS = ("follow", "unfollow", "block", "unblock", "ranking_preferences")


class FeedCacheInvalidation:
    name = "feed_cache"

    def __init__(self, cache: RankedListCache) -> None:
        self.cache = cache

    def __call__(self, events: Sequence[Event]) -> None:
        users = {user for e in events if e.type in EVENTS for user in (e.actor_id, e.target_id) if user is not None}
        if users:
            self.cache.invalidate(*sorted(users))
