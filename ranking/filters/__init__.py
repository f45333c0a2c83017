"""Filters: each says which candidates it drops, as a mask over the frame (the pipeline counts them)."""
