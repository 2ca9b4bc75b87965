"""Which version of a client organisation's procedures is in force on a day."""

from __future__ import annotations

from datetime import date

from eapcase.core.prepared import PreparedObjects
from eapcase.organisations.models import ClientProcedure


def procedure_in_force(client_id: int | None, day: date) -> ClientProcedure | None:
    """The latest version effective on or before `day` (None: no client, or none yet)."""
    if client_id is None:
        return None
    versions: list[ClientProcedure] = _VERSIONS.objects(client=client_id)
    return next((v for v in versions if v.effective_from <= day), None)


# A client's versions, latest first, compiled once per process (core.prepared): every case
# page and attempt form reads them (issue #16). A client has a handful of versions: all are
# read and the one in force picked here, as `effective_from <= day ... LIMIT 1` would.
_VERSIONS = PreparedObjects(
    lambda client: ClientProcedure.objects.filter(client_id=client).order_by(
        "-effective_from", "-version"
    )
)
