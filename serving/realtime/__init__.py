"""Live delivery of messages and read receipts over WebSockets, across server processes.

A route publishes an event for some users *after* its transaction committed, so nobody hears of a
message that could still roll back. The `Broker` carries it to every server process; each process
runs one listener task that hands it to its `Hub`, which queues it on the sockets those users hold
there. Delivery is best effort: a client that reconnects re-reads the API for what it missed.
"""

from __future__ import annotations

from serving.realtime.broker import Broker, BrokerDep, Event, InProcessBroker
from serving.realtime.hub import Hub
from serving.realtime.redis_pubsub import RedisBroker


def make_broker(redis_url: str | None, channel: str) -> Broker:
    """Redis pub/sub when Redis is configured (delivery crosses processes), else in-process only."""
    return RedisBroker(redis_url, channel) if redis_url else InProcessBroker()


__all__ = ["Broker", "BrokerDep", "Event", "Hub", "InProcessBroker", "RedisBroker", "make_broker"]
