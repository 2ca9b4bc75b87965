"""The case pages through HTTP: access (404, 403, login), every action's happy path and its
refusal (status, message, row written or not), consent-limited message choices, the
confirmation flow, what closing would breach, local time, htmx, and fixed query counts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from eapcase.accounts.choices import Role
from eapcase.cases import bridge
from eapcase.cases.models import (
    Case,
    Dissatisfaction,
    Escalation,
    Note,
    Override,
    ParticipantQuery,
    Review,
    Session,
)
from eapcase.cases.services import (
    note_add,
    participant_preferences_update,
    query_record,
    query_resolve,
    risk_set,
    session_record,
)
from eapcase.outreach.models import ContactAttempt, Email, OutreachRequest
from eapcase.outreach.services import (
    attempt_record,
    callback_request,
    email_acknowledge,
    email_receive,
    outreach_request,
)
from eapcase.policy.types import ParticipantPrefs
from eapcase.providers.models import CaseNotesUpload, ProviderContact
from eapcase.providers.services import case_notes_upload, provider_contact_record
from eapcase.web import case_selectors as selectors
from eapcase.web.case_forms import message_choices
from tests.factories import (
    AccessLineFactory,
    ClientOrganisationFactory,
    MembershipFactory,
    ParticipantFactory,
    PartnerFactory,
    ProviderFactory,
    db_state,
    findings_of,
    obligation,
    open_case,
    user_with_role,
    utc,
)

pytestmark = pytest.mark.django_db

#: The clock of every request: Mon 2 March 2026 12:00 UTC (London is on GMT).
NOW = utc(2, 12)
SUMMARY = "Called, left the access line number"


@pytest.fixture(autouse=True)
def clock() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def cheap_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


class World:
    """A Partner with a clinician, a provider in its network, a client with an access line,
    and an open individual case referred to the provider."""

    def __init__(self, **participant: Any) -> None:
        self.partner = PartnerFactory()
        self.provider = ProviderFactory(partners=[self.partner])
        self.client_org = ClientOrganisationFactory(name="Acme Ltd")
        AccessLineFactory(client=self.client_org, country="GB", number="0800 123 4567")
        self.clinician = user_with_role(Role.PARTNER_CLINICIAN, partner=self.partner)
        self.case = open_case(
            actor=self.clinician,
            partner=self.partner,
            participant=ParticipantFactory(client=self.client_org, **participant),
            provider=self.provider,
        )

    def url(self, name: str, pk: int | None = None, case: Case | None = None) -> str:
        kwargs: dict[str, Any] = {"ref": (case or self.case).reference}
        if pk is not None:
            kwargs["pk"] = pk
        return reverse(f"cases:{name}", kwargs=kwargs)


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
def partner_client(client: Any, world: World) -> Any:
    client.force_login(world.clinician)
    return client


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def attempt_data(**kwargs: Any) -> dict[str, str]:
    return {
        "target": "participant",
        "channel": "phone",
        "outcome": "not_reached",
        "message": "detailed",
        "summary": SUMMARY,
        "at": "",
        **kwargs,
    }


def attempt(case: Any, actor: Any, now: datetime, **kwargs: Any) -> Any:
    fields = {
        "target": "participant",
        "channel": "phone",
        "outcome": "not_reached",
        "message": "detailed",
        "summary": SUMMARY,
        **kwargs,
    }
    return attempt_record(actor=actor, case=case, now=now, **fields)


# --- access --------------------------------------------------------------------------------------

PAGES = ["detail", "handover", "attempt", "note", "session", "review", "close", "escalate"]


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_users_are_sent_to_log_in(client: Any, world: World, name: str) -> None:
    response = client.get(world.url(name))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=")


@pytest.mark.parametrize("name", PAGES)
def test_another_partners_case_is_not_found(client: Any, world: World, name: str) -> None:
    stranger = user_with_role(Role.PARTNER_LEAD, partner=PartnerFactory())
    client.force_login(stranger)
    assert client.get(world.url(name)).status_code == 404
    assert (
        client.get(f"/cases/NO-SUCH-CASE/{'' if name == 'detail' else name + '/'}").status_code
        == 404
    )


def test_another_partners_case_refuses_a_post_with_404_and_writes_nothing(
    client: Any, world: World
) -> None:
    client.force_login(user_with_role(Role.PARTNER_CLINICIAN, partner=PartnerFactory()))
    before = db_state()
    assert client.post(world.url("attempt"), attempt_data()).status_code == 404
    assert db_state() == before


def test_provider_gets_no_partner_case_page_and_may_not_act(client: Any, world: World) -> None:
    """Minimum necessary (ADR 0010): the provider's side of a referral is /provider/; the
    Partner's case page, handover and timeline are refused (they know the case exists)."""
    provider_user = user_with_role(Role.PROVIDER, provider=world.provider)
    client.force_login(provider_user)
    assert client.get(world.url("detail")).status_code == 403
    assert client.get(world.url("detail"), {"timeline": "all"}).status_code == 403
    assert client.get(world.url("handover")).status_code == 403
    assert client.get(world.url("attempt")).status_code == 403
    assert client.get(f"/provider/cases/{world.case.reference}/").status_code == 200
    before = db_state()
    assert client.post(world.url("attempt"), attempt_data()).status_code == 403
    assert client.post(world.url("close"), {"reason": "done"}).status_code == 403
    assert db_state() == before
    assert world.case.reference not in client.get("/cases/").content.decode()


