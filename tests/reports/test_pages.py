"""The client organisation report (counts only, small counts hidden), frequent users, the
policy page and a "what if" replay run by the worker's job; who may see each."""

from __future__ import annotations

import re
from importlib import resources
from typing import Any

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from eapcase.accounts.choices import Role
from eapcase.outreach.services import attempt_record, callback_request
from eapcase.policy.pack import BUILTIN_PACK
from eapcase.reports.models import FrequentUserThresholds, WhatIf
from eapcase.reports.whatif import what_if_replay
from tests.factories import (
    ClientOrganisationFactory,
    ParticipantFactory,
    PartnerFactory,
    open_case,
    user_with_role,
    utc,
)

pytestmark = pytest.mark.django_db


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def wpo() -> Client:
    return client_for(user_with_role(Role.WPO_CLINICIAN))


@pytest.mark.parametrize("role", [Role.PARTNER_LEAD, Role.PARTNER_CLINICIAN, Role.PROVIDER])
def test_client_reports_and_frequent_users_are_for_wpo_only(role: str) -> None:
    employer = ClientOrganisationFactory()
    user = client_for(user_with_role(role))
    for url in (
        f"/reports/clients/{employer.pk}/",
        "/reports/clients/",
        "/reports/frequent-users/",
    ):
        assert user.get(url).status_code == 403, url


@time_machine.travel(utc(10, 12, month=4), tick=False)
def test_the_client_report_hides_small_counts_and_names(wpo: Client) -> None:
    employer = ClientOrganisationFactory(name="Acme")
    partner = PartnerFactory()
    names = []
    for k in range(7):
        participant = ParticipantFactory(full_name=f"Person Number{k}")
        names.append(participant.full_name)
        open_case(
            partner=partner,
            participant=participant,
            client=employer,
            now=utc(5 + k, 10, month=1),
            presenting_issue="Stress at work",
        )
    for k in range(2):
        open_case(
            partner=partner,
            client=employer,
            case_type="couples",
            now=utc(5 + k, 10, month=2),
            presenting_issue="Grief after losing Mr Smith",
        )
    page = wpo.get(f"/reports/clients/{employer.pk}/?year=2026")
    text = re.sub(r">\s+<", "><", page.content.decode())
    assert page.status_code == 200
    assert text.count('class="quarter"') == 4
    assert "Stress at work" in text
    assert "Mr Smith" not in text  # named in fewer than 5 cases: counted as "Other"
    assert not any(name in text for name in names)
    q1 = text[text.index('id="q1"') : text.index('id="q2"')]
    by_type = q1[q1.index("Cases opened, by type of case") :].split("</table>")[0]
    assert '<th scope="row">individual</th><td class="text-end">*</td>' in by_type
    couples = '<th scope="row">couples</th><td class="text-end">0</td><td class="text-end">*</td>'
    assert couples in by_type
    assert '<td class="text-end">9</td></tr>' in by_type  # the grand total stands


@time_machine.travel(utc(10, 12), tick=False)
def test_frequent_users_are_listed_by_wpo_thresholds(wpo: Client) -> None:
    FrequentUserThresholds.objects.create(cases=2, contacts=50)
    partner = PartnerFactory()
    often = ParticipantFactory(full_name="Often Here")
    once = ParticipantFactory(full_name="Only Once")
    cases = [open_case(partner=partner, participant=often, now=utc(d, 10)) for d in (2, 3)]
    open_case(partner=partner, participant=once, now=utc(2, 10))
    text = wpo.get("/reports/frequent-users/").content.decode()
    assert "Often Here" in text
    assert "Only Once" not in text
    assert all(f'href="/cases/{c.reference}/"' in text for c in cases)
    FrequentUserThresholds.objects.update(cases=3)
    assert "Often Here" not in wpo.get("/reports/frequent-users/").content.decode()


