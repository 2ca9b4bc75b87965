"""The email queue and triage pages: read through selectors, write through services. Every form
is a plain POST that redirects back with a message."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as Forbidden
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from eapcase.accounts.acting import acting_user
from eapcase.accounts.standing import standing_of
from eapcase.cases.access import Action, access_case, may
from eapcase.cases.reads import read_record
from eapcase.core import clock
from eapcase.core.errors import NotFound, PermissionDenied, ServiceError
from eapcase.core.lists import Sort
from eapcase.intake import selectors
from eapcase.intake.forms import ActionForm, LinkForm
from eapcase.intake.opening import may_open_from
from eapcase.intake.services import triage_link
from eapcase.outreach.messages import acknowledgement_draft
from eapcase.outreach.services import email_acknowledge, email_action


def _staff_only(request: HttpRequest) -> None:
    standing = standing_of(request.user)
    if not (standing.is_wpo or standing.partner_roles):
        raise Forbidden("The email queue is for WPO and Partner staff.")


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """Emails waiting to be acknowledged or actioned: urgent first, then oldest first."""
    _staff_only(request)
    now = clock.now()
    sort = Sort.from_query(
        request.GET.get("sort"), selectors.QUEUE_SORTS, selectors.QUEUE_DEFAULT_SORT
    )
    page = selectors.email_page_queue(
        user=request.user, now=now, sort=sort, page=request.GET.get("page")
    )
    context = {
        "rows": page.object_list,
        "page": page,
        "sort": sort,
        "now": now,
        "action_form": ActionForm(),
    }
    return render(request, "intake/queue.html", context)


def _email_for(request: HttpRequest, email_id: int) -> Any:
    email = selectors.email_get(user=request.user, email_id=email_id)
    if email.case is None or not may(request.user, email.case, Action.MANAGE):
        raise Forbidden("You may not manage this case.")
    return email


@login_required
@require_POST
def acknowledge(request: HttpRequest, email_id: int) -> HttpResponse:
    """Acknowledge an email that is answered by no reply (WPO's). One answered by a reply to
    the participant goes to the case's page, which previews the reply before it is sent."""
    email = _email_for(request, email_id)
    if email.acknowledged_at is None and acknowledgement_draft(email) is not None:
        return redirect("cases:email-acknowledge", ref=email.case.reference, pk=email.pk)
    try:
        email_acknowledge(actor=acting_user(request), email=email, now=clock.now())
    except ServiceError as exc:
        messages.error(request, f"Not acknowledged: {exc.message}")
    else:
        messages.success(request, f"Acknowledged the email on {email.case.reference}.")
    return redirect("intake:queue")


@login_required
@require_POST
def action(request: HttpRequest, email_id: int) -> HttpResponse:
    email = _email_for(request, email_id)
    form = ActionForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Not actioned: say what was done.")
        return redirect("intake:queue")
    try:
        email_action(
            actor=acting_user(request),
            email=email,
            summary=form.cleaned_data["summary"],
            now=clock.now(),
        )
    except ServiceError as exc:
        messages.error(request, f"Not actioned: {exc.message}")
    else:
        messages.success(request, f"Actioned the email on {email.case.reference}.")
    return redirect("intake:queue")


@login_required
@require_GET
def triage(request: HttpRequest) -> HttpResponse:
    """Mail that is not on a case yet, and the latest auto-replies and bounces."""
    _staff_only(request)
    waiting = selectors.inbound_list_triage(user=request.user)
    context = {
        "messages_waiting": waiting,
        "automatic": selectors.inbound_list_automatic(user=request.user),
        "link_form": LinkForm(),
        # Those a case may be opened from by this user (ADR 0030).
        "openable": {m.pk for m in waiting if may_open_from(request.user, m)},
    }
    return render(request, "intake/triage.html", context)


def _message_for(request: HttpRequest, message_id: int) -> Any:
    _staff_only(request)
    return selectors.inbound_get(user=request.user, message_id=message_id)


@login_required
@require_GET
def message_detail(request: HttpRequest, message_id: int) -> HttpResponse:
    message = _message_for(request, message_id)
    context = {
        "message": message,
        "attachments": list(message.attachments.order_by("id")),
        "link_form": LinkForm(),
        "openable": {message.pk} if may_open_from(request.user, message) else set(),
    }
    return render(request, "intake/message.html", context)


@login_required
@require_POST
def link(request: HttpRequest, message_id: int) -> HttpResponse:
    message = _message_for(request, message_id)
    form = LinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Not linked: give a case reference.")
        return redirect("intake:triage")
    reference = form.cleaned_data["case_reference"]
    try:
        case = access_case(user=request.user, case_ref=reference, action=Action.MANAGE)
        triage_link(
            actor=acting_user(request),
            message=message,
            case=case,
            now=clock.now(),
            information_only=form.cleaned_data["information_only"],
        )
    except NotFound:
        messages.error(request, f"Not linked: no case {reference}.")
    except PermissionDenied as exc:
        messages.error(request, f"Not linked: {exc.message}")
    except ServiceError as exc:
        messages.error(request, f"Not linked: {exc.message}")
    else:
        messages.success(request, f"Filed the message on {reference}.")
    return redirect("intake:triage")


@login_required
@require_GET
def attachment(request: HttpRequest, attachment_id: int) -> FileResponse:
    """An attachment, downloaded (never shown inline) after the access check."""
    _staff_only(request)
    item = selectors.attachment_get(user=request.user, attachment_id=attachment_id)
    read_record(
        request,
        action="intake.attachment_downloaded",
        case=item.case,
        obj=item,
    )
    return FileResponse(
        item.file.open("rb"),
        as_attachment=True,
        filename=item.filename,
        content_type=item.content_type or "application/octet-stream",
    )
