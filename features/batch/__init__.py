"""The batch feature pipeline: outbox events → point-in-time aggregates → parquet (Feast's offline sources)."""
