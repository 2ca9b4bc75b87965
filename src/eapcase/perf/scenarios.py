"""The benchmark's scenarios, measured through the real pages and services (Django's test
Client with force_login: URL routing, middleware, session, view, selectors, template) with
their query count, beside the raw-SQL floor: the same rows fetched with one hand-written
query on the same connection, in the same run.

Used by `bench/run.py` (timings) and by the smoke test (query counts only)."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from eapcase.accounts.models import User
from eapcase.cases.models import Case
from eapcase.compliance.selectors import overdue_list_by_partner
from eapcase.core import clock
from eapcase.outreach.services import attempt_record
from eapcase.reports import services as report_services
from eapcase.web.selectors import work_queue as selector


@dataclass
class Measure:
    name: str
    rows: int = 0  # what the scenario shows or writes (rows of the list, events of the case)
    times: list[float] = field(default_factory=list)  # seconds
    queries: int = 0
    floor: list[float] = field(default_factory=list)  # seconds
    note: str = ""

    @property
    def median_ms(self) -> float:
        return statistics.median(self.times) * 1000 if self.times else 0.0

    @property
    def p95_ms(self) -> float:
        return _p95(self.times) * 1000

    @property
    def floor_ms(self) -> float:
        return statistics.median(self.floor) * 1000 if self.floor else 0.0

    @property
    def ratio(self) -> float:
        return self.median_ms / self.floor_ms if self.floor_ms else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "rows": self.rows,
            "median_ms": round(self.median_ms, 2),
            "p95_ms": round(self.p95_ms, 2),
            "queries": self.queries,
            "floor_ms": round(self.floor_ms, 3),
            "floor_p95_ms": round(_p95(self.floor) * 1000, 3),
            "ratio": round(self.ratio, 1),
            "note": self.note,
        }


def _p95(values: list[float]) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


WARMUP = 2  # runs before the timed ones


def _time(fn: Callable[[], Any], iterations: int) -> list[float]:
    for _ in range(WARMUP):
        fn()
    times = []
    for _ in range(iterations):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return times


def _count_queries(fn: Callable[[], Any]) -> int:
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


def _raw(sql: str, params: list[Any]) -> Callable[[], list[tuple[Any, ...]]]:
    def run() -> list[tuple[Any, ...]]:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows: list[tuple[Any, ...]] = cursor.fetchall()
            return rows

    return run


# --- whom and what to measure --------------------------------------------------------------------


@dataclass
class Subjects:
    clinician: User  # the Partner clinician with the most unsatisfied obligations
    long_case: Case  # the case with the most events
    attempt_case: Case  # an open case of the clinician, of the median size
    wpo: User


def subjects() -> Subjects:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.assigned_clinician_id, COUNT(*) AS n FROM compliance_obligation o "
            "JOIN cases_case c ON c.id = o.case_id WHERE o.status IN ('open', 'overdue') "
            "AND c.assigned_clinician_id IS NOT NULL "
            "GROUP BY c.assigned_clinician_id ORDER BY n DESC, c.assigned_clinician_id LIMIT 1"
        )
        clinician_id = cursor.fetchone()[0]
        cursor.execute(
            "SELECT id FROM cases_case ORDER BY event_seq DESC, id LIMIT 1",
        )
        long_id = cursor.fetchone()[0]
        cursor.execute(
            "SELECT id, event_seq FROM cases_case WHERE assigned_clinician_id = %s "
            "AND status = 'open' AND event_seq < 100 ORDER BY event_seq, id",
            [clinician_id],
        )
        open_cases = cursor.fetchall()
        if not open_cases:  # a tiny data set: any open case of a usual size
            cursor.execute(
                "SELECT id, event_seq FROM cases_case WHERE event_seq < 100 "
                "ORDER BY status DESC, event_seq, id"
            )
            open_cases = cursor.fetchall()[:1]
    attempt_id = open_cases[len(open_cases) // 2][0]
    wpo = User.objects.filter(memberships__role="wpo_clinician").order_by("pk").first()
    assert wpo is not None
    return Subjects(
        clinician=User.objects.get(pk=clinician_id),
        long_case=Case.objects.select_related("assigned_clinician").get(pk=long_id),
        attempt_case=Case.objects.get(pk=attempt_id),
        wpo=wpo,
    )


def _client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _get(client: Client, url: str) -> Callable[[], Any]:
    def run() -> Any:
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"GET {url}: {response.status_code}")
        return response

    return run


# --- the scenarios -------------------------------------------------------------------------------


def _instant(value: datetime) -> Any:
    """A parameter for hand-written SQL: SQLite compares Django's naive UTC text."""
    if connection.vendor == "sqlite":
        return connection.ops.adapt_datetimefield_value(value)
    return value


