"""Image embeddings: an encoder from a post's pixels into the two-tower's post space, and the relay handler
that embeds each upload."""
