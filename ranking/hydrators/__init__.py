"""Hydrators: load what the later stages need (viewer graph, post facts, seen posts, model features)."""
