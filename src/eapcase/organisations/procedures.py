"""Which version of a client organisation's procedures is in force on a day."""

from __future__ import annotations

from datetime import date

from eapcase.organisations.models import ClientProcedure


def procedure_in_force(client_id: int | None, day: date) -> ClientProcedure | None:
    """The latest version effective on or before `day` (None: no client, or none yet)."""
    if client_id is None:
        return None
    return (
        ClientProcedure.objects.filter(client_id=client_id, effective_from__lte=day)
        .order_by("-effective_from", "-version")
        .first()
    )
