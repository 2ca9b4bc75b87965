"""`eapcase demo`: the demo load, its refusal on a loaded database, and the demo password."""

from __future__ import annotations

import io
import stat
from collections import Counter

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count

from eapcase.accounts.models import User
from eapcase.audit.services import audit_verify
from eapcase.cases.access import cases_referred_to, cases_visible_to
from eapcase.cases.choices import CaseType, Referral
from eapcase.cases.models import Case, CaseEvent, Obligation, Participant
from eapcase.web.demo.load import _Planner
from eapcase.web.demo.reference import LOGINS, PARTNERS, partner_clock
from eapcase.web.demo.stories import Plan

NOW = "2026-03-10T12:00:00+00:00"
PARTNER_LOGINS = ("partner-uk", "lead-uk", "partner-ny", "partner-nsw")


@pytest.fixture(autouse=True)
def demo_env(settings, tmp_path, monkeypatch):
    """A private var/ and media/ per test, no password from the environment, and a cheap
    password hasher (the load sets seven passwords)."""
    settings.VAR_DIR = tmp_path / "var"
    settings.VAR_DIR.mkdir()
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    monkeypatch.delenv("EAPCASE_DEMO_PASSWORD", raising=False)
    return settings


def demo(*args: str) -> str:
    out = io.StringIO()
    call_command("demo", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def load(cases: int = 30, *extra: str) -> str:
    return demo("--now", NOW, "--cases", str(cases), *extra)


def password_in(output: str) -> str:
    return output.split("(password for all: ")[1].split(")")[0]


@pytest.mark.django_db
def test_small_load_gives_every_login_its_membership_and_work():
    output = load(30)
    password = password_in(output)
    assert Case.objects.count() == 30
    for spec in LOGINS:
        user = User.objects.get(username=spec.username)
        assert user.check_password(password)
        membership = user.memberships.get()
        assert membership.role == spec.role
        assert (membership.partner.code if membership.partner else None) == spec.partner
        assert (membership.provider.code if membership.provider else None) == spec.provider
    for username in PARTNER_LOGINS:
        user = User.objects.get(username=username)
        seen = Obligation.objects.filter(case__in=cases_visible_to(user))
        assert seen.filter(status="overdue").exists(), username
    for username in ("partner-uk", "partner-ny", "partner-nsw"):
        user = User.objects.get(username=username)
        assert Obligation.objects.filter(
            case__assigned_clinician=user, status="overdue"
        ).exists(), username


@pytest.mark.django_db
def test_provider_sees_only_the_cases_referred_to_them():
    load(30)
    provider = User.objects.get(username="provider-1")
    referred = cases_referred_to(provider)
    assert referred.exists()
    assert set(referred.values_list("provider__code", flat=True)) == {"prov-1"}
    assert referred.count() == Case.objects.filter(provider__code="prov-1").count()
    assert cases_visible_to(provider).count() == 0  # no Partner record (ADR 0010)


@pytest.mark.django_db
def test_second_load_is_refused_and_if_empty_is_a_no_op():
    load(12)
    events = CaseEvent.objects.count()
    with pytest.raises(CommandError, match="already holds cases"):
        load(12)
    output = load(12, "--if-empty")
    assert output.strip().count("\n") == 0 and "nothing loaded" in output
    assert Case.objects.count() == 12
    assert CaseEvent.objects.count() == events


@pytest.mark.django_db
def test_default_load_covers_every_case_type_referral_and_partner():
    load(200)
    cases = Case.objects.all()
    assert cases.count() == 200
    assert {c for c, _ in CaseType.choices} == set(cases.values_list("case_type", flat=True))
    assert {r for r, _ in Referral.choices} == set(cases.values_list("referral", flat=True))
    by_partner = Counter(cases.values_list("partner__code", flat=True))
    assert set(by_partner) == {p.code for p in PARTNERS}
    assert min(by_partner.values()) >= 30
    assert 130 <= cases.values("participant").distinct().count() <= 170
    assert cases.filter(status="open").count() >= 40
    assert cases.filter(status="closed").count() >= 80
    assert Case.objects.filter(provider__code="prov-1", partner__code="P-UK").count() >= 10
    # Every case has a history, written by the services (the audit chain holds).
    assert not cases.filter(events__isnull=True).exists()
    assert audit_verify().intact
    # Out-of-scope referrals carry no obligations; every self-referral has some.
    assert not Obligation.objects.exclude(case__referral="self").exists()
    statuses = Counter(Obligation.objects.values_list("status", flat=True))
    assert {"met", "late", "overdue", "open", "breached"} <= set(statuses)
    for username in PARTNER_LOGINS:
        user = User.objects.get(username=username)
        rules = set(
            Obligation.objects.filter(
                case__in=cases_visible_to(user), status__in=["open", "overdue"]
            ).values_list("rule", flat=True)
        )
        assert {"CM-CALLBACK", "CM-EMAIL-ACK", "CM-PROVIDER-RESPONSE", "CM-REVIEW"} <= rules


def test_logins_prints_a_password_kept_in_the_var_file(demo_env):
    first = demo("--logins")
    path = demo_env.VAR_DIR / "demo_password"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert password_in(first) == path.read_text().strip()
    assert demo("--logins") == first
    assert "http://127.0.0.1:8000/" in first
    assert all(spec.username in first for spec in LOGINS)


def test_logins_print_the_address_make_run_serves_on(demo_env):
    # `make run PORT=8123` passes its address: the logins must not send people to :8000.
    printed = demo("--logins", "--url", "http://127.0.0.1:8123/")
    assert "Demo logins at http://127.0.0.1:8123/ " in printed
    assert ":8000" not in printed


@pytest.mark.django_db
def test_load_reuses_the_kept_password():
    kept = password_in(demo("--logins"))
    assert password_in(load(12)) == kept
    assert User.objects.get(username="partner-uk").check_password(kept)


@pytest.mark.django_db
def test_the_environment_password_wins(demo_env, monkeypatch):
    demo("--logins")  # a kept password exists
    monkeypatch.setenv("EAPCASE_DEMO_PASSWORD", "from-the-environment")
    assert password_in(demo("--logins")) == "from-the-environment"
    load(12)
    assert User.objects.get(username="wpo").check_password("from-the-environment")


@pytest.mark.django_db
def test_bad_arguments_are_refused():
    with pytest.raises(CommandError, match="--cases"):
        demo("--cases", "3")
    with pytest.raises(CommandError, match="future"):
        demo("--now", "2999-01-01T00:00:00+00:00")
    assert not Case.objects.exists()


@pytest.mark.nodb
def test_plans_depend_only_on_seed_and_now():
    from eapcase.policy.history import parse_instant

    now = parse_instant(NOW)
    clocks = {p.code: partner_clock(p, now.date()) for p in PARTNERS}

    def plans(seed: int) -> list[tuple[object, ...]]:
        made: list[Plan] = _Planner(now=now, seed=seed, total=40, clocks=clocks).plan_all()
        return [(p.spec.opened_at, p.spec.case_type, tuple(p.steps)) for p in made]

    assert plans(7) == plans(7)
    assert plans(7) != plans(8)
    assert all(step.at <= now for plan in plans(7) for step in plan[2])


@pytest.mark.django_db
def test_the_demo_starts_cases_as_a_clinician_would():
    load(30)
    waiting = Case.objects.filter(status="open", assigned_clinician__isnull=True)
    assert waiting.count() >= 2
    risky = Case.objects.get(participant__full_name="Callum Reid")
    assert (risky.risk_level, risky.assigned_clinician.username) == ("high", "partner-uk")
    assert risky.assignments.get().reason.startswith("High risk")
    referral = Case.objects.get(participant__full_name="Dana Whitfield")
    assert (referral.referral, referral.partner.code, referral.engine_state["in_scope"]) == (
        "management_referral",
        "P-UK",
        False,
    )
    assert Participant.objects.filter(full_name="Jamie Fletcher").count() == 2
    assert Case.objects.values("participant").annotate(n=Count("pk")).filter(n__gte=2).exists()


@pytest.mark.django_db
def test_demo_sessions_carry_modality_and_one_was_missed_one_cancelled_late():
    from eapcase.cases.models import Session
    from eapcase.organisations.models import ClientProcedure

    load(30)
    held = Session.objects.filter(attendance="attended")
    assert held.exists() and not held.filter(modality="").exists()
    assert {"video", "in_person"} <= set(held.values_list("modality", flat=True))
    missed = Session.objects.exclude(attendance="attended")
    assert sorted(missed.values_list("attendance", flat=True)) == [
        "did_not_attend",
        "late_cancellation",
    ]
    # Not sessions held: no number, no event.
    assert not missed.exclude(number=None).exists() and not missed.exclude(event_id="").exists()
    # A client procedure with a check-in after closure and a contact-time window.
    assert ClientProcedure.objects.filter(
        checkin_required=True, contact_window_start__isnull=False
    ).exists()
