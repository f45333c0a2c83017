"""The broker across processes: one Redis pub/sub channel, one listener task per process.

Every process receives every envelope and keeps those for its own sockets. That is simple and fine
for a handful of processes; per-user channels (or sharded pub/sub) are the step after that.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Sequence

import redis
import redis.asyncio as aioredis

from serving.realtime.broker import Deliver, Event

log = logging.getLogger(__name__)

RETRY_S = 1.0


class RedisBroker:
    def __init__(self, url: str, channel: str) -> None:
        self.url, self.channel = url, channel
        self._publisher = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._client: aioredis.Redis | None = None
        self._task: asyncio.Task[None] | None = None

    async def start(self, deliver: Deliver) -> None:
        self._client = aioredis.Redis.from_url(self.url, socket_connect_timeout=2)
        pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        try:  # subscribed before the server takes requests: nothing published after start-up is missed
            await pubsub.subscribe(self.channel)
        except (redis.RedisError, OSError) as error:  # serve anyway (/readyz says why); the listener retries
            log.warning("live events: Redis unavailable at start-up (%s); retrying", error)
        self._task = asyncio.create_task(self._listen(pubsub, deliver), name="realtime-listener")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        if self._client is not None:
            await self._client.aclose()
        self._publisher.close()
        self._task = self._client = None

    def publish(self, user_ids: Sequence[int], event: Event) -> None:
        envelope = json.dumps({"to": list(user_ids), "event": event})
        try:
            self._publisher.publish(self.channel, envelope)
        except redis.RedisError as error:
            log.warning("live event not published: %s", error)

    async def _listen(self, pubsub: aioredis.client.PubSub, deliver: Deliver) -> None:
        async with pubsub:
            while True:
                try:
                    if not pubsub.subscribed:
                        await pubsub.subscribe(self.channel)
                    message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=RETRY_S)
                except (redis.RedisError, OSError) as error:  # reconnects (and resubscribes) on the next call
                    log.warning("live events: Redis unavailable (%s); retrying", error)
                    await asyncio.sleep(RETRY_S)
                    continue
                if message is not None:
                    _deliver(message["data"], deliver)


def _deliver(data: bytes, deliver: Deliver) -> None:
    try:
        envelope = json.loads(data)
        deliver([int(uid) for uid in envelope["to"]], envelope["event"])
    except (ValueError, KeyError, TypeError) as error:
        log.warning("live events: malformed envelope dropped (%s)", error)
