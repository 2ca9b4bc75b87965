"""The provider's pages (/provider/): the referrals, and on each one the provider's actions.

Every page passes the access gate: reading asks for Action.REFERRAL (the provider's side of a
case, never the Partner's record), every action for Action.PROVIDE (only the provider the case
is referred to). A case the user may not reach is a 404, like a missing one. Forms post,
redirect and leave a message; none needs JavaScript."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from csp.decorators import csp_replace
from django import forms as django_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_GET, require_POST

from eapcase.accounts.acting import acting_user
from eapcase.accounts.standing import standing_of
from eapcase.cases.access import Action, access_case, may
from eapcase.cases.choices import CaseStatus
from eapcase.cases.models import Case
from eapcase.cases.reads import read_record
from eapcase.cases.record import NeedsConfirmation
from eapcase.cases.services import session_record
from eapcase.cases.words import CaseWords
from eapcase.core import clock
from eapcase.core.errors import ServiceError
from eapcase.providers import selectors, services
from eapcase.providers.choices import ProviderTopic
from eapcase.providers.forms import (
    CaseNotesForm,
    FlagForm,
    InterventionEndForm,
    QueryForm,
    SessionForm,
)
from eapcase.providers.uploads import SizeLimitUploadHandler

# The forms of the referral page: context name -> (class, prefix). Prefixes keep the ids of
# the fields of the five forms apart on one page.
FORMS: dict[str, tuple[type[django_forms.Form], str]] = {
    "session_form": (SessionForm, "session"),
    "end_form": (InterventionEndForm, "end"),
    "notes_form": (CaseNotesForm, "notes"),
    "flag_form": (FlagForm, "flag"),
    "query_form": (QueryForm, "query"),
}


@contextmanager
def _partner_time(case: Case) -> Iterator[None]:
    """Times are shown, and typed, in the Partner's zone."""
    with timezone.override(ZoneInfo(case.partner.timezone)):
        yield


def _service_error(form: django_forms.Form, exc: ServiceError) -> None:
    """Put a refusal next to the field it names, or above the form."""
    if exc.field and exc.field in form.fields:
        form.add_error(exc.field, exc.message)
    else:
        form.add_error(None, exc.message)


