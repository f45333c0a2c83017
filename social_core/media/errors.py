"""Why an upload was refused; the message is user-facing and the API maps each class to a status."""

from __future__ import annotations


class MediaRejected(ValueError):
    """Not an image or video we accept: unsupported, corrupt, truncated, too many pixels, too long (422)."""


class TooLarge(MediaRejected):
    """More bytes than the upload limit (413)."""

    def __init__(self, size: int, limit: int, kind: str = "file") -> None:
        super().__init__(f"{kind} is {_mb(size)}; the limit is {_mb(limit)}")
        self.size = size
        self.limit = limit


def _mb(n: int) -> str:
    return f"{n / 1_000_000:.1f} MB" if n >= 100_000 else f"{n} bytes"