def test_provider_of_another_case_gets_404(client: Any, world: World) -> None:
    client.force_login(user_with_role(Role.PROVIDER))
    assert client.get(world.url("detail")).status_code == 404


def test_wpo_admin_reads_no_case_unless_also_a_clinician(client: Any, world: World) -> None:
    admin = user_with_role(Role.WPO_ADMIN)
    client.force_login(admin)
    for name in ("detail", "handover", "note"):
        assert client.get(world.url(name)).status_code == 404  # as a missing case
    assert world.case.reference not in client.get("/cases/").content.decode()
    MembershipFactory(user=admin, role=Role.WPO_CLINICIAN)
    assert client.get(world.url("detail")).status_code == 200


def test_wpo_clinician_may_manage(client: Any, world: World) -> None:
    client.force_login(user_with_role(Role.WPO_CLINICIAN))
    assert client.get(world.url("note")).status_code == 200


def test_an_object_of_another_case_is_not_found(partner_client: Any, world: World) -> None:
    other = open_case(actor=world.clinician, partner=world.partner)
    query = query_record(actor=world.clinician, case=other, text="When?", now=utc(2, 10))
    response = partner_client.post(world.url("query-resolve", query.pk), {"resolution": "Told"})
    assert response.status_code == 404
    assert ParticipantQuery.objects.get(pk=query.pk).resolved_at is None


# --- the list ------------------------------------------------------------------------------------


def test_list_shows_only_the_partners_cases_and_searches(partner_client: Any, world: World) -> None:
    other = open_case(participant=ParticipantFactory(full_name="Zed Elsewhere"))
    response = partner_client.get("/cases/")
    body = response.content.decode()
    assert response.status_code == 200
    assert world.case.reference in body
    assert other.reference not in body
    name = world.case.participant.full_name
    assert world.case.reference in partner_client.get("/cases/", {"q": name}).content.decode()
    miss = partner_client.get("/cases/", {"q": "Zed"}).content.decode()
    assert world.case.reference not in miss
    assert "No cases match." in miss
    closed = partner_client.get("/cases/", {"status": "closed"}).content.decode()
    assert world.case.reference not in closed


def test_list_paginates_with_a_fixed_number_of_queries(partner_client: Any, world: World) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert partner_client.get("/cases/").status_code == 200
        return len(queries)

    few = count()
    for _ in range(30):
        open_case(actor=world.clinician, partner=world.partner)
    many = count()
    assert few == many
    page2 = partner_client.get("/cases/", {"page": "2"}).content.decode()
    assert "page 2 of 2" in page2


def test_list_htmx_returns_the_results_only(partner_client: Any, world: World) -> None:
    body = partner_client.get("/cases/", HTTP_HX_REQUEST="true").content.decode()
    assert body.lstrip().startswith('<section id="results"')
    assert world.case.reference in body


# --- the case page -------------------------------------------------------------------------------


def test_case_page_shows_ledger_consent_procedure_obligations_and_timeline(
    partner_client: Any, world: World
) -> None:
    participant_preferences_update(
        actor=world.clinician,
        participant=world.case.participant,
        changes={"voicemail_ok": False},
        source="participant",
        now=utc(2, 9, 40),
    )
    callback_request(actor=world.clinician, case=world.case, now=utc(2, 9, 45), reason="Intake")
    body = partner_client.get(world.url("detail")).content.decode()
    assert "No voicemail" in body
    assert "0800 123 4567" in body
    assert "CM-CALLBACK" in body and "CM-OUTREACH" in body
    assert "Call back requested" in body and "Contact preferences changed" in body
    assert "Times in Europe/London" in body


