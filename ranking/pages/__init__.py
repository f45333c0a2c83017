"""A ranking as people page through it: the ranked list kept per user (`cache`) and the page cursors."""
