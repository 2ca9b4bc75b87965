"""Pages of a case's life: opening a case at /cases/new/ (find the participant, or register
them, then the case), the Partner's unallocated cases at /work/unallocated/ (allocate, or take
one), and, from the case page, setting risk and editing contact details and preferences. Each
write is one service call; refusals come back beside their fields."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from eapcase.accounts.acting import acting_user
from eapcase.cases.access import Action, access_case, cases_visible_to, partners_opening_for
from eapcase.cases.eligibility import benefit_quote, client_by_access_line, partner_propose
from eapcase.cases.reads import read_record
from eapcase.cases.record import StaleWrite, expecting
from eapcase.cases.services import case_assign, participant_details_update, risk_set
from eapcase.compliance.opening import NewParticipant, case_intake, origin_find
from eapcase.core import clock
from eapcase.core.errors import NotFound, PermissionDenied, ServiceError
from eapcase.organisations.models import ClientOrganisation, Partner, Provider
from eapcase.web import caselife_forms as forms
from eapcase.web import caselife_selectors as selectors
from eapcase.web.case_forms import ActionForm
from eapcase.web.case_views import CaseActionView, stale_page
from eapcase.web.selectors import clinician_list_for_partners

# Which form a service's refusal belongs beside.
_REGISTER_FIELDS = {"full_name", "country", "client", "email", "phone", "region"}
_CASE_FIELD_MAP = {"not_before": "callback_not_before", "level": "risk_level"}


def _opening(request: HttpRequest) -> list[int] | None:
    opening = partners_opening_for(request.user)
    if opening is not None and not opening:
        raise DjangoPermissionDenied("Opening cases is for clinicians and clinical leads.")
    return opening


# --- /cases/new/ ------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def case_new(request: HttpRequest) -> HttpResponse:
    """Find the participant (GET with search fields), then open a case for one found
    (`participant=<id>`) or for one registered on the same form (`register=1`)."""
    opening = _opening(request)
    now = clock.now()
    wpo = opening is None
    data = request.POST if request.method == "POST" else None
    source = request.POST if data is not None else request.GET
    search = forms.ParticipantSearchForm(request.GET or None)
    found = (
        selectors.participant_search(user=request.user, **search.cleaned_data)
        if (search.searched())
        else []
    )

    # Opened from an email in triage (ADR 0030): found again on every request, so an email
    # filed meanwhile, or not the user's, is a 404 rather than a second filing.
    origin = None
    if source.get("from_email"):
        origin = origin_find(user=request.user, kind="email", pk=source.get("from_email"))
        if origin is None:
            raise Http404("No such email waiting in triage.")

    participant = None
    if source.get("participant"):
        participant = selectors.participant_get(
            user=request.user, participant_id=source.get("participant")
        )
        if participant is None:
            raise Http404("No such participant.")
    registering = participant is None and bool(source.get("register"))

    partners = Partner.objects.filter(active=True).order_by("name")
    if not wpo:
        partners = partners.filter(pk__in=opening)
    if origin is not None and origin.partner is not None:
        partners = partners.filter(pk=origin.partner.pk)
    providers = Provider.objects.filter(active=True, partners__in=partners).distinct()
    clients = ClientOrganisation.objects.filter(active=True).order_by("name")
    initial_register = {
        k: v
        for k, v in {
            "full_name": request.GET.get("name", ""),
            "date_of_birth": request.GET.get("date_of_birth", ""),
            "phone": request.GET.get("phone", ""),
            "email": request.GET.get("email", ""),
            "employee_number": request.GET.get("employee_number", ""),
            "voicemail_ok": True,
            "email_messages_ok": True,
            "email_consent": True,
        }.items()
        if v != ""
    }
    register_form = (
        forms.RegisterForm(data, clients=clients, initial=initial_register) if registering else None
    )
    case_form = (
        forms.CaseOpenForm(data, partners=partners, providers=providers, wpo=wpo)
        if participant is not None or registering
        else None
    )
    errors: list[str] = []
    quote = proposal = None

    if data is not None and case_form is not None:
        valid = case_form.is_valid() & (register_form is None or register_form.is_valid())
        new = _new_participant(register_form) if valid and register_form is not None else None
        if new is not None and new.client is None and register_form is not None:
            register_form.add_error(
                "client",
                "Choose the client organisation, or give the access line the participant called.",
            )
            valid = False
        if valid:
            c = case_form.cleaned_data
            client = participant.client if participant is not None else new.client  # type: ignore[union-attr]
            if "check" in data:
                quote, proposal, errors = _check(participant, new, client, now)
            else:
                try:
                    case = case_intake(
                        actor=acting_user(request),
                        now=now,
                        participant=participant,
                        new_participant=new,
                        referral=c["referral"],
                        case_type=c["case_type"],
                        presenting_issue=c["presenting_issue"],
                        risk_level=c["risk_level"],
                        risk_reason=c["risk_reason"],
                        callback=c["callback"],
                        callback_not_before=c["callback_not_before"],
                        partner=c.get("partner"),
                        partner_reason=c.get("partner_reason") or "",
                        provider=c["provider"],
                        benefit_sessions=c.get("benefit_sessions"),
                        benefit_reason=c.get("benefit_reason") or "",
                        origin=origin,
                    )
                except ServiceError as exc:
                    name = _CASE_FIELD_MAP.get(exc.field or "", exc.field)
                    placed = (
                        register_form is not None
                        and name in _REGISTER_FIELDS
                        and forms.put_error(register_form, name, exc.message)
                    ) or forms.put_error(case_form, name, exc.message)
                    if not placed:
                        errors.append(exc.message)
                else:
                    filed = " The email is filed on it." if origin is not None else ""
                    messages.success(request, f"Case {case.reference} is open.{filed}")
                    return HttpResponseRedirect(
                        reverse("cases:detail", kwargs={"ref": case.reference})
                    )
    elif participant is not None:
        quote, proposal, errors = _check(participant, None, participant.client, now)

    for form in (register_form, case_form):
        if form is not None:
            for name in form.errors:
                if name in form.fields:
                    widget = form.fields[name].widget
                    widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()
    invalid = bool(errors) or any(f is not None and f.errors for f in (register_form, case_form))
    status = 400 if data is not None and invalid else 200
    return render(
        request,
        "cases/new.html",
        {
            "search": search,
            "found": found,
            # Who has a case the user reads: their name links to the participant page.
            "readable": set(
                cases_visible_to(request.user)
                .filter(participant__in=[r.participant.pk for r in found])
                .values_list("participant_id", flat=True)
            )
            if found
            else set(),
            "searched": search.searched(),
            "participant": participant,
            "registering": registering,
            "register_form": register_form,
            "case_form": case_form,
            "errors": errors,
            "quote": quote,
            "proposal": proposal,
            "wpo": wpo,
            "register_query": request.GET.urlencode(),
            "origin": origin,
        },
        status=status,
    )


def _new_participant(form: forms.RegisterForm) -> NewParticipant:
    d = form.cleaned_data
    client = d["client"] or client_by_access_line(d["access_line"])
    return NewParticipant(
        full_name=d["full_name"],
        client=client,
        preferred_name=d["preferred_name"],
        date_of_birth=d["date_of_birth"],
        phone=d["phone"],
        email=d["email"],
        employee_number=d["employee_number"],
        language=d["language"],
        interpreter_needed=d["interpreter_needed"],
        country=d["country"],
        region=d["region"],
        preferences=form.preferences(),
    )


def _check(
    participant: Any, new: NewParticipant | None, client: Any, now: Any
) -> tuple[Any, Any, list[str]]:
    """The benefit left and the Partner proposed, shown before the case is opened."""
    country = participant.country if participant is not None else new.country  # type: ignore[union-attr]
    region = participant.region if participant is not None else new.region  # type: ignore[union-attr]
    proposal = partner_propose(client=client, country=country, region=region)
    try:
        quote = benefit_quote(participant=participant, client=client, at=now)
    except ServiceError as exc:
        return None, proposal, [exc.message]
    return quote, proposal, []


# --- /work/unallocated/ -------------------------------------------------------------------------


@login_required
@require_http_methods(["GET"])
def unallocated(request: HttpRequest) -> HttpResponse:
    """The open cases no clinician has yet: a lead (or WPO) allocates, a clinician takes."""
    opening = _opening(request)
    return _unallocated_page(request, opening)


def _unallocated_page(
    request: HttpRequest, opening: list[int] | None, errors: dict[str, str] | None = None
) -> HttpResponse:
    cases = list(selectors.unallocated_list(user=request.user, partner_ids=opening))
    teams = clinician_list_for_partners(partner_ids=sorted({c.partner_id for c in cases}))
    rows = [
        {
            "case": c,
            "clinicians": teams.get(c.partner_id, []),
            "may_assign": _may(request.user, c, Action.ASSIGN),
            "error": (errors or {}).get(c.reference, ""),
        }
        for c in cases
    ]
    return render(
        request,
        "web/unallocated.html",
        {"rows": rows, "now": clock.now()},
        status=400 if errors else 200,
    )


def _may(user: Any, case: Any, action: Action) -> bool:
    try:
        access_case(user=user, case_ref=case.reference, action=action)
    except ServiceError:
        return False
    return True


def _version(request: HttpRequest) -> int | None:
    """The case's version the list showed (ADR 0038); none, or not a number: not checked."""
    value = request.POST.get("version", "")
    return int(value) if value.isdecimal() else None


