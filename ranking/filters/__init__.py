"""Filters: each drops some candidates and says which (`FilterResult(kept, removed)`)."""