def _grow(world: World, events: int) -> None:
    """Exactly `events` events of many kinds on the case (each kind's rows are read once)."""
    case, actor, now = world.case, world.clinician, utc(2, 9, 5)

    def steps() -> Iterator[None]:
        while True:
            callback_request(actor=actor, case=case, now=now)
            yield
            attempt(case, actor, now, outcome="reached", message="none")
            yield
            note_add(actor=actor, case=case, summary="Talked", next_step="Again", now=now)
            yield
            query = query_record(actor=actor, case=case, text="When?", now=now)
            yield
            query_resolve(actor=actor, query=query, resolution="Told", now=now)
            yield
            email = email_receive(actor=actor, case=case, sender_kind="wpo", now=now)
            yield
            email_acknowledge(actor=actor, email=email, now=now)
            yield
            provider_contact_record(actor=actor, case=case, topic="query", text="?", now=now)
            yield

    for _, _step in zip(range(events), steps(), strict=False):
        pass
    assert case.events.count() == events


def test_case_page_query_count_does_not_grow_with_the_history(
    partner_client: Any, world: World
) -> None:
    def count(query: str = "") -> int:
        with CaptureQueriesContext(connection) as queries:
            assert partner_client.get(world.url("detail") + query).status_code == 200
        return len(queries)

    other = World()
    _grow(world, 3)
    small = count()
    world.case = other.case
    world.clinician = other.clinician
    partner_client.force_login(other.clinician)
    _grow(other, 60)
    assert count() == small
    assert count("?timeline=all") == small


def test_case_page_shows_the_latest_50_events_and_links_to_the_whole_history(
    partner_client: Any, world: World
) -> None:
    _grow(world, 60)
    body = partner_client.get(world.url("detail")).content.decode()
    assert body.count('<tr id="event-') == 50
    assert "the latest 50 of 60 events" in body
    assert '<a href="?timeline=all#timeline-title">Show the whole history (60 events)</a>' in body
    whole = partner_client.get(world.url("detail") + "?timeline=all").content.decode()
    assert whole.count('<tr id="event-') == 60
    assert "Show the whole history" not in whole


def test_case_page_of_a_short_history_shows_all_of_it_without_the_link(
    partner_client: Any, world: World
) -> None:
    _grow(world, 3)
    body = partner_client.get(world.url("detail")).content.decode()
    assert body.count('<tr id="event-') == 3
    assert "Show the whole history" not in body


def test_case_page_runs_no_engine_and_the_close_form_still_lists_what_closing_breaches(
    partner_client: Any, world: World, monkeypatch: Any
) -> None:
    callback_request(actor=world.clinician, case=world.case, now=utc(2, 9, 40))
    query_record(actor=world.clinician, case=world.case, text="When?", now=utc(2, 9, 50))

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("the case page ran the engine")

    with monkeypatch.context() as patch:
        patch.setattr(bridge, "evaluate_case", refuse)
        patch.setattr(selectors, "policy_closing_would_breach", refuse)
        body = partner_client.get(world.url("detail")).content.decode()
    # Without JavaScript the close form is its own page, linked from the case page.
    assert f'href="{world.url("close")}"' in body
    assert "What closing now would breach" not in body
    page = partner_client.get(world.url("close"))
    assert [(b["rule"], b["trigger"]) for b in page.context["breaches"]] == [
        ("CM-OUTREACH", "E1"),
        ("CM-QUERY", "E2"),
    ]
    assert "What closing now would breach" in page.content.decode()


def test_handover_page_shows_state_next_step_deadlines_contacts_and_risk(
    partner_client: Any, world: World
) -> None:
    risk_set(
        actor=world.clinician, case=world.case, level="high", now=utc(2, 9, 30), reason="Stated"
    )
    callback_request(actor=world.clinician, case=world.case, now=utc(2, 9, 40))
    attempt(world.case, world.clinician, utc(2, 10))
    note_add(
        actor=world.clinician, case=world.case, summary="Left a voicemail",
        next_step="Try again Tuesday morning", now=utc(2, 10, 5),
    )  # fmt: skip
    body = " ".join(partner_client.get(world.url("handover")).content.decode().split())
    assert "Try again Tuesday morning" in body
    assert "No open deadlines." in body
    assert "CM-CALLBACK" not in body.split("Open deadlines")[1].split("Last contacts")[0]
    assert (
        "Also open, without a deadline: Outreach (the call back of Mon 2 Mar 09:40) "
        '<small class="text-body-secondary">CM-OUTREACH · E2</small>'
    ) in body
    assert '<strong class="text-danger">high</strong>' in body
    assert "none yet; 1 attempt since." in body


# --- contact attempts ----------------------------------------------------------------------------