def _referral_page(
    request: HttpRequest,
    case: Case,
    now: datetime,
    *,
    bound: dict[str, django_forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    context: dict[str, Any] = {
        "case": case,
        "detail": selectors.referral_get(case=case, now=now),
        "can_provide": may(request.user, case, Action.PROVIDE),
        "can_download": selectors.notes_downloadable(user=request.user, case=case),
        "is_open": case.status == CaseStatus.OPEN,
        "now": now,
        # The case's events in words, read only if the page names one (cases.words).
        "words": SimpleLazyObject(lambda: CaseWords.for_case(case)),
    }
    for name, (form_class, prefix) in FORMS.items():
        initial = {"at": now} if "at" in form_class.base_fields else None
        context[name] = form_class(prefix=prefix, initial=initial)
    context.update(bound or {})
    return render(request, "providers/referral.html", context, status=status)


def _done(request: HttpRequest, case: Case, message: str, anchor: str = "") -> HttpResponse:
    messages.success(request, message)
    url = reverse("providers:referral", args=[case.reference])
    return redirect(f"{url}#{anchor}" if anchor else url)


# --- reading ---------------------------------------------------------------------------------


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    """The cases referred to the user's providers."""
    if not standing_of(request.user).provider_ids:
        raise DjangoPermissionDenied("These pages are for providers.")
    now = clock.now()
    referrals = selectors.referral_list(user=request.user, now=now)
    return render(request, "providers/home.html", {"referrals": referrals, "now": now})


@login_required
@require_GET
def referral(request: HttpRequest, ref: str) -> HttpResponse:
    case = access_case(user=request.user, case_ref=ref, action=Action.REFERRAL)
    read_record(request, action="case.referral_read", case=case)
    with _partner_time(case):
        return _referral_page(request, case, clock.now())


@login_required
@require_GET
@never_cache
def notes_download(request: HttpRequest, ref: str, upload_id: int) -> FileResponse:
    """A stored case-notes file, to Partner staff of the case and the provider who uploaded
    it; 404 for anyone else. Sent as an attachment with the type found at upload."""
    case = access_case(user=request.user, case_ref=ref, action=Action.REFERRAL)
    upload = selectors.notes_upload_get(user=request.user, case=case, upload_id=upload_id)
    if upload is None or not upload.file:
        raise Http404("No such file.")
    try:
        handle = upload.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("No such file.") from exc
    read_record(request, action="case.notes_downloaded", case=case, obj=upload)
    content_type = upload.content_type or "application/octet-stream"
    if content_type == "text/plain":
        content_type = "text/plain; charset=utf-8"  # checked to be UTF-8 at upload
    return FileResponse(
        handle,
        as_attachment=True,
        filename=upload.original_name or upload.file.name.rsplit("/", 1)[-1],
        content_type=content_type,
    )


#: What is shown inside the page rather than only downloaded: PDFs (in the browser's viewer, a
#: frame of our own origin) and plain text (checked to be UTF-8 at upload).
INLINE_TYPES = frozenset({"application/pdf", "text/plain"})


@login_required
@require_GET
@never_cache
@xframe_options_sameorigin
@csp_replace({"frame-ancestors": ["'self'"]})  # type: ignore[arg-type]
def notes_inline(request: HttpRequest, ref: str, upload_id: int) -> FileResponse:
    """A stored PDF or text file of case notes, inline, for the review page's frame: the same
    gate as the download; any other type is a 404 here (it is downloaded)."""
    case = access_case(user=request.user, case_ref=ref, action=Action.REFERRAL)
    upload = selectors.notes_upload_get(user=request.user, case=case, upload_id=upload_id)
    if upload is None or not upload.file or upload.content_type not in INLINE_TYPES:
        raise Http404("No such file.")
    try:
        handle = upload.file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("No such file.") from exc
    content_type = upload.content_type
    if content_type == "text/plain":
        content_type = "text/plain; charset=utf-8"
    return FileResponse(
        handle,
        as_attachment=False,
        filename=upload.original_name or upload.file.name.rsplit("/", 1)[-1],
        content_type=content_type,
    )


# --- the provider's actions ------------------------------------------------------------------


def _action(
    form_name: str,
) -> Callable[
    [Callable[[HttpRequest, Case, django_forms.Form, datetime], HttpResponse]],
    Callable[..., HttpResponse],
]:
    """A POST-only action of the provider on the referral: the access gate (PROVIDE), the
    Partner's zone, the bound form; an invalid form re-renders the page with its errors."""
    form_class, prefix = FORMS[form_name]

    def decorate(
        handle: Callable[[HttpRequest, Case, django_forms.Form, datetime], HttpResponse],
    ) -> Callable[..., HttpResponse]:
        @login_required
        @require_POST
        def view(request: HttpRequest, ref: str) -> HttpResponse:
            case = access_case(user=request.user, case_ref=ref, action=Action.PROVIDE)
            now = clock.now()
            with _partner_time(case):
                form = form_class(request.POST, prefix=prefix)
                if not form.is_valid():
                    return _refused(request, case, now, form_name, form)
                return handle(request, case, form, now)

        view.__name__ = handle.__name__
        view.__doc__ = handle.__doc__
        return view

    return decorate


def _refused(
    request: HttpRequest, case: Case, now: datetime, name: str, form: django_forms.Form
) -> HttpResponse:
    return _referral_page(request, case, now, bound={name: form}, status=400)


@_action("session_form")
def session(
    request: HttpRequest, case: Case, form: django_forms.Form, now: datetime
) -> HttpResponse:
    """Record a session held. When the engine finds it beyond what is authorised
    (CM-SESSION-UNAUTHORISED, CM-REVIEW) the page says why and asks for a reason; with one,
    the session is recorded and so is what the engine found."""
    assert isinstance(form, SessionForm)
    try:
        held = session_record(
            actor=acting_user(request),
            case=case,
            now=now,
            at=form.cleaned_data["at"],
            provider=case.provider,
            confirm=form.cleaned_data.get("confirm", ""),
            attendance=form.cleaned_data["attendance"],
            modality=form.cleaned_data["modality"],
            duration_minutes=form.cleaned_data.get("duration_minutes"),
        )
    except NeedsConfirmation as exc:
        form.needs_confirmation = exc.reasons
        form.fields["confirm"].widget.attrs["autofocus"] = True
        return _referral_page(request, case, now, bound={"session_form": form}, status=409)
    except ServiceError as exc:
        _service_error(form, exc)
        return _refused(request, case, now, "session_form", form)
    if held.number is None:
        message = f"Recorded: {held.get_attendance_display()}, not a session held."
        return _done(request, case, message, "sessions")
    return _done(request, case, f"Session {held.number} recorded.", "sessions")


@_action("end_form")
def intervention_end(
    request: HttpRequest, case: Case, form: django_forms.Form, now: datetime
) -> HttpResponse:
    """End the intervention: the completed case notes are then due (CM-NOTES-UPLOAD)."""
    try:
        services.intervention_end(
            actor=acting_user(request),
            case=case,
            now=now,
            provider=case.provider,
            at=form.cleaned_data["at"],
        )
    except ServiceError as exc:
        _service_error(form, exc)
        return _refused(request, case, now, "end_form", form)
    return _done(request, case, "Intervention ended. Upload the completed case notes.", "notes")


@_action("flag_form")
def flag(request: HttpRequest, case: Case, form: django_forms.Form, now: datetime) -> HttpResponse:
    """Flag a risk situation or a goal slip to the Partner: an urgent provider contact
    (CM-PROVIDER-RESPONSE)."""
    topic = form.cleaned_data["topic"]
    try:
        services.provider_contact_record(
            actor=acting_user(request),
            case=case,
            topic=topic,
            text=form.cleaned_data["text"],
            now=now,
            provider=case.provider,
        )
    except ServiceError as exc:
        _service_error(form, exc)
        return _refused(request, case, now, "flag_form", form)
    what = ProviderTopic(topic).label
    return _done(request, case, f"The {what} is flagged to the Partner as urgent.", "contacts")


@_action("query_form")
def query(request: HttpRequest, case: Case, form: django_forms.Form, now: datetime) -> HttpResponse:
    """Send a query to the Partner (CM-PROVIDER-RESPONSE); the answer appears on the page."""
    try:
        services.provider_contact_record(
            actor=acting_user(request),
            case=case,
            topic=ProviderTopic.QUERY,
            text=form.cleaned_data["text"],
            now=now,
            provider=case.provider,
        )
    except ServiceError as exc:
        _service_error(form, exc)
        return _refused(request, case, now, "query_form", form)
    return _done(request, case, "Your question is sent to the Partner.", "contacts")


@csrf_exempt  # checked below, once the size-limiting upload handler is in place
@login_required
@require_POST
def notes_upload(request: HttpRequest, ref: str) -> HttpResponse:
    """Upload completed case notes (CM-NOTES-UPLOAD). The body is not read before the access
    gate; the file is counted while it is read and dropped past 10 MB."""
    case = access_case(user=request.user, case_ref=ref, action=Action.PROVIDE)
    handler = SizeLimitUploadHandler(request)
    request.upload_handlers = [handler, *request.upload_handlers]
    return _notes_upload_checked(request, case, handler)


@csrf_protect
def _notes_upload_checked(
    request: HttpRequest, case: Case, handler: SizeLimitUploadHandler
) -> HttpResponse:
    now = clock.now()
    with _partner_time(case):
        _, prefix = FORMS["notes_form"]
        form = CaseNotesForm(
            request.POST,
            request.FILES,
            prefix=prefix,
            too_large=bool(handler.too_large),
        )
        if not form.is_valid():
            return _refused(request, case, now, "notes_form", form)
        file = form.cleaned_data["file"]
        try:
            upload = services.case_notes_upload(
                actor=acting_user(request),
                case=case,
                now=now,
                provider=case.provider,
                file=file,
                original_name=file.name or "",
                content_type=form.cleaned_data["content_type"],
            )
        except ServiceError as exc:
            _service_error(form, exc)
            return _refused(request, case, now, "notes_form", form)
    return _done(request, case, f"Case notes uploaded: {upload.original_name}.", "notes")
