"""Who looked (issue #13 item 6, ADR 0036): the audit trail at /audit/, a page at a time,
filtered by user, case, kind of action and dates, for WPO only; and the short "who opened
this case" list the case page shows to WPO and to the case's Partner leads.

Who sees which rows: a WPO clinician (WPO's clinical quality staff) sees the rows about case
data, every write and every read; a WPO admin sees the rows about accounts and reference data
(the admin's changes, sign-ins, the second factor, API tokens, the trail's own checks) and no
case's, as they read no case content; someone holding both roles sees both. Anyone else is
refused (403)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from eapcase.accounts.choices import Role
from eapcase.accounts.standing import standing_of
from eapcase.audit.models import AuditEvent
from eapcase.cases.reads import CASE_READS, READ_ACTIONS
from eapcase.core.lists import WindowPage, window_page

PER_PAGE = 50

#: The actions about accounts and reference data, by prefix: a WPO admin's part of the trail.
ACCOUNT_PREFIXES = ("admin.", "auth.", "mfa.", "token.", "audit.")

#: The kinds of action the filter offers, in plain words.
KINDS = {
    "": "Any",
    "reads": "Reads of case data",
    "writes": "Changes to cases",
    "signins": "Sign-ins and the second factor",
    "admin": "Reference data and users (admin)",
}


def _account_q() -> Q:
    q = Q()
    for prefix in ACCOUNT_PREFIXES:
        q |= Q(action__startswith=prefix)
    return q


def _reads_q() -> Q:
    return Q(action__in=READ_ACTIONS)


def visible_rows(user: Any) -> QuerySet[AuditEvent]:
    """The rows `user` may see on /audit/; PermissionDenied for anyone but WPO."""
    roles = standing_of(user).wpo_roles
    clinical, admin = Role.WPO_CLINICIAN in roles, Role.WPO_ADMIN in roles
    if not (clinical or admin):
        raise PermissionDenied("The audit trail is for WPO.")
    rows = AuditEvent.objects.all()
    if not clinical:
        rows = rows.filter(_account_q())
    elif not admin:
        rows = rows.exclude(_account_q())
    return rows


class AuditFilter(forms.Form):
    user = forms.CharField(label="User (username)", required=False, max_length=150)
    case = forms.CharField(label="Case reference", required=False, max_length=40)
    kind = forms.ChoiceField(label="Kind", choices=list(KINDS.items()), required=False)
    date_from = forms.DateField(
        label="From", required=False, widget=forms.DateInput({"type": "date"})
    )
    date_to = forms.DateField(label="To", required=False, widget=forms.DateInput({"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "must not be before the first day")
        return data

    def apply(self, rows: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
        d = self.cleaned_data
        if d.get("user"):
            rows = rows.filter(actor_name=d["user"].strip())
        if d.get("case"):
            rows = rows.filter(case__reference=d["case"].strip().upper())
        kind = d.get("kind")
        if kind == "reads":
            rows = rows.filter(_reads_q())
        elif kind == "writes":
            rows = rows.filter(case__isnull=False).exclude(_reads_q())
        elif kind == "signins":
            rows = rows.filter(Q(action__startswith="auth.") | Q(action__startswith="mfa."))
        elif kind == "admin":
            rows = rows.filter(action__startswith="admin.")
        # Days are the viewer's days (the active zone), as the times on the page.
        zone = timezone.get_current_timezone()
        if d.get("date_from"):
            rows = rows.filter(at__gte=datetime.combine(d["date_from"], time(), zone))
        if d.get("date_to"):
            end = datetime.combine(d["date_to"] + timedelta(days=1), time(), zone)
            rows = rows.filter(at__lt=end)
        return rows


@dataclass(frozen=True)
class AuditLine:
    at: datetime
    who: str
    what: str
    case: str
    detail: str
    address: str


def _what(action: str) -> str:
    """An action in plain words: its name with the dots and underscores spoken."""
    return action.replace("_", " ").replace(".", ": ", 1)


def _line(row: AuditEvent) -> AuditLine:
    detail = ""
    if row.object_type and row.object_type not in {"Case", "User"}:
        detail = f"{row.object_type} {row.object_id}"
    return AuditLine(
        at=row.at,
        who=row.actor_name or "the system",
        what=_what(row.action),
        case=row.case.reference if row.case_id and row.case else "",
        detail=detail,
        address=row.address,
    )


def audit_page(*, user: Any, form: AuditFilter, page: Any) -> WindowPage:
    rows = visible_rows(user)
    rows = form.apply(rows) if form.is_valid() else rows.none()
    rows = rows.select_related("case").order_by("-at", "-id")
    return window_page(rows, page, PER_PAGE, _line)


@login_required
@require_GET
def audit_list(request: HttpRequest) -> HttpResponse:
    form = AuditFilter(request.GET)
    page = audit_page(user=request.user, form=form, page=request.GET.get("page") or 1)
    return render(
        request,
        "web/audit.html",
        {"page": page, "form": form, "zone": timezone.get_current_timezone_name()},
    )


@dataclass(frozen=True)
class Opened:
    who: str
    at: datetime


def case_opened_by(*, user: Any, case: Any, limit: int = 10) -> list[Opened] | None:
    """Who opened this case lately (newest first), for WPO and the case's Partner leads;
    None for anyone else (the page then shows nothing)."""
    standing = standing_of(user)
    roles = standing.partner_roles.get(case.partner_id, frozenset())
    if not (standing.is_wpo or Role.PARTNER_LEAD in roles):
        return None
    rows = (
        AuditEvent.objects.filter(case=case, action__in=CASE_READS)
        .order_by("-at", "-id")
        .values_list("actor_name", "at")[:limit]
    )
    return [Opened(who=name or "the system", at=at) for name, at in rows]
