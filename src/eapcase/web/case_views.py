"""Pages of the cases app: the list, the case page, the handover page and one page per action.

Every page starts from `access_case` (or `cases_visible_to` for the list); a missing or
invisible case is a 404, a case seen but not to be acted on a 403. Each action is one service
call. Times are shown and entered in the Partner's time zone."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import cached_property
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Model
from django.forms import ChoiceField, DateTimeField
from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.functional import SimpleLazyObject
from django.views import View
from django.views.decorators.http import require_safe
from django_htmx.http import HttpResponseClientRedirect

from eapcase.accounts.acting import acting_user
from eapcase.cases import bridge
from eapcase.cases.access import Action, access_case, may
from eapcase.cases.changes import case_now, changes_since
from eapcase.cases.choices import Attendance, CaseStatus
from eapcase.cases.models import Case, ParticipantQuery
from eapcase.cases.reads import read_record
from eapcase.cases.record import NeedsConfirmation, StaleWrite, expecting
from eapcase.cases.services import (
    case_reopen,
    dissatisfaction_record,
    escalation_raise,
    note_add,
    query_record,
    query_resolve,
    review_complete,
    session_record,
)
from eapcase.cases.words import CaseWords, rule_title
from eapcase.core import clock
from eapcase.core.errors import ServiceError
from eapcase.core.lists import Sort
from eapcase.outreach import messages as mail
from eapcase.outreach.choices import Purpose
from eapcase.outreach.messages import access_line_for
from eapcase.outreach.models import Email, OutreachRequest
from eapcase.outreach.services import (
    attempt_record,
    callback_request,
    case_close_with_checkin,
    detailed_email_send,
    email_acknowledge,
    email_action,
    email_urgency_change,
    outreach_close,
    outreach_request,
)
from eapcase.policy import transition_sessions
from eapcase.providers.models import CaseNotesUpload, ProviderContact
from eapcase.providers.services import case_notes_review, provider_contact_respond
from eapcase.web import case_forms as forms
from eapcase.web import case_selectors as selectors
from eapcase.web.audit_views import case_opened_by


def _htmx(request: HttpRequest) -> bool:
    """Whether htmx made the request (django-htmx's middleware sets `request.htmx`)."""
    return bool(getattr(request, "htmx", False))


def _htmx_trigger(request: HttpRequest) -> str | None:
    """The id of the element that made the htmx request (None for a link without one)."""
    return getattr(getattr(request, "htmx", None), "trigger", None)


@contextmanager
def _local_time(case: Case) -> Iterator[None]:
    """Forms read, and templates show, times in the Partner's zone."""
    with timezone.override(ZoneInfo(case.partner.timezone)):
        yield


# --- reading -------------------------------------------------------------------------------------


@login_required
@require_safe
def case_list(request: HttpRequest) -> HttpResponse:
    """Search and list the cases the user may see."""
    now = clock.now()
    partners = selectors.case_list_partners(user=request.user)
    form = forms.CaseSearchForm(request.GET or None, partners=partners)
    filters: dict[str, Any] = {}
    if form.is_bound and form.is_valid():
        filters = {
            "query": form.cleaned_data["q"],
            "status": form.cleaned_data["status"],
            "partner": form.cleaned_data["partner"],
            "case_type": form.cleaned_data["case_type"],
            "route": form.cleaned_data["route"],
        }
    sort = Sort.from_query(
        request.GET.get("sort"), selectors.CASE_LIST_SORTS, selectors.CASE_LIST_DEFAULT_SORT
    )
    cases = selectors.case_list(user=request.user, now=now, sort=sort, **filters)
    page = selectors.case_list_page(cases, request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "sort": sort,
        "now": now,
        "show_partner": len(partners) > 1,
    }
    template = "cases/list.html#results" if _htmx(request) else "cases/list.html"
    return render(request, template, context)


@login_required
@require_safe
def case_detail(request: HttpRequest, ref: str) -> HttpResponse:
    case = access_case(user=request.user, case_ref=ref, action=Action.VIEW)
    now = clock.now()
    # The latest events unless the whole history is asked for (`?timeline=all`).
    whole = request.GET.get("timeline") == "all"
    read_record(request, action="case.read", case=case, data={"timeline": "all"} if whole else {})
    with _local_time(case):
        page = selectors.case_page_get(
            case=case, now=now, timeline_limit=None if whole else selectors.TIMELINE_LIMIT
        )
        return render(
            request,
            "cases/detail.html",
            {
                "page": page,
                "case": case,
                "now": now,
                "can_manage": may(request.user, case, Action.MANAGE),
                "rule_labels": selectors.RULE_LABELS,
                "opened_by": case_opened_by(user=request.user, case=case),
            },
        )


@login_required
@require_safe
def case_handover(request: HttpRequest, ref: str) -> HttpResponse:
    case = access_case(user=request.user, case_ref=ref, action=Action.VIEW)
    read_record(request, action="case.handover_read", case=case)
    now = clock.now()
    with _local_time(case):
        page = selectors.case_page_get(case=case, now=now)
        return render(request, "cases/handover.html", {"page": page, "case": case, "now": now})


# --- acting --------------------------------------------------------------------------------------


def _breach_lines(obligations: Any) -> list[dict[str, str]]:
    """What a closing would breach, as the close forms list it."""
    return [
        {
            "rule": o.rule,
            "label": selectors.RULE_LABELS.get(o.rule, ""),
            "trigger": o.trigger,
            "reason": bridge.reason(o),
        }
        for o in obligations
    ]


def _closed_page(request: HttpRequest, case: Case) -> HttpResponse:
    """The answer to an action a closed case does not take: 409, with the way back."""
    return render(
        request,
        "cases/closed.html",
        {"case": case, "can_reopen": may(request.user, case, Action.MANAGE)},
        status=409,
    )


def stale_page(
    request: HttpRequest,
    exc: StaleWrite,
    *,
    retry_url: str,
    back_url: str,
    retry_label: str = "Open the form again with what you entered",
) -> HttpResponse:
    """The answer to a write refused because the case changed after the form was opened
    (ADR 0038): 409, nothing written, what happened since in words, and the way to open the
    form again on the case as it is now (`retry_url`, which carries what was entered)."""
    case = exc.case
    with _local_time(case):
        return render(
            request,
            "cases/stale.html",
            {
                "case": case,
                "changes": changes_since(case, exc.seen),
                "case_now": case_now(case),
                "retry_url": retry_url,
                "retry_label": retry_label,
                "back_url": back_url,
            },
            status=409,
        )


def _retry_query(request: HttpRequest) -> str:
    """What the refused form held, as the query that opens it again filled in (without the
    version read, the token and the reason to go ahead, which are asked afresh)."""
    query = request.POST.copy()
    for name in ("csrfmiddlewaretoken", "version", "confirm"):
        query.pop(name, None)
    return query.urlencode()


@method_decorator(login_required, name="dispatch")
class CaseActionView(View):
    """One action on a case: GET shows the form, POST calls the service once. A refusal comes
    back on the form (next to the field it names); a confirmation the service asks for shows
    what the engine found and a required reason to go ahead.

    Every form carries the case's version it was opened at (a hidden field); the write is
    refused with a 409 page if the case changed since (ADR 0038)."""

    form_class: ClassVar[type[forms.ActionForm]]
    title: ClassVar[str]
    intro: ClassVar[str] = ""
    submit: ClassVar[str] = "Save"
    done: ClassVar[str] = "Saved."
    extra_template: ClassVar[str] = ""
    target_model: ClassVar[type[Model] | None] = None
    #: Whether a closed case takes this action (ADR 0026); the others answer 409 for it.
    on_closed_case: ClassVar[bool] = False

    case: Case
    now: datetime
    target: Any

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        self.case = access_case(user=request.user, case_ref=kwargs["ref"], action=Action.MANAGE)
        self.now = clock.now()
        self.target = None
        if self.case.status == CaseStatus.CLOSED and not self.on_closed_case:
            return _closed_page(request, self.case)
        if self.target_model is not None:
            self.target = get_object_or_404(self.target_model, pk=kwargs["pk"], case=self.case)
        with _local_time(self.case):
            return super().dispatch(request, *args, **kwargs)

    # -- the case as the policy judged it at the last write (stored: no replay of the history)
    @cached_property
    def events(self) -> list[Any]:
        return selectors.case_events(self.case)

    @cached_property
    def evaluation(self) -> bridge.StoredEvaluation:
        return selectors.case_stored_evaluation(self.case, self.events, self.now)

    @cached_property
    def ledger(self) -> selectors.Ledger:
        return selectors.ledger_of(self.case, self.evaluation)

    def form_kwargs(self) -> dict[str, Any]:
        return {"now": self.now, "prefs": self.evaluation.state.participant}

    def make_form(self, data: Any = None) -> forms.ActionForm:
        initial = {k: v for k, v in self.request.GET.items() if k != "csrfmiddlewaretoken"}
        form = self.form_class(data, initial=initial, **self.form_kwargs())
        # The version the user is looking at: kept across the form's own refreshes (htmx asks
        # again with the form's fields), the current one when the form is first opened.
        form.fields["version"] = forms.version_field()
        form.initial.setdefault("version", self.case.version)
        for field in form.fields.values():
            if isinstance(field, DateTimeField):
                field.help_text = f"{field.help_text} {self.case.partner.timezone} time.".strip()
        self.prepare(form)
        return form

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        return self.show(self.make_form())

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        form = self.make_form(request.POST)
        if form.is_valid():
            try:
                with expecting(self.case, form.cleaned_data.get("version")):
                    message = self.perform(form)
            except StaleWrite as exc:
                retry = self.request.path
                if query := _retry_query(request):
                    retry = f"{retry}?{query}"
                return stale_page(request, exc, retry_url=retry, back_url=self.case_url())
            except NeedsConfirmation as exc:
                if form.confirmable:
                    form.ask_confirmation(exc.reasons)
                else:
                    form.service_error(exc)
            except ServiceError as exc:
                form.service_error(exc)
            else:
                if form.confirmation():
                    message += " Your reason to go ahead is recorded with the case."
                messages.success(request, message)
                url = self.case_url()
                if _htmx(request):
                    return HttpResponseClientRedirect(url)
                return HttpResponseRedirect(url)
        return self.show(form)

    #: The service that records the action; what it is given besides who, when and now: the
    #: case (or, with `target_model`, the row acted on, under the keyword `subject`), the form
    #: fields named in `fields` under their own names, and a confirmable form's reason.
    service: ClassVar[Callable[..., Any]]
    subject: ClassVar[str] = "case"
    fields: ClassVar[tuple[str, ...]] = ()

    def service_kwargs(self, form: forms.ActionForm) -> dict[str, Any]:
        """The form's part of the service call; views whose inputs need more than a rename
        (an optional instant, a derived number) add to it."""
        return {name: form.cleaned_data[name] for name in self.fields}

    def perform(self, form: forms.ActionForm) -> str:
        kwargs = self.service_kwargs(form)
        kwargs[self.subject] = self.target if self.target_model is not None else self.case
        if form.confirmable:
            kwargs["confirm"] = form.confirmation()
        type(self).service(
            actor=acting_user(self.request), now=self.now, at=form.instant(), **kwargs
        )
        return self.done

    def case_url(self) -> str:
        return reverse("cases:detail", kwargs={"ref": self.case.reference})

    def extra_context(self) -> dict[str, Any]:
        return {}

    def show(self, form: forms.ActionForm) -> HttpResponse:
        form.mark_invalid()
        context = {
            "case": self.case,
            "form": form,
            "view": self,
            "title": self.title,
            "intro": self.intro,
            "submit": self.submit,
            "target": self.target,
            "extra_template": self.extra_template,
            "action_url": self.request.path,
            "case_url": self.case_url(),
            "now": self.now,
            # Focus moves to the form when htmx loads it into the case page, not when it
            # re-renders it after a change of channel (htmx keeps the focus on that input).
            "focus_title": _htmx(self.request) and not _htmx_trigger(self.request),
            "rule_labels": selectors.RULE_LABELS,
            # The case's events in words, read only if the page names one (cases.words).
            "words": SimpleLazyObject(
                lambda: CaseWords.of_events(self.events, self.case.partner.timezone)
            ),
            **self.extra_context(),
        }
        template = "cases/action.html#action-form" if _htmx(self.request) else "cases/action.html"
        return render(self.request, template, context)

    def prepare(self, form: forms.ActionForm) -> None:
        """Last touches to the form before it is shown."""


class AttemptView(CaseActionView):
    form_class = forms.AttemptForm
    on_closed_case = True
    title = "Record a contact attempt"
    submit = "Record the attempt"
    done = "Contact attempt recorded."
    extra_template = "cases/partials/attempt_extra.html"

    service = staticmethod(attempt_record)
    fields = ("target", "channel", "outcome", "message", "summary")

    @cached_property
    def window(self) -> selectors.WindowView | None:
        return selectors.contact_window_for(self.case, self.now)

    def service_kwargs(self, form: forms.ActionForm) -> dict[str, Any]:
        # A client's contact hours concern the participant; outside them the clinician may go
        # ahead with a reason (ADR 0027): the service asks for it as for a finding.
        kwargs = super().service_kwargs(form)
        if self.window is not None and form.cleaned_data["target"] == "participant":
            kwargs["outside_window"] = self.window.outside(form.instant())
        return kwargs

    def prepare(self, form: forms.ActionForm) -> None:
        # The message choices follow the channel and the target: htmx asks again on a change.
        for name in ("target", "channel"):
            form.fields[name].widget.attrs.update(
                {
                    "hx-get": self.request.path,
                    "hx-trigger": "change",
                    "hx-include": "closest form",
                    "hx-target": "#action-form",
                    "hx-select": "#action-form",
                    "hx-swap": "outerHTML",
                }
            )

    def extra_context(self) -> dict[str, Any]:
        line = access_line_for(self.case)
        participant = self.case.participant
        first = participant.preferred_name or participant.full_name.split(" ")[0]
        return {
            "badges": selectors.consent_badges(self.evaluation.state.participant),
            "open_outreach": [
                selectors.OpenOutreach(p, None) for p in self.evaluation.state.open_outreach
            ],
            "access_line": line,
            "first_name": first,
            "risk": self.case.risk_level,  # the one stored risk (ADR 0025)
            "refresh_label": "Show the messages the consent allows by",
            "window": self.window,
        }


class CallbackView(CaseActionView):
    form_class = forms.CallbackForm
    title = "Request a clinical call back"
    submit = "Request the call back"
    done = "Call back requested."

    service = staticmethod(callback_request)
    fields = ("reason",)

    def service_kwargs(self, form: forms.ActionForm) -> dict[str, Any]:
        return {**super().service_kwargs(form), "not_before": form.optional_instant("not_before")}


class OutreachRequestView(CaseActionView):
    form_class = forms.OutreachRequestForm
    on_closed_case = True
    title = "Request an outreach or a check-in"
    submit = "Request"
    done = "Outreach requested."

    service = staticmethod(outreach_request)
    fields = ("purpose", "target", "reason")

    def service_kwargs(self, form: forms.ActionForm) -> dict[str, Any]:
        return {**super().service_kwargs(form), "due": form.optional_instant("due")}

    def perform(self, form: forms.ActionForm) -> str:
        done = super().perform(form)
        return "Check-in requested." if form.cleaned_data["purpose"] == "checkin" else done

    def prepare(self, form: forms.ActionForm) -> None:
        # A closed case takes a check-in and no other outreach (the service refuses the rest).
        if self.case.status == CaseStatus.CLOSED:
            purpose = form.fields["purpose"]
            assert isinstance(purpose, ChoiceField)
            purpose.choices = [(Purpose.CHECKIN.value, Purpose.CHECKIN.label)]
            purpose.initial = Purpose.CHECKIN
            form.initial["purpose"] = Purpose.CHECKIN


class OutreachCloseView(CaseActionView):
    form_class = forms.OutreachCloseForm
    on_closed_case = True
    title = "Close an outreach"
    submit = "Close the outreach"
    done = "Outreach closed."
    target_model = OutreachRequest
    extra_template = "cases/partials/outreach_close_extra.html"

    service = staticmethod(outreach_close)
    subject = "request"
    fields = ("reason",)

    @cached_property
    def breaches(self) -> list[dict[str, str]]:
        return _breach_lines(
            selectors.closing_would_breach(
                self.case, self.events, self.now, outreach=self.target.event_id
            )
        )

    def extra_context(self) -> dict[str, Any]:
        progress = next(
            (p for p in self.evaluation.state.open_outreach if p.id == self.target.event_id), None
        )
        return {
            "outreach": selectors.OpenOutreach(progress, self.target) if progress else None,
            "breaches": self.breaches,
        }

    def prepare(self, form: forms.ActionForm) -> None:
        # Closing needs a reason exactly when the policy says it would breach something.
        form.offer_confirm = bool(self.breaches)
        form.fields["confirm"].required = form.offer_confirm


class SessionView(CaseActionView):
    form_class: ClassVar[type[forms.ActionForm]] = forms.SessionForm
    title = "Record a session"
    submit = "Record the session"
    done = "Session recorded."
    extra_template = "cases/partials/ledger_extra.html"

    service: ClassVar[Callable[..., Any]] = staticmethod(session_record)
    fields: ClassVar[tuple[str, ...]] = ("attendance", "modality", "duration_minutes", "note")

    def extra_context(self) -> dict[str, Any]:
        return {"ledger": self.ledger, "review_pending": self.evaluation.state.review_pending}

    def perform(self, form: forms.ActionForm) -> str:
        done = super().perform(form)
        attendance = form.cleaned_data.get("attendance", Attendance.ATTENDED)
        if attendance == Attendance.ATTENDED:
            return done
        return f"Recorded: {Attendance(attendance).label}, not a session held."


class ReviewView(SessionView):
    form_class = forms.ReviewForm
    title = "First-session review"
    submit = "Record the review"
    done = "Review recorded."

    def form_kwargs(self) -> dict[str, Any]:
        transition = transition_sessions(bridge.policy_packs(), self.now)
        return {
            **super().form_kwargs(),
            "remaining": self.ledger.remaining,
            "transition": transition,
        }

    service = staticmethod(review_complete)
    fields = ("decision", "transition_destination", "rationale")

    def service_kwargs(self, form: forms.ActionForm) -> dict[str, Any]:
        assert isinstance(form, forms.ReviewForm)
        return {
            **super().service_kwargs(form),
            "sessions": form.decision_sessions(),
            "resources": form.resource_list(),
        }


class NoteView(CaseActionView):
    form_class = forms.NoteForm
    on_closed_case = True
    title = "Add a note"
    submit = "Add the note"
    done = "Note added."

    service = staticmethod(note_add)
    fields = ("summary", "next_step")


class QueryView(CaseActionView):
    form_class = forms.QueryForm
    on_closed_case = True
    title = "Record a participant query"
    submit = "Record the query"
    done = "Query recorded."

    service = staticmethod(query_record)
    fields = ("text", "channel")


class QueryResolveView(CaseActionView):
    form_class = forms.QueryResolveForm
    on_closed_case = True
    title = "Resolve a participant query"
    submit = "Resolve the query"
    done = "Query resolved."
    target_model = ParticipantQuery

    service = staticmethod(query_resolve)
    subject = "query"
    fields = ("resolution",)


class DissatisfactionView(CaseActionView):
    form_class = forms.DissatisfactionForm
    title = "Record dissatisfaction"
    intro = "Recording it escalates the case to WPO at the same time."
    submit = "Record and escalate to WPO"
    done = "Dissatisfaction recorded and escalated to WPO."

    service = staticmethod(dissatisfaction_record)
    fields = ("aspect", "description")


class EscalationView(CaseActionView):
    form_class = forms.EscalationForm
    title = "Escalate to WPO"
    intro = "For a participant's dissatisfaction, record the dissatisfaction instead."
    submit = "Escalate to WPO"
    done = "Escalated to WPO."

    service = staticmethod(escalation_raise)
    fields = ("reason", "summary")


class EmailAcknowledgeView(CaseActionView):
    """Acknowledge an email; a participant's is answered with the reply previewed here (the
    client organisation's template), sent by the worker (ADR 0031)."""

    form_class: ClassVar[type[forms.ActionForm]] = forms.EmailAcknowledgeForm
    on_closed_case = True
    title = "Acknowledge an email"
    submit = "Acknowledge"
    done = "Email acknowledged."
    target_model = Email
    extra_template = "cases/partials/email_extra.html"

    service: ClassVar[Callable[..., Any]] = staticmethod(email_acknowledge)
    subject = "email"

    @cached_property
    def draft(self) -> mail.Draft | None:
        if self.target is None or self.target.acknowledged_at is not None:
            return None
        return mail.acknowledgement_draft(self.target)

    def perform(self, form: forms.ActionForm) -> str:
        replies = self.draft is not None
        done = super().perform(form)
        return (
            "Email acknowledged; the reply is queued and its status shows below."
            if replies
            else done
        )

    def extra_context(self) -> dict[str, Any]:
        email = self.target
        if email is None or email.acknowledged_at is not None:
            return {"show_preview": False}
        if email.sender_kind != "participant":
            reason = "No reply is sent to an email from WPO."
        elif not email.from_address:
            reason = "No reply is sent: the email has no sender's address."
        else:
            reason = "No reply is sent: the participant does not accept email messages."
        return {
            "show_preview": True,
            "submit": "Acknowledge and send the reply" if self.draft else self.submit,
            "draft": self.draft,
            "preview_title": "The reply that will be sent",
            "no_mail_reason": reason,
        }


class EmailActionView(EmailAcknowledgeView):
    form_class = forms.EmailActionForm
    title = "Action an email"
    submit = "Mark as actioned"
    done = "Email actioned."

    service = staticmethod(email_action)
    subject = "email"
    fields = ("summary",)

    @cached_property
    def draft(self) -> mail.Draft | None:
        return None

    def extra_context(self) -> dict[str, Any]:
        return {"show_preview": False}


class DetailedEmailView(CaseActionView):
    """An unsuccessful attempt by email with a detailed message: the message previewed here
    (the client organisation's template: the access line for the participant's country), the
    attempt recorded and the mail queued in one write. Refused where the participant refused
    email messages (the engine's CM-MESSAGE-CONSENT)."""

    form_class = forms.DetailedEmailForm
    on_closed_case = True
    title = "Send a detailed message by email"
    intro = (
        "After an unsuccessful attempt: the participant is asked to call their access line. "
        "This records an unsuccessful email attempt with a detailed message."
    )
    submit = "Record the attempt and send"
    done = "Attempt recorded; the detailed message is queued and its status shows below."
    extra_template = "cases/partials/mail_preview.html"

    service = staticmethod(detailed_email_send)
    fields = ("summary",)

    def extra_context(self) -> dict[str, Any]:
        draft: mail.Draft | None = None
        reason = ""
        if not mail.email_messages_allowed(self.case):
            reason = "Nothing can be sent: the participant does not accept email messages."
        else:
            try:
                draft = mail.detailed_message_draft(self.case)
            except ServiceError as exc:
                reason = f"Nothing can be sent: {exc.message}."
        return {"draft": draft, "no_mail_reason": reason}


class EmailUrgencyView(EmailAcknowledgeView):
    form_class = forms.EmailUrgencyForm
    title = "Change an email's urgency"
    intro = (
        "Urgent email comes first in the email queue and on My work, and its reminders go out "
        "at once, at any hour. The email keeps the urgency it arrived with in its history."
    )
    submit = "Change the urgency"
    done = "Urgency changed."

    service = staticmethod(email_urgency_change)
    subject = "email"
    fields = ("reason",)

    def prepare(self, form: forms.ActionForm) -> None:
        if not form.is_bound and self.target is not None:
            form.initial.setdefault("urgency", "routine" if self.target.urgent else "urgent")

    def service_kwargs(self, form: forms.ActionForm) -> dict[str, Any]:
        return {**super().service_kwargs(form), "urgent": form.cleaned_data["urgency"] == "urgent"}


class ProviderResponseView(CaseActionView):
    form_class = forms.ProviderResponseForm
    on_closed_case = True
    title = "Answer a provider contact"
    submit = "Record the answer"
    done = "Answer to the provider recorded."
    target_model = ProviderContact
    extra_template = "cases/partials/provider_contact_extra.html"

    service = staticmethod(provider_contact_respond)
    subject = "contact"
    fields = ("response",)


class NotesReviewView(CaseActionView):
    form_class = forms.NotesReviewForm
    on_closed_case = True
    title = "Review uploaded case notes"
    submit = "Record the review"
    done = "Case notes review recorded."
    target_model = CaseNotesUpload
    extra_template = "cases/partials/notes_extra.html"

    service = staticmethod(case_notes_review)
    subject = "upload"
    fields = ("note", "issues_found")

    #: Text shown on the page at most (a longer file is read whole through its link).
    TEXT_LIMIT = 200_000

    def extra_context(self) -> dict[str, Any]:
        """The file to review: its download link, and a PDF or a text shown in the page."""
        upload = self.target
        if upload is None or not upload.file:
            return {}
        args = {"ref": self.case.reference, "upload_id": upload.pk}
        context: dict[str, Any] = {
            "download_url": reverse("providers:notes_download", kwargs=args),
            "inline_url": "",
            "text": None,
        }
        if upload.content_type == "application/pdf":
            context["inline_url"] = reverse("providers:notes_inline", kwargs=args)
        elif upload.content_type == "text/plain":
            try:
                with upload.file.open("rb") as handle:
                    raw = handle.read(self.TEXT_LIMIT + 1)
            except FileNotFoundError:
                return context
            context["text"] = raw[: self.TEXT_LIMIT].decode("utf-8", errors="replace")
            context["text_cut"] = len(raw) > self.TEXT_LIMIT
        return context


class CloseView(CaseActionView):
    form_class = forms.CloseForm
    title = "Close the case"
    submit = "Close the case"
    done = "Case closed."
    extra_template = "cases/partials/close_extra.html"

    # Closing brings the check-in the client's procedures ask for (ADR 0027).
    service = staticmethod(case_close_with_checkin)
    fields = ("outcome", "note")

    @cached_property
    def breaches(self) -> list[dict[str, str]]:
        return _breach_lines(selectors.closing_would_breach(self.case, self.events, self.now))

    def prepare(self, form: forms.ActionForm) -> None:
        form.offer_confirm = bool(self.breaches)
        form.fields["confirm"].required = form.offer_confirm

    def extra_context(self) -> dict[str, Any]:
        words = CaseWords.of_events(self.events, self.case.partner.timezone)
        open_deadlines = [
            f"{rule_title(o.rule)} ({words.event(o.trigger)})"
            for o in selectors.open_deadlines(self.case)
        ]
        return {
            "breaches": self.breaches,
            "open_deadlines": open_deadlines,
            "checkin": selectors.checkin_on_closure(self.case, self.now),
        }


class ReopenView(CaseActionView):
    form_class = forms.ReopenForm
    title = "Reopen the case"
    intro = (
        "The case takes every action of an open case again. What its closing left unmet stays "
        "on the record as it was."
    )
    submit = "Reopen the case"
    done = "Case reopened."
    on_closed_case = True

    service = staticmethod(case_reopen)
    fields = ("reason",)