@time_machine.travel(utc(10, 12), tick=False)
def test_the_policy_page_shows_the_revision_and_its_parameters_in_words() -> None:
    page = client_for(user_with_role(Role.PARTNER_CLINICIAN)).get("/policy/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "Revision in force" in text
    assert "1 September 2020" in text
    assert "1 March 2021" in text
    assert "The policy is due for revision." in text  # next revision 2021 has passed
    assert "First attempt to call the participant back within" in text
    assert "1 business day" in text
    assert "What if" not in text  # only WPO replays a draft
    assert client_for(user_with_role(Role.PROVIDER)).get("/policy/").status_code == 403


def _draft_text(callback_days: int) -> str:
    text = resources.files("eapcase.policy.packs").joinpath(BUILTIN_PACK).read_text()
    return text.replace(
        "business_days = 1\noutreach_attempts",
        f"business_days = {callback_days}\noutreach_attempts",
    )


@time_machine.travel(utc(10, 12), tick=False)
def test_what_if_replays_a_period_under_a_draft_pack(
    django_capture_on_commit_callbacks: Any,
) -> None:
    user = user_with_role(Role.WPO_CLINICIAN)
    partner = PartnerFactory()
    case = open_case(partner=partner, now=utc(2, 9))
    callback_request(actor=user, case=case, now=utc(2, 10), at=utc(2, 10), historical=True)
    attempt_record(
        actor=user,
        case=case,
        target="participant",
        channel="phone",
        outcome="reached",
        message="none",
        summary="Spoke",
        now=utc(4, 11),
        at=utc(4, 11),
        historical=True,
    )
    client = client_for(user)
    bad = client.post(
        "/policy/",
        {
            "pack": _upload("[policy]\nid = 1\n"),
            "period_from": "2026-03-01",
            "period_to": "2026-03-31",
        },
    )
    assert bad.status_code == 400
    assert "policy.id must be a non-empty string" in bad.content.decode()
    with django_capture_on_commit_callbacks(execute=False):
        response = client.post(
            "/policy/",
            {
                "pack": _upload(_draft_text(3)),
                "period_from": "2026-03-01",
                "period_to": "2026-03-31",
            },
        )
    run = WhatIf.objects.get()
    assert response["Location"] == f"/policy/what-if/{run.pk}/"
    waiting = client.get(response["Location"]).content.decode()
    assert "Waiting for the background worker" in waiting
    assert '<meta http-equiv="refresh"' in waiting
    assert what_if_replay(run_id=run.pk, now=utc(10, 12)) == "done"
    run.refresh_from_db()
    assert (run.cases_total, run.cases_done) == (1, 1)
    callback = run.result["rules"]["CM-CALLBACK"]
    assert (callback["current"]["missed"], callback["draft"]["missed"]) == (1, 0)
    assert callback["cases"] == [case.reference]
    done = client.get(f"/policy/what-if/{run.pk}/").content.decode()
    assert f'href="/cases/{case.reference}/"' in done
    assert "refresh" not in done
    assert (
        client_for(user_with_role(Role.PARTNER_LEAD)).get(f"/policy/what-if/{run.pk}/").status_code
        == 403
    )


def _upload(text: str) -> Any:
    return SimpleUploadedFile("draft.toml", text.encode(), content_type="application/toml")


@time_machine.travel(utc(10, 12, month=4), tick=False)
def test_the_client_report_counts_sessions_held_by_modality_with_small_counts_hidden() -> None:
    from eapcase.cases.services import session_record
    from eapcase.reports.selectors import client_report

    employer = ClientOrganisationFactory(name="Acme")
    partner = PartnerFactory()
    case = open_case(partner=partner, client=employer, benefit_sessions=12, now=utc(2, 9, month=1))
    actor = user_with_role(Role.PARTNER_CLINICIAN, partner=partner)
    plan = [(1, "video")] * 6 + [(2, "video")] * 6 + [(2, "phone")] * 2
    for day, (month, modality) in enumerate(plan, start=3):
        session_record(
            actor=actor, case=case, now=utc(day, 12, month=month), modality=modality, confirm="ok"
        )
    # Neither a did-not-attend nor a late cancellation is a session held.
    for kind in ("did_not_attend", "late_cancellation"):
        session_record(
            actor=actor, case=case, now=utc(20, 12, month=1), attendance=kind, modality="video"
        )
    wpo_user = user_with_role(Role.WPO_CLINICIAN)
    q1 = client_report(user=wpo_user, client=employer, year=2026)[0]
    table = next(t for t in q1.tables if t.title == "Sessions held, by modality")
    assert table.row_labels == ["In person", "Video", "Phone", "Not recorded"]
    cells = table.published.cells
    assert cells[2][1] is None  # 2 by phone in February: suppressed
    # Nothing published is a small count (ADR 0018); the months' totals stand.
    assert all(c is None or c == 0 or c >= 5 for row in table.published.grid for c in row)
    assert table.published.column_totals[:2] == [6, 8]
    assert table.published.grid[-1][-1] == 14  # the total counts sessions held only