def work_queue(s: Subjects, iterations: int) -> Measure:
    """A clinician's work queue, first page (GET /work/)."""
    client = _client(s.clinician)
    run = _get(client, "/work/")
    queue = selector(user=s.clinician, now=clock.now())
    m = Measure("work queue, first page", rows=queue.all_count)
    m.note = f"{len(queue.items)} rows shown, {queue.overdue} overdue"
    m.queries = _count_queries(run)
    m.times = _time(run, iterations)
    m.floor = _time(_work_queue_floor(s), iterations)
    return m


def work_queue_selector(s: Subjects, iterations: int) -> Measure:
    """The work queue's selector alone (`web.selectors.work_queue`: the ORM query, the access
    gate row by row, the order), against the same floor: the ORM's own overhead."""

    def run() -> Any:
        return selector(user=s.clinician, now=clock.now())

    m = Measure("work queue selector", rows=run().all_count)
    m.queries = _count_queries(run)
    m.times = _time(run, iterations)
    m.floor = _time(_work_queue_floor(s), iterations)
    return m


def _work_queue_floor(s: Subjects) -> Callable[[], list[tuple[Any, ...]]]:
    urgent = (
        "json_extract(t.fields, '$.urgent') = 1"
        if connection.vendor == "sqlite"
        else "(t.fields -> 'urgent') = 'true'::jsonb"
    )
    sql = f"""
        SELECT o.id, o.rule, o.trigger, o.opened_at, o.due_at, o.status, o.target,
               o.attempts_made, o.attempts_required, o.reason, o.position,
               c.reference, c.assigned_clinician_id, p.timezone, pa.full_name,
               (SELECT {urgent} FROM compliance_caseevent t
                 WHERE t.case_id = o.case_id AND t.event_id = o.trigger),
               (SELECT t.at FROM compliance_caseevent t
                 WHERE t.case_id = o.case_id AND t.event_id = o.trigger),
               (SELECT a.attempted_at || ' ' || a.channel || ' ' || a.outcome
                  FROM outreach_contactattempt a
                 WHERE a.case_id = o.case_id AND a.target = o.target
                   AND a.attempted_at >= o.opened_at
                 ORDER BY a.attempted_at DESC, a.id DESC LIMIT 1)
          FROM compliance_obligation o
          JOIN cases_case c ON c.id = o.case_id
          JOIN organisations_partner p ON p.id = c.partner_id
          JOIN cases_participant pa ON pa.id = c.participant_id
         WHERE o.assigned_clinician_id = %s AND o.status IN ('open', 'overdue')
         ORDER BY o.due_at, o.opened_at
    """  # noqa: S608 (a constant chosen by the vendor)
    return _raw(sql, [s.clinician.pk])


def case_page(s: Subjects, iterations: int) -> Measure:
    """The case page of the case with the most events (GET /cases/<ref>/)."""
    case = s.long_case
    viewer = case.assigned_clinician or s.wpo
    run = _get(_client(viewer), f"/cases/{case.reference}/")
    m = Measure("case page", rows=case.event_seq)
    m.note = f"{case.reference}, {case.event_seq} events"
    m.queries = _count_queries(run)
    m.times = _time(run, iterations)
    sql = """
        SELECT e.seq, e.event_id, e.type, e.at, e.by, e.fields
          FROM compliance_caseevent e JOIN cases_case c ON c.id = e.case_id
         WHERE c.reference = %s ORDER BY e.at, e.seq
    """
    m.floor = _time(_raw(sql, [case.reference]), iterations)
    return m


def attempt(s: Subjects, iterations: int) -> Measure:
    """Recording a contact attempt through `outreach.services.attempt_record` (lock, rows,
    event, the engine's refresh, audit), rolled back after each iteration."""
    case = s.attempt_case

    def run() -> None:
        with transaction.atomic():
            attempt_record(
                actor=s.clinician,
                case=case,
                target="participant",
                channel="phone",
                outcome="reached",
                message="none",
                summary="Spoke to the participant (benchmark).",
                now=clock.now(),
                # What the engine finds on it (excess attempts...) is kept, as a clinician's
                # confirmed write would: rolled back with the rest.
                confirm="Benchmark write, rolled back.",
            )
            transaction.set_rollback(True)

    m = Measure("record a contact attempt", rows=case.event_seq)
    m.note = f"{case.reference}, {case.event_seq} events before"
    m.queries = _count_queries(run)
    m.times = _time(run, iterations)

    def floor() -> None:
        now = _instant(clock.now())
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "UPDATE cases_case SET event_seq = event_seq + 1 WHERE id = %s", [case.pk]
            )
            cursor.execute(
                'INSERT INTO compliance_caseevent (case_id, seq, event_id, type, at, "by", fields, '
                "recorded_at, hash) VALUES (%s, %s, %s, 'contact_attempt', %s, '', %s, %s, '')",
                [case.pk, 10_000, "bench-floor", now, '{"target": "participant"}', now],
            )
            cursor.execute(
                "INSERT INTO outreach_contactattempt (case_id, target, channel, outcome, "
                "message, summary, attempted_at, event_id) VALUES (%s, 'participant', "
                "'phone', 'reached', 'none', 'x', %s, 'bench-floor')",
                [case.pk, now],
            )
            transaction.set_rollback(True)

    m.floor = _time(floor, iterations)
    return m


