"""The one error the simulation raises for bad requests (the CLI prints it as one line)."""

from __future__ import annotations


class SimulationError(Exception):
    """A simulation that cannot run as asked; the message is one line for the user."""