@login_required
@require_POST
def unallocated_allocate(request: HttpRequest, ref: str) -> HttpResponse:
    """A clinical lead (or WPO) gives the case to a clinician of its Partner; `take` gives it to
    the clinician asking."""
    opening = _opening(request)
    take = "take" in request.POST
    try:
        case = access_case(
            user=request.user, case_ref=ref, action=Action.MANAGE if take else Action.ASSIGN
        )
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except PermissionDenied as exc:
        raise DjangoPermissionDenied(exc.message) from exc
    error = ""
    clinician: Any
    if take:
        clinician = request.user
        reason = "took the case from the unallocated list"
    else:
        team = clinician_list_for_partners(partner_ids=[case.partner_id])
        form = forms.AllocateForm(request.POST, clinicians=team.get(case.partner_id, []))
        clinician = form.cleaned_data["clinician"] if form.is_valid() else None
        reason = form.cleaned_data.get("reason", "") if form.is_valid() else ""
        if clinician is None:
            error = f"Choose a clinician of {case.partner.name}."
    if not error:
        try:
            with expecting(case, _version(request)):
                case_assign(
                    actor=acting_user(request),
                    case=case,
                    clinician=clinician,
                    now=clock.now(),
                    reason=reason,
                )
        except StaleWrite as exc:
            back = reverse("web:unallocated")
            return stale_page(
                request, exc, retry_url=back, back_url=back, retry_label="Back to the list"
            )
        except ServiceError as exc:
            error = exc.message
        else:
            name = clinician.get_full_name() or clinician.username
            messages.success(request, f"Case {case.reference} is now with {name}.")
            return HttpResponseRedirect(reverse("web:unallocated"))
    return _unallocated_page(request, opening, {case.reference: error})


