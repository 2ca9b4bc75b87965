"""Views of the web application: they read through selectors and write through services."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_POST, require_safe

from eapcase.accounts.acting import acting_user
from eapcase.cases.access import Action, access_case
from eapcase.cases.services import case_assign
from eapcase.core import clock
from eapcase.core.errors import ServiceError
from eapcase.core.lists import Sort
from eapcase.web import selectors
from eapcase.web.forms import AssignForm, WorkFilterForm

#: Browsers ask for /favicon.ico whatever the page links; the pages link the SVG and PNG.
FAVICON = Path(__file__).resolve().parent / "static" / "web" / "favicon.ico"


@require_safe
@cache_control(public=True, max_age=7 * 24 * 3600)
def favicon(request: HttpRequest) -> FileResponse:
    return FileResponse(FAVICON.open("rb"), content_type="image/x-icon")


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """Send each role to its starting page; a user without an active role is told so."""
    target = selectors.home_path(request.user)
    if target is not None:
        return HttpResponseRedirect(target)
    return render(request, "web/home.html", status=403)


def _work_context(
    request: HttpRequest, *, assign_errors: dict[str, str] | None = None
) -> dict[str, Any]:
    now = clock.now()
    # The filters are validated when there are any (the first page has none: no form to build).
    form = WorkFilterForm(request.GET) if request.GET else None
    data = form.cleaned_data if form is not None and form.is_valid() else {}
    sort = Sort.from_query(
        request.GET.get("sort"), selectors.WORK_SORTS, selectors.WORK_DEFAULT_SORT
    )
    queue = selectors.work_queue(
        user=request.user,
        now=now,
        scope=data.get("scope") or "mine",
        family=data.get("family") or "",
        case_ref=(data.get("case") or "").strip(),
        sort=sort,
        page=request.GET.get("page"),
    )
    clinicians: dict[int, list[Any]] = {}
    if queue.scope == "team":
        clinicians = selectors.clinician_list_for_partners(
            partner_ids=selectors.lead_partner_ids(request.user)
        )
    return {
        "queue": queue,
        # The filters' choices with their counts, and what is chosen (select_options).
        "chosen": data,
        "family_options": [(key, f"{name} ({count})") for key, name, count in queue.families],
        "case_options": [(ref, ref) for ref in queue.cases],
        "clinicians": clinicians,
        "assign_errors": assign_errors or {},
        "now": now,
        "families": selectors.FAMILIES,
        "here": request.get_full_path(),
        "sort": sort,
        "sort_links": [
            (label, sort.headers[key])
            for key, label in selectors.WORK_SORT_LABELS
            if key != "clinician" or queue.scope == "team"
        ],
    }


def _may_work(request: HttpRequest) -> None:
    if not selectors.work_queue_allowed(request.user):
        raise DjangoPermissionDenied("The work queue is for clinicians.")


@login_required
@require_GET
def work(request: HttpRequest) -> HttpResponse:
    """My work: every unsatisfied obligation of the user's cases (or, for a Partner clinical
    lead with `?scope=team`, of the whole team), overdue first."""
    _may_work(request)
    context = _work_context(request)
    template = "web/work.html#work-list" if getattr(request, "htmx", False) else "web/work.html"
    return render(request, template, context)


@login_required
@require_POST
def work_assign(request: HttpRequest, ref: str) -> HttpResponse:
    """Give a case to another clinician of its Partner (a Partner clinical lead, or WPO)."""
    case = access_case(user=request.user, case_ref=ref, action=Action.ASSIGN)
    team = selectors.clinician_list_for_partners(partner_ids=[case.partner_id])
    form = AssignForm(request.POST, clinicians=team[case.partner_id])
    back = str(request.POST.get("next") or "")
    if not url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ) or not back.startswith("/work/"):
        back = "/work/?scope=team"
    error = ""
    if form.is_valid():
        clinician = form.cleaned_data["clinician"]
        try:
            case_assign(
                actor=acting_user(request),
                case=case,
                clinician=clinician,
                now=clock.now(),
                reason=form.cleaned_data["reason"],
            )
        except ServiceError as exc:
            error = str(exc)
        else:
            name = clinician.get_full_name() or clinician.username
            messages.success(request, f"Case {case.reference} is now assigned to {name}.")
            return HttpResponseRedirect(back)
    else:
        error = "clinician: choose a clinician of " + str(case.partner.name)
    # Shown beside the form it came from, on the page the form was on.
    request.GET = QueryDict(urlsplit(back).query)
    context = _work_context(request, assign_errors={case.reference: error})
    return render(request, "web/work.html", context, status=400)