def test_attempt_clears_an_overdue_call_back(partner_client: Any, world: World) -> None:
    callback_request(actor=world.clinician, case=world.case, now=utc(2, 9, 40))
    with time_machine.travel(utc(4, 12), tick=False):
        # Two days on, the session of Monday has long timed out: the clinician logs in again.
        partner_client.force_login(world.clinician)
        assert "1 overdue" in partner_client.get(world.url("detail")).content.decode()
        response = partner_client.post(world.url("attempt"), attempt_data())
    assert response.status_code == 302
    assert response["Location"] == world.url("detail")
    assert messages_of(response) == ["Contact attempt recorded."]
    row = ContactAttempt.objects.get(case=world.case)
    assert (row.channel, row.message, row.summary, row.attempted_at, row.by) == (
        "phone", "detailed", SUMMARY, utc(4, 12), world.clinician,
    )  # fmt: skip
    callback = obligation(world.case, "CM-CALLBACK", "E1")
    assert (callback.status, callback.satisfied_by) == ("late", "E2")


def test_attempt_time_is_read_in_the_partners_time_zone(client: Any) -> None:
    sydney = PartnerFactory(timezone="Australia/Sydney", country="AU", subdivision="NSW")
    clinician = user_with_role(Role.PARTNER_CLINICIAN, partner=sydney)
    case = open_case(actor=clinician, partner=sydney)
    client.force_login(clinician)
    # 21:30 in Sydney (AEDT, UTC+11) on Monday is 10:30 UTC.
    response = client.post(
        reverse("cases:attempt", kwargs={"ref": case.reference}),
        attempt_data(at="2026-03-02T21:30"),
    )
    assert response.status_code == 302
    assert ContactAttempt.objects.get(case=case).attempted_at == datetime(
        2026, 3, 2, 10, 30, tzinfo=UTC
    )
    body = client.get(reverse("cases:detail", kwargs={"ref": case.reference})).content.decode()
    assert "Mon 2 Mar 2026 21:30" in body


def test_attempt_in_the_future_is_refused_next_to_the_time(
    partner_client: Any, world: World
) -> None:
    response = partner_client.post(world.url("attempt"), attempt_data(at="2026-03-02T15:00"))
    assert response.status_code == 200
    assert response.context["form"].errors == {"at": ["is in the future"]}
    assert not ContactAttempt.objects.exists()


def test_attempt_without_summary_is_refused(partner_client: Any, world: World) -> None:
    response = partner_client.post(world.url("attempt"), attempt_data(summary=" "))
    assert response.status_code == 200
    assert "summary" in response.context["form"].errors
    assert not ContactAttempt.objects.exists()


def test_reached_attempt_with_a_message_is_refused_by_the_service(
    partner_client: Any, world: World
) -> None:
    response = partner_client.post(world.url("attempt"), attempt_data(outcome="reached"))
    assert response.context["form"].errors == {
        "message": ["a message is only left when the attempt did not reach them"]
    }
    assert not ContactAttempt.objects.exists()


@pytest.mark.parametrize(
    ("prefs", "target", "channel", "offered"),
    [
        (ParticipantPrefs(), "participant", "phone", ["detailed", "generic", "none"]),
        (ParticipantPrefs(voicemail_ok=False), "participant", "phone", ["none"]),
        (
            ParticipantPrefs(voicemail_ok=False),
            "participant",
            "email",
            ["detailed", "generic", "none"],
        ),
        (ParticipantPrefs(email_messages_ok=False), "participant", "email", ["none"]),
        (
            ParticipantPrefs(voicemail_ok=False, email_messages_ok=False),
            "provider",
            "phone",
            ["detailed", "generic", "none"],
        ),
    ],
)
def test_message_choices_follow_consent(
    prefs: ParticipantPrefs, target: str, channel: str, offered: list[str]
) -> None:
    assert [value for value, _ in message_choices(prefs, target, channel)] == offered


def test_attempt_form_offers_messages_by_the_consent_the_engine_has(
    partner_client: Any, world: World
) -> None:
    participant_preferences_update(
        actor=world.clinician,
        participant=world.case.participant,
        changes={"voicemail_ok": False},
        source="participant",
        now=utc(2, 9, 40),
    )
    phone = partner_client.get(world.url("attempt"))
    assert [v for v, _ in phone.context["form"].fields["message"].choices] == ["none"]
    assert 'value="detailed"' not in phone.content.decode()
    assert 'value="generic"' not in phone.content.decode()
    email = partner_client.get(world.url("attempt"), {"channel": "email"})
    assert [v for v, _ in email.context["form"].fields["message"].choices] == [
        "detailed", "generic", "none",
    ]  # fmt: skip
    body = email.content.decode()
    assert "Please call us back on the access line" in body
    assert "0800 123 4567" in body
    assert "No voicemail" in body


def test_detailed_voicemail_against_consent_is_refused_and_nothing_written(
    partner_client: Any, world: World
) -> None:
    participant_preferences_update(
        actor=world.clinician,
        participant=world.case.participant,
        changes={"voicemail_ok": False},
        source="participant",
        now=utc(2, 9, 40),
    )
    before = db_state()
    response = partner_client.post(world.url("attempt"), attempt_data(message="detailed"))
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "message": ["The participant's consent does not allow this message on this channel."]
    }
    assert db_state() == before


