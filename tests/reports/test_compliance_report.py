"""The compliance report (/reports/compliance/): who may see which figures, the figures of a
small case, the cases behind a figure, the CSV and its formula escaping."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from eapcase.accounts.choices import Role
from eapcase.outreach.services import attempt_record, callback_request
from eapcase.reports import selectors, services
from eapcase.reports.models import ObligationFact
from eapcase.reports.tables import csv_safe
from tests.factories import (
    ClientOrganisationFactory,
    PartnerFactory,
    open_case,
    user_with_role,
    utc,
)

pytestmark = pytest.mark.django_db

PERIOD = "date_from=2026-03-01&date_to=2026-03-31"


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def two_partners() -> dict[str, Any]:
    """Partner A: a call back met on time and one answered late; Partner B: one never
    answered (overdue by 10 March)."""
    a = PartnerFactory(name="Alpha Care", code="P-A")
    b = PartnerFactory(name="Beta Care", code="P-B")
    employer = ClientOrganisationFactory(name="Acme")
    lead_a = user_with_role(Role.PARTNER_LEAD, partner=a)
    on_time = open_case(partner=a, client=employer, now=utc(2, 9), actor=lead_a)
    late = open_case(partner=a, now=utc(2, 9), actor=lead_a)
    missed = open_case(partner=b, now=utc(2, 9))
    for case in (on_time, late, missed):
        callback_request(actor=lead_a, case=case, now=utc(2, 10), at=utc(2, 10), historical=True)
    for case, at in ((on_time, utc(2, 11)), (late, utc(5, 11))):
        attempt_record(
            actor=lead_a,
            case=case,
            target="participant",
            channel="phone",
            outcome="reached",
            message="none",
            summary="Spoke to them",
            now=at,
            at=at,
            historical=True,
        )
    return {"a": a, "b": b, "lead_a": lead_a, "cases": (on_time, late, missed), "client": employer}


def test_anonymous_users_are_sent_to_log_in() -> None:
    response = Client().get("/reports/compliance/")
    assert response["Location"] == "/accounts/login/?next=/reports/compliance/"


@pytest.mark.parametrize("role", [Role.PARTNER_CLINICIAN, Role.PARTNER_ADMIN, Role.PROVIDER])
def test_clinicians_admins_and_providers_get_403(role: str) -> None:
    user = user_with_role(role)
    for url in (
        "/reports/",
        "/reports/compliance/",
        "/reports/compliance/csv/",
        "/reports/email-order/",
    ):
        assert client_for(user).get(url).status_code == 403, url


@time_machine.travel(utc(10, 12), tick=False)
def test_figures_of_a_call_back_met_late_and_overdue(two_partners: dict[str, Any]) -> None:
    wpo = user_with_role(Role.WPO_CLINICIAN)
    services.facts_catch_up(now=utc(10, 12))
    query = selectors.ReportQuery(
        date(2026, 3, 1), date(2026, 3, 31), rule="CM-CALLBACK", by=("partner",)
    )
    figures = selectors.compliance_figures(
        scope=selectors.report_scope(user=wpo), query=query, now=utc(10, 12)
    )
    got = [
        (f.labels["partner"], f.opened, f.met, f.late, f.breached, f.open, f.overdue, f.judged)
        for f in figures
    ]
    assert got == [("Alpha Care", 2, 1, 1, 0, 0, 0, 2), ("Beta Care", 1, 0, 0, 0, 1, 1, 1)]
    alpha = figures[0]
    assert alpha.on_time_rate == 0.5
    # Business time: 1 hour on Mon 2 March; Mon 10:00 to Thu 11:00 is 3 business days and
    # 1 hour of an 8-hour day (London, 9:00-17:00) = 25 hours. Read from 2%-wide buckets.
    assert alpha.median_seconds == pytest.approx((3600 + 25 * 3600) / 2, rel=0.01)
    assert alpha.p90_seconds == pytest.approx(3600 + 0.9 * 24 * 3600, rel=0.01)


@time_machine.travel(utc(10, 12), tick=False)
def test_a_partners_lead_sees_only_their_partner(two_partners: dict[str, Any]) -> None:
    page = client_for(two_partners["lead_a"]).get(f"/reports/compliance/?{PERIOD}&by=partner")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Alpha Care" in text
    assert "Beta Care" not in text
    missed = two_partners["cases"][2]
    drill = client_for(two_partners["lead_a"]).get(
        f"/reports/compliance/cases/?{PERIOD}&rule=CM-CALLBACK&measure=overdue"
    )
    assert missed.reference not in drill.content.decode()
    rows = list(
        csv.reader(
            io.StringIO(
                client_for(two_partners["lead_a"])
                .get(f"/reports/compliance/csv/?{PERIOD}&by=partner")
                .content.decode()
            )
        )
    )
    assert {r[rows[0].index("partner")] for r in rows[1:]} == {"Alpha Care"}


@time_machine.travel(utc(10, 12), tick=False)
def test_every_figure_links_to_the_cases_behind_it(two_partners: dict[str, Any]) -> None:
    wpo = client_for(user_with_role(Role.WPO_CLINICIAN))
    page = wpo.get(f"/reports/compliance/?{PERIOD}&by=partner&rule=CM-CALLBACK").content.decode()
    on_time, late, missed = two_partners["cases"]
    b = two_partners["b"].pk
    link = (
        "/reports/compliance/cases/?date_from=2026-03-01&amp;date_to=2026-03-31&amp;by=partner"
        f"&amp;rule=CM-CALLBACK&amp;k_partner={b}&amp;measure=overdue"
    )
    assert link in page
    drill = wpo.get(link.replace("&amp;", "&")).content.decode()
    assert f'href="/cases/{missed.reference}/"' in drill
    assert on_time.reference not in drill
    late_cases = wpo.get(
        f"/reports/compliance/cases/?{PERIOD}&rule=CM-CALLBACK&measure=late"
    ).content.decode()
    assert late.reference in late_cases
    assert on_time.reference not in late_cases


@time_machine.travel(utc(10, 12), tick=False)
def test_the_page_shows_a_chart_and_its_table_for_each_rule(two_partners: dict[str, Any]) -> None:
    page = client_for(user_with_role(Role.WPO_CLINICIAN)).get(f"/reports/compliance/?{PERIOD}")
    text = page.content.decode()
    assert '<canvas id="chart-CM-CALLBACK"' in text
    assert 'id="report-charts" type="application/json"' in text
    assert "vendor/chartjs/chart.umd.min.js" in text
    assert "<script>" not in text  # no inline script: the data travels in json_script


@time_machine.travel(utc(10, 12), tick=False)
def test_facts_follow_the_obligations_after_a_later_write(two_partners: dict[str, Any]) -> None:
    services.facts_catch_up(now=utc(10, 12))
    missed = two_partners["cases"][2]
    attempt_record(
        actor=user_with_role(Role.PARTNER_CLINICIAN, partner=missed.partner),
        case=missed,
        target="participant",
        channel="phone",
        outcome="reached",
        message="none",
        summary="Spoke to them",
        now=utc(10, 12),
        historical=True,
    )
    assert services.facts_catch_up(now=utc(10, 12)) >= 1
    fact = ObligationFact.objects.get(case=missed, rule="CM-CALLBACK")
    assert (fact.status, fact.satisfied_at) == ("late", utc(10, 12))


def test_csv_cells_that_look_like_formulas_are_quoted() -> None:
    assert [csv_safe(v) for v in ("=1+1", "+x", "-2", "@SUM(A1)", "\tx", "\rx", "ok", 3)] == [
        "'=1+1",
        "'+x",
        "'-2",
        "'@SUM(A1)",
        "'\tx",
        "'\rx",
        "ok",
        3,
    ]


@time_machine.travel(utc(10, 12), tick=False)
def test_csv_export_escapes_a_partner_name_that_is_a_formula(two_partners: dict[str, Any]) -> None:
    two_partners["a"].name = '=HYPERLINK("http://x")'
    two_partners["a"].save()
    body = client_for(user_with_role(Role.WPO_CLINICIAN)).get(
        f"/reports/compliance/csv/?{PERIOD}&by=partner&rule=CM-CALLBACK"
    )
    assert body["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(body.content.decode())))
    assert rows[1][rows[0].index("partner")] == '\'=HYPERLINK("http://x")'


def test_a_period_ending_before_it_starts_is_refused() -> None:
    wpo = client_for(user_with_role(Role.WPO_CLINICIAN))
    response = wpo.get("/reports/compliance/?date_from=2026-03-31&date_to=2026-03-01")
    assert response.status_code == 400
    assert "The last day is before the first." in response.content.decode()


def test_the_catch_up_sees_a_write_that_committed_after_it_but_read_the_clock_before(
    two_partners: dict[str, Any],
) -> None:
    assert services.facts_catch_up(now=utc(10, 12)) == 3
    assert services.facts_catch_up(now=utc(10, 13)) == 0  # nothing new, nothing read twice
    missed = two_partners["cases"][2]
    # A write whose clock read 12:55 (before the last catch-up at 13:00) commits now.
    attempt_record(
        actor=user_with_role(Role.PARTNER_CLINICIAN, partner=missed.partner),
        case=missed,
        target="participant",
        channel="phone",
        outcome="reached",
        message="none",
        summary="Spoke to them",
        now=utc(10, 12, 55),
        historical=True,
    )
    assert services.facts_catch_up(now=utc(10, 13, 1)) == 1
    assert ObligationFact.objects.get(case=missed, rule="CM-CALLBACK").status == "late"
    # Read once more (it is within the overlap of the 13:01 catch-up), then never again.
    assert services.facts_catch_up(now=utc(10, 14)) == 1
    assert services.facts_catch_up(now=utc(10, 15)) == 0


@time_machine.travel(utc(10, 12), tick=False)
def test_the_page_makes_as_many_queries_whatever_the_number_of_cases(
    two_partners: dict[str, Any],
) -> None:
    wpo = client_for(user_with_role(Role.WPO_CLINICIAN))
    url = f"/reports/compliance/?{PERIOD}&by=partner&by=client&by=clinician&by=month"
    services.facts_catch_up(now=utc(10, 12))
    wpo.get(url)
    with CaptureQueriesContext(connection) as few:
        assert wpo.get(url).status_code == 200
    for day in (3, 4, 5):
        case = open_case(partner=PartnerFactory(), now=utc(day, 9))
        callback_request(actor=two_partners["lead_a"], case=case, now=utc(day, 10), historical=True)
    services.facts_catch_up(now=utc(10, 12))
    with CaptureQueriesContext(connection) as more:
        assert wpo.get(url).status_code == 200
    assert len(more.captured_queries) == len(few.captured_queries)
