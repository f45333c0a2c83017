"""Domain errors; the API maps each to its HTTP status (serving/errors.py), the CLI to a message."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a social_core service raises on purpose; the message is user-facing."""


class NotFound(DomainError):
    """Unknown, deleted, or invisible to this viewer (blocks and privacy look like absence)."""


class Forbidden(DomainError):
    """Visible, but this actor may not do that."""


class Conflict(DomainError):
    """Clashes with existing state (a taken username)."""


class Invalid(DomainError):
    """Well-formed request, unacceptable values."""


class Unauthenticated(DomainError):
    """Missing, unknown, expired or revoked credentials."""