def test_excess_attempt_needs_a_reason_and_is_recorded_with_its_finding(
    partner_client: Any, world: World
) -> None:
    callback_request(actor=world.clinician, case=world.case, now=utc(2, 9, 40))
    attempt(world.case, world.clinician, utc(2, 10))
    attempt(world.case, world.clinician, utc(2, 11))
    before = db_state()
    response = partner_client.post(world.url("attempt"), attempt_data())
    assert response.status_code == 200
    form = response.context["form"]
    assert [r.split(":")[0] for r in form.reasons] == ["CM-OUTREACH-EXCESS"]
    assert form.fields["confirm"].required is True
    body = response.content.decode()
    assert "Reason to go ahead" in body and "Go ahead with this reason" in body
    # What the policy asks, in words, beside the field that answers it (after the other fields).
    assert (
        "<li>Attempts beyond the required count: attempt 3 for the call back of Mon 2 Mar 09:40, "
        "2 required and no risk identified</li>"
    ) in body
    assert body.index('id="field-summary"') < body.index('id="confirm-reasons"')
    assert body.index('id="confirm-reasons"') < body.index('id="field-confirm"')
    assert "CM-OUTREACH-EXCESS" not in body
    assert db_state() == before

    response = partner_client.post(
        world.url("attempt"), attempt_data(confirm="Participant asked us to keep trying")
    )
    assert response.status_code == 302
    assert messages_of(response) == [
        "Contact attempt recorded. Your reason to go ahead is recorded with the case."
    ]
    assert ContactAttempt.objects.filter(case=world.case).count() == 3
    assert ("CM-OUTREACH-EXCESS", "E4", "warning") in findings_of(world.case)
    override = Override.objects.get(case=world.case)
    assert (override.reason, override.event_ids) == ("Participant asked us to keep trying", ["E4"])


def test_second_check_in_attempt_needs_a_reason(partner_client: Any, world: World) -> None:
    outreach_request(actor=world.clinician, case=world.case, purpose="checkin", now=utc(2, 9, 40))
    attempt(world.case, world.clinician, utc(2, 10))
    response = partner_client.post(world.url("attempt"), attempt_data())
    assert [r.split(":")[0] for r in response.context["form"].reasons] == ["CM-CHECKIN-SINGLE"]
    assert ContactAttempt.objects.count() == 1
    response = partner_client.post(world.url("attempt"), attempt_data(confirm="Client asked"))
    assert response.status_code == 302
    assert ("CM-CHECKIN-SINGLE", "E3", "breach") in findings_of(world.case)


