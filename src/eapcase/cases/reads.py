"""Reads of case data, audited (issue #13 item 4, ADR 0035): every page, download, API read,
export or report drill-down that shows case data writes one audit row, who, what, which case,
when and from where. Called by the view itself (never guessed from URLs by a middleware), and
at most once per request: a page that renders another, or a view that calls a second one,
still makes one row."""

from __future__ import annotations

from typing import Any

from django.db import transaction

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
    with transaction.atomic():
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


def cli_read_record(*, action: str, data: dict[str, Any], case: Any = None) -> None:
    """A read from the command line (an export): by whoever runs the command on the server,
    named by the operating system only through the audit's absent actor."""
    if action not in READ_ACTIONS:
        raise ValueError(f"{action} is not a kind of read (cases.reads.READ_ACTIONS)")
    with transaction.atomic():
        audit_record(actor=None, action=action, at=clock.now(), case=case, data=data)
