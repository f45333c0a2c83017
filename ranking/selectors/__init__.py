"""Selectors: reorder (and may drop from) the scored candidates, best first in, the served order out."""
