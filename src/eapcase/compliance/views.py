"""WPO's escalations page: every escalation (waiting ones first), acknowledging one with a
note, every Partner's overdue work, and a banner when the policy is due for revision."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from eapcase.accounts.acting import acting_user
from eapcase.accounts.standing import standing_of
from eapcase.cases import services
from eapcase.cases.access import Action, access_case
from eapcase.compliance import selectors
from eapcase.compliance.forms import AcknowledgeForm
from eapcase.core import clock
from eapcase.core.errors import Conflict, ServiceError
from eapcase.core.lists import Sort

PAGE = "compliance/escalations.html"


def _ack_form(escalation: Any, data: Any = None) -> AcknowledgeForm:
    """The acknowledgement form of one escalation (its fields' ids name the escalation)."""
    return AcknowledgeForm(data, auto_id=f"id_ack{escalation.pk}_%s")


def _page_context(
    request: HttpRequest, *, failed: AcknowledgeForm | None = None, failed_pk: int | None = None
) -> dict[str, Any]:
    now = clock.now()
    sort = Sort.from_query(
        request.GET.get("sort"), selectors.WAITING_SORTS, selectors.WAITING_DEFAULT_SORT
    )
    waiting = selectors.escalation_page_unacknowledged(
        user=request.user, sort=sort, page=request.GET.get("page")
    )
    for e in waiting:
        e.ack_form = failed if e.pk == failed_pk and failed is not None else _ack_form(e)
    return {
        "now": now,
        "waiting": waiting,
        "sort": sort,
        "sort_choices": [
            ("raised", "longest waiting"),
            ("-raised", "newest"),
            ("case", "case"),
            ("partner", "Partner"),
            ("reason", "reason"),
        ],
        "acknowledged": selectors.escalation_list_acknowledged(
            user=request.user, page=request.GET.get("done_page") or 1
        ),
        "overdue_by_partner": selectors.overdue_list_by_partner(user=request.user, now=now),
        "policy_due": selectors.policy_revision_overdue(now=now),
    }


@login_required
@require_GET
def escalations(request: HttpRequest) -> HttpResponse:
    if not standing_of(request.user).is_wpo:
        raise DjangoPermissionDenied("Escalations are for WPO.")
    return render(request, PAGE, _page_context(request))


@login_required
@require_GET
def overdue_partner(request: HttpRequest, partner: str) -> HttpResponse:
    """All of one Partner's overdue work, most late first, paged."""
    if not standing_of(request.user).is_wpo:
        raise DjangoPermissionDenied("This list is for WPO.")
    now = clock.now()
    sort = Sort.from_query(
        request.GET.get("sort"), selectors.OVERDUE_SORTS, selectors.OVERDUE_DEFAULT_SORT
    )
    page = selectors.overdue_page_for_partner(
        user=request.user,
        now=now,
        partner_code=partner,
        page=request.GET.get("page") or 1,
        sort=sort,
    )
    context = {"page": page, "now": now, "sort": sort}
    return render(request, "compliance/overdue_partner.html", context)


@login_required
@require_POST
def escalation_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    now = clock.now()
    escalation = selectors.escalation_get(user=request.user, escalation_id=pk)
    access_case(user=request.user, case_ref=escalation.case.reference, action=Action.ACKNOWLEDGE)
    form = _ack_form(escalation, request.POST)
    if form.is_valid():
        try:
            escalation = services.escalation_acknowledge(
                actor=acting_user(request),
                escalation=escalation,
                note=form.cleaned_data["note"],
                now=now,
            )
        except Conflict as exc:
            messages.error(request, f"Escalation on {escalation.case.reference}: {exc.message}.")
            return HttpResponseRedirect("/escalations/")
        except ServiceError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            text = f"Escalation on {escalation.case.reference} acknowledged."
            if getattr(request, "htmx", False):
                context = {"e": escalation, "now": now, "flash": text}
                return render(request, f"{PAGE}#escalation", context)
            messages.success(request, text)
            return HttpResponseRedirect("/escalations/")
    if getattr(request, "htmx", False):
        # htmx swaps only successful answers: the form comes back with its error as a 200.
        escalation.ack_form = form  # type: ignore[attr-defined]
        return render(request, f"{PAGE}#escalation", {"e": escalation, "now": now})
    context = _page_context(request, failed=form, failed_pk=escalation.pk)
    return render(request, PAGE, context, status=400)
