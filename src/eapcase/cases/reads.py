"""Reads of case data, audited (issue #13 item 4, ADR 0035): every page, download, API read,
export or report drill-down that shows case data writes one audit row, who, what, which case,
when and from where. Called by the view itself (never guessed from URLs by a middleware), and
at most once per request: a page that renders another, or a view that calls a second one,
still makes one row.

On SQLite the read's own transaction commits with `synchronous=NORMAL` (ADR 0049): its row
is safe from a crash of the process at once and from a power cut at the next commit of a
write, which stays FULL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection, transaction

from eapcase.audit.services import audit_record
from eapcase.core import clock
from eapcase.core.clients import client_address

_DONE = "_eapcase_read_audited"

#: Reads of one case's data: "who opened this case" lists these (web/audit_views.py).
CASE_READS = frozenset(
    {
        "case.read",
        "case.handover_read",
        "case.referral_read",
        "case.notes_downloaded",
        "participant.read",
        "api.case_read",
        "api.case_history_read",
        "api.case_fhir_read",
        "api.case_sessions_read",
        "api.escalation_read",
        "intake.attachment_downloaded",
    }
)

#: Every kind of read row: the ones above, and reads of no single case.
READ_ACTIONS = CASE_READS | {
    "api.participant_read",
    "api.list_read",
    "export.history",
    "export.fhir",
    "report.drilldown_read",
    "report.client_read",
    "report.csv_exported",
}


def read_record(
    request: Any,
    *,
    action: str,
    case: Any = None,
    obj: Any = None,
    data: dict[str, Any] | None = None,
) -> bool:
    """One audit row for this request's read; False when the request already has one (or has
    no signed-in user, who could not have read anything)."""
    if action not in READ_ACTIONS:
        raise ValueError(f"{action} is not a kind of read (cases.reads.READ_ACTIONS)")
    # A DRF request wraps Django's: mark the one both see.
    http = getattr(request, "_request", request)
    user = getattr(http, "user", None)
    if getattr(http, _DONE, False) or user is None or not user.is_authenticated:
        return False
    setattr(http, _DONE, True)
    with _read_commit(), transaction.atomic():
        audit_record(
            actor=user,
            action=action,
            at=clock.now(),
            case=case,
            obj=obj,
            data=data or {},
            address=client_address(http),
        )
    return True


_NORMAL = 1  # SQLite's PRAGMA synchronous levels: 0 OFF, 1 NORMAL, 2 FULL, 3 EXTRA


@contextmanager
def _read_commit() -> Iterator[None]:
    """Around a read's own transaction on SQLite in WAL mode: commit it without syncing the
    WAL (`synchronous=NORMAL`), then put back the connection's own setting (FULL in the
    application), so no write ever commits with NORMAL (ADR 0049). Inside a caller's
    transaction the commit is the caller's, which may hold writes: nothing changes then.
    With a rollback journal NORMAL could corrupt the file at a power cut: nor then. (An
    in-memory database, the tests', has nothing to sync either way.)"""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT s.synchronous, j.journal_mode FROM pragma_synchronous s, pragma_journal_mode j"
        )
        level, journal = cursor.fetchone()
        lower = level > _NORMAL and str(journal).lower() in {"wal", "memory"}
        if lower:
            cursor.execute(f"PRAGMA synchronous={_NORMAL}")
    if not lower:
        yield
        return
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"PRAGMA synchronous={level}")
        except BaseException:
            # A connection left at NORMAL would commit the next write unsynced: drop it,
            # and the next query opens one with the settings' PRAGMAs.
            connection.close()
            raise


def cli_read_record(*, action: str, data: dict[str, Any], case: Any = None) -> None:
    """A read from the command line (an export): by whoever runs the command on the server,
    named by the operating system only through the audit's absent actor."""
    if action not in READ_ACTIONS:
        raise ValueError(f"{action} is not a kind of read (cases.reads.READ_ACTIONS)")
    with transaction.atomic():
        audit_record(actor=None, action=action, at=clock.now(), case=case, data=data)