def test_attempt_htmx_success_redirects_the_client(partner_client: Any, world: World) -> None:
    response = partner_client.post(world.url("attempt"), attempt_data(), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response["HX-Redirect"] == world.url("detail")


def test_attempt_htmx_refusal_returns_the_form_only(partner_client: Any, world: World) -> None:
    response = partner_client.post(
        world.url("attempt"), attempt_data(summary=""), HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="action-form"')
    assert "<html" not in body


# --- call backs and outreach ---------------------------------------------------------------------


def test_request_a_call_back_not_before_a_local_time(partner_client: Any, world: World) -> None:
    response = partner_client.post(
        world.url("callback"), {"reason": "Asked at intake", "not_before": "2026-03-03T14:00"}
    )
    assert messages_of(response) == ["Call back requested."]
    row = OutreachRequest.objects.get(case=world.case)
    assert (row.kind, row.reason, row.not_before) == ("callback", "Asked at intake", utc(3, 14))
    body = partner_client.get(world.url("detail")).content.decode()
    assert "not before Tue 3 Mar 2026 14:00 Europe/London; Asked at intake" in body


def test_call_back_not_before_the_request_is_refused(partner_client: Any, world: World) -> None:
    response = partner_client.post(world.url("callback"), {"not_before": "2026-03-02T10:00"})
    assert response.context["form"].errors == {"not_before": ["must not be before the request"]}
    assert not OutreachRequest.objects.exists()


@pytest.mark.parametrize(
    ("purpose", "message"), [("general", "Outreach requested."), ("checkin", "Check-in requested.")]
)
def test_request_an_outreach_or_a_check_in(
    partner_client: Any, world: World, purpose: str, message: str
) -> None:
    response = partner_client.post(
        world.url("outreach"), {"purpose": purpose, "target": "participant", "reason": "Client"}
    )
    assert messages_of(response) == [message]
    assert OutreachRequest.objects.get(case=world.case).purpose == purpose


def test_close_an_outreach_early_needs_a_reason(partner_client: Any, world: World) -> None:
    request = callback_request(actor=world.clinician, case=world.case, now=utc(2, 9, 40))
    url = world.url("outreach-close", request.pk)
    page = partner_client.get(url)
    assert "0 of 2" in page.content.decode()
    response = partner_client.post(url, {"reason": "Participant asked us to stop"})
    assert response.status_code == 200
    assert response.context["form"].errors == {"confirm": ["This field is required."]}
    assert OutreachRequest.objects.get(pk=request.pk).closed_at is None
    response = partner_client.post(
        url, {"reason": "Participant asked us to stop", "confirm": "Their explicit wish"}
    )
    assert response.status_code == 302
    row = OutreachRequest.objects.get(pk=request.pk)
    assert (row.closed_at, row.close_reason) == (NOW, "Participant asked us to stop")
    assert obligation(world.case, "CM-OUTREACH", "E1").status == "breached"
    assert Override.objects.get(case=world.case).reason == "Their explicit wish"


def test_close_an_outreach_after_its_attempts_needs_no_reason(
    partner_client: Any, world: World
) -> None:
    request = callback_request(actor=world.clinician, case=world.case, now=utc(2, 9, 40))
    attempt(world.case, world.clinician, utc(2, 10))
    attempt(world.case, world.clinician, utc(2, 11))
    response = partner_client.post(world.url("outreach-close", request.pk), {"reason": "Done"})
    assert response.status_code == 302
    assert not Override.objects.exists()


def test_closing_a_closed_outreach_is_a_conflict(partner_client: Any, world: World) -> None:
    request = callback_request(actor=world.clinician, case=world.case, now=utc(2, 9, 40))
    attempt(world.case, world.clinician, utc(2, 10), outcome="reached", message="none")
    url = world.url("outreach-close", request.pk)
    partner_client.post(url, {"reason": "Reached"})
    response = partner_client.post(url, {"reason": "Again"})
    assert response.context["form"].non_field_errors() == ["the outreach is already closed"]


# --- sessions and the review ---------------------------------------------------------------------


def test_record_a_session(partner_client: Any, world: World) -> None:
    response = partner_client.post(world.url("session"), {"at": "2026-03-02T11:00"})
    assert messages_of(response) == ["Session recorded."]
    assert list(Session.objects.values_list("number", "held_at")) == [(1, utc(2, 11))]


def test_an_unauthorised_session_needs_a_reason(partner_client: Any) -> None:
    world = World()
    case = open_case(actor=world.clinician, partner=world.partner, case_type="couples")
    partner_client.force_login(world.clinician)
    session_record(actor=world.clinician, case=case, now=utc(2, 10))
    url = world.url("session", case=case)
    response = partner_client.post(url, {})
    assert [r.split(":")[0] for r in response.context["form"].reasons] == [
        "CM-SESSION-UNAUTHORISED",
        "CM-REVIEW (E1) would be breached",
    ]
    assert Session.objects.filter(case=case).count() == 1
    assert partner_client.post(url, {"confirm": "Crisis session"}).status_code == 302
    assert Session.objects.filter(case=case).count() == 2


@pytest.fixture
def review_case(world: World) -> Case:
    case = open_case(
        actor=world.clinician, partner=world.partner, case_type="family", benefit_sessions=6
    )
    session_record(actor=world.clinician, case=case, now=utc(2, 10))
    return case


def test_review_authorises_sessions(partner_client: Any, world: World, review_case: Case) -> None:
    page = partner_client.get(world.url("review", case=review_case)).content.decode()
    assert "at most 5 remain of the benefit" in page
    response = partner_client.post(
        world.url("review", case=review_case),
        {"decision": "authorise_remaining", "sessions": "3", "rationale": "Progressing"},
    )
    assert messages_of(response) == ["Review recorded."]
    review = Review.objects.get(case=review_case)
    assert (review.decision, review.sessions, review.rationale) == (
        "authorise_remaining", 3, "Progressing",
    )  # fmt: skip
    assert obligation(review_case, "CM-REVIEW", "E1").status == "met"


def test_review_authorising_more_than_remains_is_refused(
    partner_client: Any, world: World, review_case: Case
) -> None:
    before = db_state()
    response = partner_client.post(
        world.url("review", case=review_case), {"decision": "authorise_remaining", "sessions": "6"}
    )
    assert response.status_code == 200
    # Beside the decision it concerns, named by the rule's title.
    [error] = response.context["form"].errors["decision"]
    assert error.startswith("Review decision outside the benefit: authorises 6 sessions; 5 remain")
    assert response.context["form"].non_field_errors() == []
    assert db_state() == before


def test_review_transition_session_needs_its_destination(
    partner_client: Any, world: World, review_case: Case
) -> None:
    url = world.url("review", case=review_case)
    response = partner_client.post(url, {"decision": "transition_session"})
    assert response.context["form"].errors == {
        "transition_destination": [
            "say where the participant goes next (insurance, private pay, resources)"
        ]
    }
    assert not Review.objects.exists()
    response = partner_client.post(
        url, {"decision": "transition_session", "transition_destination": "Private therapist"}
    )
    assert response.status_code == 302
    review = Review.objects.get()
    assert (review.sessions, review.transition_destination) == (1, "Private therapist")


def test_review_deny_needs_a_resource(partner_client: Any, world: World, review_case: Case) -> None:
    url = world.url("review", case=review_case)
    response = partner_client.post(url, {"decision": "deny", "resources": "  "})
    [error] = response.context["form"].errors["decision"]
    assert error.startswith("Review decision outside the benefit")
    assert not Review.objects.exists()
    response = partner_client.post(
        url, {"decision": "deny", "resources": "GP\nLocal talking therapies"}
    )
    assert response.status_code == 302
    assert Review.objects.get().resources == ["GP", "Local talking therapies"]


def test_review_authorise_without_a_number_is_refused_by_the_form(
    partner_client: Any, world: World, review_case: Case
) -> None:
    response = partner_client.post(
        world.url("review", case=review_case), {"decision": "authorise_remaining"}
    )
    assert response.context["form"].errors == {
        "sessions": ["Say how many further sessions the review authorises."]
    }


# --- notes, queries, dissatisfaction, escalation -------------------------------------------------


def test_add_a_note(partner_client: Any, world: World) -> None:
    response = partner_client.post(
        world.url("note"), {"summary": "Agreed weekly calls", "next_step": "Call on Friday"}
    )
    assert messages_of(response) == ["Note added."]
    assert Note.objects.get(case=world.case).next_step == "Call on Friday"
    assert Case.objects.get(pk=world.case.pk).next_step == "Call on Friday"


def test_a_note_needs_a_summary_and_a_next_step(partner_client: Any, world: World) -> None:
    response = partner_client.post(world.url("note"), {"summary": "", "next_step": ""})
    assert set(response.context["form"].errors) == {"summary", "next_step"}
    assert not Note.objects.exists()


def test_record_and_resolve_a_query(partner_client: Any, world: World) -> None:
    response = partner_client.post(
        world.url("query"), {"text": "When is my next session?", "channel": "phone"}
    )
    assert messages_of(response) == ["Query recorded."]
    query = ParticipantQuery.objects.get(case=world.case)
    url = world.url("query-resolve", query.pk)
    assert partner_client.post(url, {"resolution": ""}).context["form"].errors == {
        "resolution": ["This field is required."]
    }
    response = partner_client.post(url, {"resolution": "Gave the date"})
    assert messages_of(response) == ["Query resolved."]
    assert ParticipantQuery.objects.get().resolution == "Gave the date"
    assert obligation(world.case, "CM-QUERY", query.event_id).status == "met"


def test_dissatisfaction_escalates_to_wpo_at_once(partner_client: Any, world: World) -> None:
    response = partner_client.post(
        world.url("dissatisfaction"), {"aspect": "Waiting time", "description": "Too long"}
    )
    assert messages_of(response) == ["Dissatisfaction recorded and escalated to WPO."]
    row = Dissatisfaction.objects.get(case=world.case)
    assert row.escalation is not None and row.escalation.reason == "dissatisfaction"
    assert obligation(world.case, "CM-DISSATISFACTION", row.event_id).status == "met"


def test_dissatisfaction_needs_its_aspect(partner_client: Any, world: World) -> None:
    response = partner_client.post(world.url("dissatisfaction"), {"aspect": ""})
    assert "aspect" in response.context["form"].errors
    assert not Escalation.objects.exists()


def test_escalate_to_wpo(partner_client: Any, world: World) -> None:
    response = partner_client.post(
        world.url("escalate"), {"reason": "risk", "summary": "Provider reports risk"}
    )
    assert messages_of(response) == ["Escalated to WPO."]
    assert Escalation.objects.get(case=world.case).reason == "risk"


def test_escalation_needs_a_summary(partner_client: Any, world: World) -> None:
    response = partner_client.post(world.url("escalate"), {"reason": "risk", "summary": ""})
    assert "summary" in response.context["form"].errors
    assert not Escalation.objects.exists()


# --- emails, provider contacts, case notes -------------------------------------------------------


def test_acknowledge_and_action_an_email(partner_client: Any, world: World) -> None:
    email = email_receive(
        actor=world.clinician,
        case=world.case,
        sender_kind="wpo",
        subject="New info",
        now=utc(2, 10),
    )
    response = partner_client.post(world.url("email-acknowledge", email.pk), {})
    assert messages_of(response) == ["Email acknowledged."]
    again = partner_client.post(world.url("email-acknowledge", email.pk), {})
    assert again.context["form"].non_field_errors() == ["the email is already acknowledged"]
    url = world.url("email-action", email.pk)
    assert "summary" in partner_client.post(url, {"summary": ""}).context["form"].errors
    response = partner_client.post(url, {"summary": "Called the participant"})
    assert messages_of(response) == ["Email actioned."]
    row = Email.objects.get(pk=email.pk)
    assert (row.acknowledged_at, row.actioned_at, row.action_summary) == (
        NOW, NOW, "Called the participant",
    )  # fmt: skip


def test_answer_a_provider_contact(partner_client: Any, world: World) -> None:
    contact = provider_contact_record(
        actor=world.clinician, case=world.case, topic="risk", text="Risk seen", now=utc(2, 10)
    )
    url = world.url("provider-answer", contact.pk)
    assert "Risk seen" in partner_client.get(url).content.decode()
    assert "response" in partner_client.post(url, {"response": ""}).context["form"].errors
    response = partner_client.post(url, {"response": "Spoke to the provider"})
    assert messages_of(response) == ["Answer to the provider recorded."]
    row = ProviderContact.objects.get(pk=contact.pk)
    assert (row.response, row.responded_by) == ("Spoke to the provider", world.clinician)


def test_review_uploaded_case_notes(partner_client: Any, world: World) -> None:
    upload = case_notes_upload(
        actor=world.clinician,
        case=world.case,
        now=utc(2, 10),
        file=SimpleUploadedFile("notes.pdf", b"%PDF-1.4 notes"),
        original_name="notes.pdf",
    )
    url = world.url("notes-review", upload.pk)
    assert "note" in partner_client.post(url, {"note": ""}).context["form"].errors
    response = partner_client.post(url, {"note": "Complete, no issues", "issues_found": ""})
    assert messages_of(response) == ["Case notes review recorded."]
    row = CaseNotesUpload.objects.get(pk=upload.pk)
    assert (row.review_note, row.issues_found, row.reviewed_by) == (
        "Complete, no issues", False, world.clinician,
    )  # fmt: skip


# --- closing -------------------------------------------------------------------------------------


def test_close_form_shows_what_closing_would_breach_and_needs_a_reason(
    partner_client: Any, world: World
) -> None:
    callback_request(actor=world.clinician, case=world.case, now=utc(2, 9, 40))
    query_record(actor=world.clinician, case=world.case, text="When?", now=utc(2, 9, 50))
    page = partner_client.get(world.url("close"))
    breaches = page.context["breaches"]
    assert [(b["rule"], b["trigger"]) for b in breaches] == [
        ("CM-OUTREACH", "E1"),
        ("CM-QUERY", "E2"),
    ]
    body = page.content.decode()
    assert "The policy counts closing the case now as a breach of 2 obligations" in body
    assert "<strong>Outreach</strong>, opened by the call back of Mon 2 Mar 09:40" in body
    before = db_state()
    response = partner_client.post(
        world.url("close"), {"outcome": "moved", "note": "Participant moved away"}
    )
    assert response.context["form"].errors == {"confirm": ["This field is required."]}
    assert db_state() == before
    response = partner_client.post(
        world.url("close"),
        {"outcome": "moved", "note": "Participant moved away", "confirm": "Cannot continue"},
    )
    assert messages_of(response) == [
        "Case closed. Your reason to go ahead is recorded with the case."
    ]
    case = Case.objects.get(pk=world.case.pk)
    assert (case.status, case.closure_reason) == ("closed", "Participant moved away")
    assert obligation(world.case, "CM-QUERY", "E2").status == "breached"


def test_close_with_nothing_outstanding_needs_no_reason(partner_client: Any, world: World) -> None:
    page = partner_client.get(world.url("close")).content.decode()
    assert "Nothing: every obligation without a deadline is satisfied." in page
    assert "Reason to go ahead" not in page
    response = partner_client.post(world.url("close"), {"outcome": "resolved", "note": "Goals met"})
    assert messages_of(response) == ["Case closed."]
    assert Case.objects.get(pk=world.case.pk).status == "closed"


def test_closing_a_closed_case_is_refused(partner_client: Any, world: World) -> None:
    partner_client.post(world.url("close"), {"outcome": "resolved", "note": "Goals met"})
    before = db_state()
    response = partner_client.post(world.url("close"), {"outcome": "resolved", "note": "Again"})
    assert response.status_code == 409
    assert "The case is closed" in response.content.decode()
    assert db_state() == before