def wpo_overdue(s: Subjects, iterations: int) -> Measure:
    """WPO's escalations page with every Partner's overdue work (GET /escalations/)."""
    run = _get(_client(s.wpo), "/escalations/")
    groups = overdue_list_by_partner(user=s.wpo, now=clock.now())
    m = Measure("WPO overdue work, all Partners", rows=sum(len(g.items) for g in groups))
    m.queries = _count_queries(run)
    m.times = _time(run, iterations)
    sql = """
        SELECT o.id, o.rule, o.trigger, o.due_at, o.position, c.reference, c.partner_id,
               p.name, u.username
          FROM compliance_obligation o
          JOIN cases_case c ON c.id = o.case_id
          JOIN organisations_partner p ON p.id = c.partner_id
          LEFT JOIN accounts_user u ON u.id = c.assigned_clinician_id
         WHERE o.status IN ('open', 'overdue') AND o.due_at <= %s
         ORDER BY o.due_at, c.reference, o.position
    """
    m.floor = _time(_raw(sql, [_instant(clock.now())]), iterations)
    return m


def committed_attempts(s: Subjects, iterations: int) -> Measure:
    """Recording a contact attempt that commits (unlike `attempt`, which rolls back): what the
    SQLite `synchronous` setting costs each acknowledged write (`make bench` runs it with
    NORMAL and FULL; bench/run.py). Writes to a copy of the data, never the shared one."""
    case = s.attempt_case

    def run() -> None:
        attempt_record(
            actor=s.clinician,
            case=case,
            target="participant",
            channel="phone",
            outcome="reached",
            message="none",
            summary="Spoke to the participant (benchmark).",
            now=clock.now(),
            confirm="Benchmark write.",
        )

    m = Measure("record a contact attempt, committed", rows=case.event_seq)
    m.times = _time(run, iterations)
    return m


def compliance_year(s: Subjects, iterations: int) -> Measure:
    """WPO's compliance report for the last 365 days, by rule, Partner and month
    (GET /reports/compliance/), the obligation facts already built: what remains at each
    request is the catch-up finding nothing new, the GROUP BY and the percentiles."""
    now = clock.now()
    # The bench data is written all at once just before: catch up as if the report were read
    # more than the catch-up's overlap later, as it is in use (reports/services.py).
    report_services.facts_catch_up(now=now + report_services.OVERLAP)
    start = (now - timedelta(days=364)).date()
    url = f"/reports/compliance/?date_from={start}&date_to={now.date()}&by=partner&by=month"
    run = _get(_client(s.wpo), url)
    response = run()
    m = Measure("compliance report, a year, all Partners", rows=response.content.count(b"<tr>"))
    m.queries = _count_queries(run)
    m.times = _time(run, iterations)
    sql = """
        SELECT rule, partner_id, month, COUNT(*),
               SUM(CASE WHEN status = 'met' THEN 1 ELSE 0 END),
               SUM(CASE WHEN status = 'late' THEN 1 ELSE 0 END)
          FROM reports_obligationfact
         WHERE opened_day >= %s AND opened_day <= %s
         GROUP BY rule, partner_id, month
    """
    m.floor = _time(_raw(sql, [start, now.date()]), iterations)
    return m


SCENARIOS = (work_queue, work_queue_selector, case_page, attempt, wpo_overdue, compliance_year)


def run_all(
    iterations: int, warmup: int = 2, s: Subjects | None = None, report: bool = True
) -> list[Measure]:
    """Every scenario; `report=False` leaves out the compliance report, whose first run on a
    large database builds its facts (about 45 minutes at 1,000,000 cases on SQLite)."""
    global WARMUP
    WARMUP = warmup
    s = s or subjects()
    chosen = [x for x in SCENARIOS if report or x is not compliance_year]
    return [scenario(s, iterations) for scenario in chosen]