# --- from the case page -------------------------------------------------------------------------


class RiskView(CaseActionView):
    form_class = forms.RiskForm
    title = "Set risk"
    intro = (
        "The risk shown on every page for this case (header, handover, My work, WPO's "
        "escalations, the provider's referral)."
    )
    submit = "Set the risk"
    done = "Risk recorded."

    def prepare(self, form: ActionForm) -> None:
        if not form.is_bound:
            form.initial.setdefault("level", self.case.risk_level)

    def perform(self, form: ActionForm) -> str:
        d = form.cleaned_data
        risk_set(
            actor=acting_user(self.request),
            case=self.case,
            level=d["level"],
            reason=d["reason"],
            now=self.now,
            at=form.instant(),
        )
        return f"Risk set to {d['level']}." if d["level"] != "none" else "Risk cleared."


class ContactDetailsView(CaseActionView):
    form_class = forms.ContactDetailsForm
    title = "Contact details and preferences"
    intro = (
        "Changed preferences are recorded on every open case of the participant, so later "
        "attempts are judged by them."
    )
    submit = "Save the changes"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # The participant's details, shown: a read of case data (ADR 0035).
        read_record(request, action="participant.read", case=self.case, obj=self.case.participant)
        return super().get(request, *args, **kwargs)

    def prepare(self, form: ActionForm) -> None:
        if not form.is_bound:
            participant = self.case.participant
            for name in (*forms.ContactDetailsForm.DETAILS, *forms.ContactDetailsForm.PREFERENCES):
                form.initial.setdefault(name, getattr(participant, name))

    def perform(self, form: ActionForm) -> str:
        d = form.cleaned_data
        participant_details_update(
            actor=acting_user(self.request),
            participant=self.case.participant,
            details={name: d[name] for name in forms.ContactDetailsForm.DETAILS},
            preferences={name: d[name] for name in forms.ContactDetailsForm.PREFERENCES},
            source=d["source"],
            now=self.now,
            at=form.instant(),
        )
        return "Contact details saved."
