"""Shared value types of the social core."""

from __future__ import annotations

from typing import TypeAlias

UserId: TypeAlias = int
PostId: TypeAlias = int
MediaId: TypeAlias = int
CommentId: TypeAlias = int
EventId: TypeAlias = int
