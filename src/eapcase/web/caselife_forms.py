"""Forms of the case-life pages: finding or registering a participant and opening a case
(/cases/new/), allocation (/work/unallocated/), setting risk and editing contact details from
the case page. They check shape only; the services decide."""

from __future__ import annotations

from typing import Any

from django import forms

from eapcase.cases.choices import CaseType, Referral, RiskLevel
from eapcase.web.case_forms import ActionForm, _style, local_datetime, text

PREFERENCE_LABELS = {
    "phone": "Has a phone we may call",
    "email": "Has an email address we may write to",
    "voicemail_ok": "Voicemail messages allowed",
    "email_messages_ok": "Email messages allowed",
    "email_only": "Contact by email only",
    "email_consent": "Consents to email",
}


def _styled(form: forms.Form) -> None:
    for field in form.fields.values():
        _style(field.widget)


class ParticipantSearchForm(forms.Form):
    """Find the participant before registering them (GET)."""

    name = forms.CharField(label="Name", required=False, max_length=200)
    date_of_birth = forms.DateField(
        label="Date of birth", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    phone = forms.CharField(label="Phone", required=False, max_length=40)
    email = forms.CharField(label="Email", required=False, max_length=254)
    employee_number = forms.CharField(label="Employee number", required=False, max_length=40)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _styled(self)

    def searched(self) -> bool:
        return self.is_bound and self.is_valid() and any(self.cleaned_data.values())


class RegisterForm(forms.Form):
    """A new participant: who they are, how to reach them and what they allow."""

    prefix = "p"
    full_name = forms.CharField(label="Full name", max_length=200)
    preferred_name = forms.CharField(label="Preferred name", required=False, max_length=100)
    date_of_birth = forms.DateField(
        label="Date of birth", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    client: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label="Client organisation",
        queryset=None,
        required=False,
        empty_label="Choose by name, or give the access line below",
    )
    access_line = forms.CharField(
        label="Access line they called",
        required=False,
        max_length=40,
        help_text="Finds the client organisation when it is not chosen above.",
    )
    employee_number = forms.CharField(label="Employee number", required=False, max_length=40)
    phone = forms.CharField(label="Phone", required=False, max_length=40)
    email = forms.EmailField(label="Email", required=False)
    language = forms.CharField(label="Preferred language", required=False, max_length=40)
    interpreter_needed = forms.BooleanField(label="Needs an interpreter", required=False)
    country = forms.CharField(
        label="Country", max_length=2, help_text="Two-letter code, e.g. GB, IE, US."
    )
    region = forms.CharField(
        label="Region", required=False, max_length=60, help_text="State, province or region."
    )
    voicemail_ok = forms.BooleanField(label=PREFERENCE_LABELS["voicemail_ok"], required=False)
    email_messages_ok = forms.BooleanField(
        label=PREFERENCE_LABELS["email_messages_ok"], required=False
    )
    email_only = forms.BooleanField(label=PREFERENCE_LABELS["email_only"], required=False)
    email_consent = forms.BooleanField(label=PREFERENCE_LABELS["email_consent"], required=False)

    def __init__(self, *args: Any, clients: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["client"]
        field.queryset = clients
        _styled(self)

    def preferences(self) -> dict[str, bool]:
        data = self.cleaned_data
        return {
            "phone": bool(data["phone"]),
            "email": bool(data["email"]),
            "voicemail_ok": data["voicemail_ok"],
            "email_messages_ok": data["email_messages_ok"],
            "email_only": data["email_only"],
            "email_consent": data["email_consent"],
        }


class CaseOpenForm(forms.Form):
    """The case: what brings them, the risk screen, a call back, the Partner and a referral."""

    prefix = "c"
    case_type = forms.ChoiceField(label="Case type", choices=CaseType.choices)
    referral = forms.ChoiceField(
        label="Referral route",
        choices=Referral.choices,
        help_text="Management referrals, critical incidents and frequent-user cases are "
        "recorded outside this policy and listed for WPO.",
    )
    presenting_issue = forms.CharField(label="Presenting issue", max_length=200)
    risk_level = forms.ChoiceField(
        label="Risk screen", choices=RiskLevel.choices, initial=RiskLevel.NONE
    )
    risk_reason = forms.CharField(
        label="What was identified",
        required=False,
        max_length=500,
        help_text="Required when a risk is identified.",
    )
    callback = forms.BooleanField(label="The participant asked for a call back", required=False)
    callback_not_before = local_datetime("Call back not before", help_text="Optional.")
    partner: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label="Partner",
        queryset=None,
        required=False,
        empty_label="The Partner proposed",
    )
    partner_reason = forms.CharField(
        label="Why this Partner",
        required=False,
        max_length=500,
        help_text="Needed when you choose another Partner than the one proposed.",
    )
    provider: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label="Refer to a provider", queryset=None, required=False, empty_label="No referral yet"
    )
    benefit_sessions = forms.IntegerField(
        label="Sessions of the benefit",
        required=False,
        min_value=0,
        help_text="Left empty: what remains of the client's benefit.",
    )
    benefit_reason = forms.CharField(label="Why another benefit", required=False, max_length=500)

    def __init__(self, *args: Any, partners: Any, providers: Any, wpo: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        partner: Any = self.fields["partner"]
        partner.queryset = partners
        provider: Any = self.fields["provider"]
        provider.queryset = providers
        if not wpo:
            # The benefit is WPO's to change; Partner staff open for their own Partner.
            del self.fields["benefit_sessions"]
            del self.fields["benefit_reason"]
            del self.fields["partner_reason"]
            if partners.count() <= 1:
                del self.fields["partner"]
        _styled(self)


def put_error(form: forms.Form, field: str | None, message: str) -> bool:
    """A service's refusal beside the field it names; False when this form has no such
    field."""
    if field and field in form.fields:
        form.add_error(field, message)
        return True
    return False


class RiskForm(ActionForm):
    level = forms.ChoiceField(label="Risk", choices=RiskLevel.choices, widget=forms.RadioSelect)
    reason = text("Why", help_text="What was identified, or why the risk is cleared.")
    at = local_datetime("When", help_text="Leave empty for now.")


class ContactDetailsForm(ActionForm):
    """The participant's contact details and preferences, as they stand (initial values)."""

    full_name = forms.CharField(label="Full name", max_length=200)
    preferred_name = forms.CharField(label="Preferred name", required=False, max_length=100)
    phone = forms.CharField(label="Phone", required=False, max_length=40)
    email = forms.EmailField(label="Email", required=False)
    employee_number = forms.CharField(label="Employee number", required=False, max_length=40)
    language = forms.CharField(label="Preferred language", required=False, max_length=40)
    interpreter_needed = forms.BooleanField(label="Needs an interpreter", required=False)
    country = forms.CharField(label="Country", required=False, max_length=2)
    region = forms.CharField(label="Region", required=False, max_length=60)
    voicemail_ok = forms.BooleanField(label=PREFERENCE_LABELS["voicemail_ok"], required=False)
    email_messages_ok = forms.BooleanField(
        label=PREFERENCE_LABELS["email_messages_ok"], required=False
    )
    email_only = forms.BooleanField(label=PREFERENCE_LABELS["email_only"], required=False)
    email_consent = forms.BooleanField(label=PREFERENCE_LABELS["email_consent"], required=False)
    source = forms.ChoiceField(
        label="Who said so",
        choices=[("participant", "The participant"), ("partner", "Recorded by the Partner")],
        initial="participant",
    )
    at = local_datetime("When stated", help_text="Leave empty for now.")

    DETAILS = (
        "full_name",
        "preferred_name",
        "phone",
        "email",
        "employee_number",
        "language",
        "interpreter_needed",
        "country",
        "region",
    )
    PREFERENCES = ("voicemail_ok", "email_messages_ok", "email_only", "email_consent")


class AllocateForm(forms.Form):
    clinician = forms.TypedChoiceField(label="Clinician", coerce=int, choices=())
    reason = forms.CharField(label="Why", required=False, max_length=500)

    def __init__(self, *args: Any, clinicians: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.clinicians = {u.pk: u for u in clinicians}
        field: Any = self.fields["clinician"]
        field.choices = [(u.pk, u.get_full_name() or u.username) for u in clinicians]

    def clean_clinician(self) -> Any:
        return self.clinicians[self.cleaned_data["clinician"]]
