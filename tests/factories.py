"""factory-boy factories for the reference data and people of eapcase, and helpers that open
cases through the services (a case must carry its history: never build one with a factory).

Instants are fixed: MONDAY is Mon 2 March 2026 09:30 UTC (London is on GMT until 29 March),
and OPENED half an hour earlier is when the helpers open cases."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any

import factory
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import models as dj_models

from eapcase.accounts.choices import Role
from eapcase.accounts.models import Membership, User
from eapcase.organisations.models import (
    AccessLine,
    Benefit,
    ClientOrganisation,
    ClientProcedure,
    Operator,
    Partner,
    PartnerClosedDate,
    Provider,
    ProviderPractice,
)

OPENED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # Monday, London opening time (GMT)
MONDAY = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
PASSWORD = "correct horse battery staple"


def _hashed(password: str) -> str:
    """The real hash, made once per password and hasher: hashing costs ~0.1 s a user. Keyed
    by the hasher in force, because some tests switch to a fast one: a hash cached under it
    must not reach a test that runs with the production hashers."""
    return _hashed_with(password, settings.PASSWORD_HASHERS[0])


@lru_cache(maxsize=16)
def _hashed_with(password: str, hasher: str) -> str:
    return make_password(password)


# --- people ------------------------------------------------------------------------------------


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Sequence(lambda n: f"First{n}")
    last_name = "Tester"
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.test")
    password = factory.django.Password(PASSWORD, transform=_hashed)
    is_active = True


class MembershipFactory(factory.django.DjangoModelFactory):
    """A WPO clinician by default; the subclasses below give every role its organisation."""

    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    role = Role.WPO_CLINICIAN
    partner = None
    provider = None
    active = True


class WpoClinicianMembershipFactory(MembershipFactory):
    role = Role.WPO_CLINICIAN


class WpoAdminMembershipFactory(MembershipFactory):
    role = Role.WPO_ADMIN


class PartnerClinicianMembershipFactory(MembershipFactory):
    role = Role.PARTNER_CLINICIAN
    partner = factory.SubFactory("tests.factories.PartnerFactory")


class PartnerLeadMembershipFactory(PartnerClinicianMembershipFactory):
    role = Role.PARTNER_LEAD


class PartnerAdminMembershipFactory(PartnerClinicianMembershipFactory):
    role = Role.PARTNER_ADMIN


class ProviderMembershipFactory(MembershipFactory):
    role = Role.PROVIDER
    provider = factory.SubFactory("tests.factories.ProviderFactory")


MEMBERSHIP_FACTORIES: dict[str, type[MembershipFactory]] = {
    Role.WPO_CLINICIAN: WpoClinicianMembershipFactory,
    Role.WPO_ADMIN: WpoAdminMembershipFactory,
    Role.PARTNER_CLINICIAN: PartnerClinicianMembershipFactory,
    Role.PARTNER_LEAD: PartnerLeadMembershipFactory,
    Role.PARTNER_ADMIN: PartnerAdminMembershipFactory,
    Role.PROVIDER: ProviderMembershipFactory,
}


def user_with_role(role: str, **membership: Any) -> User:
    """A user holding one active membership of `role` (organisation made when not given)."""
    return MEMBERSHIP_FACTORIES[role](**membership).user


# --- organisations -----------------------------------------------------------------------------


class OperatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Operator

    name = "Wellbeing Partners Operator"
    escalation_email = "escalations@wpo.example.test"
    staff_email_domains = "wpo.example.test"


class PartnerFactory(factory.django.DjangoModelFactory):
    """A Partner on the London calendar: Mon-Fri 09:00-17:00, England's bank holidays."""

    class Meta:
        model = Partner
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"p-uk-{n}")
    name = factory.Sequence(lambda n: f"Partner UK {n}")
    timezone = "Europe/London"
    country = "GB"
    subdivision = "ENG"
    opening = time(9, 0)
    closing = time(17, 0)
    workdays = "Mon-Fri"
    email = factory.LazyAttribute(lambda o: f"cases@{o.code}.example.test")
    active = True


class PartnerClosedDateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PartnerClosedDate

    partner = factory.SubFactory(PartnerFactory)
    date = date(2026, 12, 31)
    reason = "Office closed"


class ProviderPracticeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProviderPractice

    name = factory.Sequence(lambda n: f"Counselling Practice {n}")
    country = "GB"
    phone = "+44 20 7946 0000"
    email = factory.Sequence(lambda n: f"practice{n}@example.test")


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider
        django_get_or_create = ("code",)
        skip_postgeneration_save = True

    practice = factory.SubFactory(ProviderPracticeFactory)
    code = factory.Sequence(lambda n: f"pr-{n}")
    name = factory.Sequence(lambda n: f"Provider {n}")
    phone = factory.Sequence(lambda n: f"+44 20 7946 1{n:03d}")
    email = factory.LazyAttribute(lambda o: f"{o.code}@example.test")
    country = "GB"
    subdivision = "ENG"
    modalities = "CBT"
    active = True

    @factory.post_generation
    def partners(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted:
            self.partners.add(*extracted)


class ClientOrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClientOrganisation
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"client-{n}")
    name = factory.Sequence(lambda n: f"Client Organisation {n}")
    countries = "GB"
    active = True


class BenefitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Benefit

    client = factory.SubFactory(ClientOrganisationFactory)
    sessions = 6
    unit = "per_issue"
    period = "contract_year"
    valid_from = date(2026, 1, 1)


class AccessLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AccessLine

    client = factory.SubFactory(ClientOrganisationFactory)
    country = "GB"
    language = "en"
    number = "0800 000 0000"


class ClientProcedureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClientProcedure

    client = factory.SubFactory(ClientOrganisationFactory)
    version = factory.Sequence(lambda n: n + 1)
    effective_from = date(2026, 1, 1)
    checkin_required = False
    checkin_trigger = ""
    instructions = "Call the HR helpline only with consent."


class ParticipantFactory(factory.django.DjangoModelFactory):
    """A participant who may be reached by phone and email and allows messages on both."""

    class Meta:
        model = "cases.Participant"

    client = factory.SubFactory(ClientOrganisationFactory)
    full_name = factory.Sequence(lambda n: f"Participant {n}")
    country = "GB"
    phone = factory.Sequence(lambda n: f"+44 7700 900{n:03d}")
    email = factory.Sequence(lambda n: f"participant{n}@example.test")
    has_phone = True
    has_email = True
    voicemail_ok = True
    email_messages_ok = True
    email_only = False
    email_consent = True
    created_at = OPENED - timedelta(days=1)


# --- cases, through the services ---------------------------------------------------------------


def open_case(
    *,
    actor: Any = None,
    partner: Partner | None = None,
    participant: Any = None,
    case_type: str = "individual",
    referral: str = "self",
    benefit_sessions: int = 6,
    now: datetime = OPENED,
    **kwargs: Any,
) -> Any:
    """Open a case through `cases.services.case_open` at `now` (OPENED by default)."""
    from eapcase.cases.services import case_open

    partner = partner or PartnerFactory()
    actor = actor or user_with_role(Role.PARTNER_CLINICIAN, partner=partner)
    return case_open(
        actor=actor,
        participant=participant or ParticipantFactory(),
        partner=partner,
        referral=referral,
        case_type=case_type,
        benefit_sessions=benefit_sessions,
        now=now,
        **kwargs,
    )


def clinician_of(case: Any) -> User:
    """A Partner clinician of the case's Partner."""
    return user_with_role(Role.PARTNER_CLINICIAN, partner=case.partner)


# --- what the database holds -------------------------------------------------------------------

STATE_MODELS = (
    "accounts.Membership",
    "cases.Participant",
    "cases.ContactPreference",
    "cases.Case",
    "cases.Session",
    "cases.Review",
    "cases.Authorisation",
    "cases.Note",
    "cases.ParticipantQuery",
    "cases.Dissatisfaction",
    "cases.CaseAssignment",
    "cases.RiskRecord",
    "outreach.OutreachRequest",
    "outreach.ContactAttempt",
    "outreach.Email",
    "providers.ProviderContact",
    "providers.InterventionEnd",
    "providers.CaseNotesUpload",
    "cases.CaseEvent",
    "cases.Obligation",
    "cases.Finding",
    "cases.Escalation",
    "audit.AuditEvent",
)

#: Audit rows that record no write: sign-ins (the test client's `force_login` makes them) and
#: reads of case data (ADR 0035). "Nothing was written" and `audit_of` leave them out; the
#: tests of reads and sign-ins (tests/audit, tests/security) look at them directly.
NOT_WRITES = ("auth.login", "auth.logout")


def _writes_only(rows: Any) -> Any:
    from eapcase.cases.reads import READ_ACTIONS

    return rows.exclude(action__in=NOT_WRITES).exclude(action__in=READ_ACTIONS)


def db_state() -> dict[str, list[dict[str, Any]]]:
    """Every row of the domain, history, projection and audit tables: compare before and after
    a refused write to show that nothing was written or changed."""
    from django.apps import apps

    state: dict[str, list[dict[str, Any]]] = {}
    for label in STATE_MODELS:
        model: type[dj_models.Model] = apps.get_model(label)
        rows = model.objects.order_by("pk")
        if label == "audit.AuditEvent":
            rows = _writes_only(rows)
        state[label] = list(rows.values())
    return state


# --- reading back what a write left ------------------------------------------------------------


def utc(day: int, hour: int, minute: int = 0, month: int = 3, year: int = 2026) -> datetime:
    """An instant in UTC (London is on GMT until 29 March 2026 and from 25 October)."""
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def obligations_of(case: Any) -> list[tuple[Any, ...]]:
    """(rule, trigger, opened_at, due_at, satisfied_at, satisfied_by, status), by rule."""
    from eapcase.cases.models import Obligation

    return list(
        Obligation.objects.filter(case=case)
        .order_by("rule", "trigger")
        .values_list(
            "rule", "trigger", "opened_at", "due_at", "satisfied_at", "satisfied_by", "status"
        )
    )


def obligation(case: Any, rule: str, trigger: str) -> Any:
    from eapcase.cases.models import Obligation

    return Obligation.objects.get(case=case, rule=rule, trigger=trigger)


def findings_of(case: Any) -> list[tuple[str, str, str]]:
    """(rule, event_id, severity) in the engine's order."""
    from eapcase.cases.models import Finding

    return list(
        Finding.objects.filter(case=case)
        .order_by("position")
        .values_list("rule", "event_id", "severity")
    )


def events_of(case: Any) -> list[tuple[Any, ...]]:
    """(seq, event_id, type, at, by, fields) in the order of recording."""
    from eapcase.cases.models import CaseEvent

    return list(
        CaseEvent.objects.filter(case=case)
        .order_by("seq")
        .values_list("seq", "event_id", "type", "at", "by", "fields")
    )


def audit_of(case: Any = None) -> list[tuple[Any, ...]]:
    """(action, actor_name, object_type, data) of the case's audit rows (all rows for None)."""
    from eapcase.audit.models import AuditEvent

    rows = _writes_only(AuditEvent.objects.order_by("id"))
    if case is not None:
        rows = rows.filter(case=case)
    return list(rows.values_list("action", "actor_name", "object_type", "data"))
