"""The streaming path: fresh counters from new outbox events, pushed through Feast push sources."""
