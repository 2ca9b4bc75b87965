"""The clock edge: the one place below views and commands where the current time is read."""

from __future__ import annotations

from datetime import UTC, datetime


def now() -> datetime:
    """Current instant in UTC. Call at the edge (view, command, task) and pass it down."""
    return datetime.now(UTC)
