"""Throughput of `eapcase check`: generate a realistic history of N events, judge it in-process
and as a subprocess, and print data size, events per second, wall time and peak memory.

    .venv/bin/python bench/check_throughput.py [--events N] [--seed S] [--phases]

The history is cached under bench/data/ (git-ignored) by N and seed. Targets (issue #16): at
least 200,000 events/s of CPU on one core and a peak memory under 300 MB, on a 1,000,000-event
history; each figure is printed beside its target.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import json
import os
import random
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

NOW = "2026-07-01T12:00:00+00:00"
TARGET_EVENTS_PER_CPU_SECOND = 200_000
TARGET_PEAK_MB = 300
DATA = Path(__file__).resolve().parent / "data"
PARTNERS = [
    {"type": "partner", "id": "P-UK", "timezone": "Europe/London", "country": "GB",
     "subdivision": "ENG", "closed_dates": ["2025-12-31", "2026-12-31"]},
    {"type": "partner", "id": "P-NY", "timezone": "America/New_York", "country": "US",
     "subdivision": "NY"},
    {"type": "partner", "id": "P-SYD", "timezone": "Australia/Sydney", "country": "AU",
     "subdivision": "NSW", "hours": "08:30-17:00"},
    {"type": "partner", "id": "P-DXB", "timezone": "Asia/Dubai", "country": "AE",
     "workdays": "Mon-Fri"},
    {"type": "partner", "id": "P-DE", "timezone": "Europe/Berlin", "country": "DE",
     "subdivision": "BE", "hours": "08:00-16:00"},
]  # fmt: skip
CASE_TYPES = ["individual"] * 6 + [
    "couples",
    "family",
    "minor",
    "transitional_support",
    "assessment_only",
]
REFERRALS = ["self"] * 17 + ["management_referral", "critical_incident", "frequent_user"]
SUMMARIES = [
    "Called, no answer; detailed voicemail with the access line.",
    "Spoke to the participant; agreed a first session next week.",
    "Emailed the access line and times we can call.",
    "",
]


class CaseScript:
    """The events of one case, built in time order."""

    def __init__(self, rng: random.Random, case: str, opened: datetime) -> None:
        self.rng, self.case, self.t = rng, case, opened
        self.lines: list[dict[str, Any]] = []
        self.n = 0

    def later(self, low_minutes: float, high_minutes: float) -> None:
        self.t += timedelta(minutes=self.rng.uniform(low_minutes, high_minutes))

    def add(self, kind: str, **fields: Any) -> str:
        self.n += 1
        event_id = f"{kind[:2]}{self.n}"
        at = self.t.replace(microsecond=0).isoformat()
        self.lines.append({"type": kind, "case": self.case, "at": at, "id": event_id, **fields})
        return event_id

    def attempts(self, count: int, target: str = "participant", reach_at_end: bool = False) -> None:
        rng = self.rng
        for index in range(count):
            self.later(30, 1800)
            reached = reach_at_end and index == count - 1
            self.add(
                "contact_attempt",
                target=target,
                channel=rng.choice(("phone", "phone", "email")),
                outcome="reached" if reached else "not_reached",
                message=rng.choice(("detailed", "detailed", "detailed", "generic", "none")),
                summary=rng.choice(SUMMARIES),
            )


def case_lines(rng: random.Random, number: int) -> list[dict[str, Any]]:
    """A case line and its events: call backs, outreach, check-ins, emails, provider contacts,
    sessions and reviews, notes, queries, dissatisfaction, closure, in realistic proportions."""
    case = f"C{number:07d}"
    opened = datetime(2025, 1, 1, 8, tzinfo=UTC) + timedelta(minutes=rng.randrange(0, 700_000))
    case_type = rng.choice(CASE_TYPES)
    s = CaseScript(rng, case, opened)
    header: dict[str, Any] = {
        "type": "case", "case": case, "at": opened.isoformat(),
        "partner": rng.choice(PARTNERS)["id"], "referral": rng.choice(REFERRALS),
        "case_type": case_type, "benefit_sessions": rng.choice((3, 6, 6, 8)),
    }  # fmt: skip
    if rng.random() < 0.2:
        header["participant"] = {"voicemail_ok": rng.random() < 0.5, "email_only": False}
    if rng.random() < 0.6:
        s.later(1, 30)
        not_before = None
        if rng.random() < 0.2:
            not_before = (s.t + timedelta(hours=rng.uniform(2, 30))).replace(microsecond=0)
        s.add(
            "callback_requested", **({"not_before": not_before.isoformat()} if not_before else {})
        )
        s.attempts(rng.choice((1, 2, 2, 3)), reach_at_end=rng.random() < 0.6)
    for _ in range(rng.choice((0, 0, 1, 2))):
        s.later(60, 3000)
        email = s.add("email_received", **{"from": rng.choice(("wpo", "participant"))})
        s.later(10, 1500)
        s.add("email_acknowledged", email=email)
        if rng.random() < 0.5:
            s.attempts(1, reach_at_end=rng.random() < 0.5)
        if rng.random() < 0.3:
            s.later(10, 600)
            s.add("escalated_to_wpo", reason="no_contact")
        s.later(10, 1500)
        s.add("email_actioned", email=email)
    if rng.random() < 0.4:
        s.later(60, 3000)
        purpose = rng.choice(("general", "general", "complaint", "checkin"))
        s.add("outreach_requested", purpose=purpose, target="participant")
        if rng.random() < 0.1:
            s.add("risk_set", level=rng.choice(("low", "medium", "high")))
        s.attempts(rng.choice((1, 2, 3, 4)), reach_at_end=rng.random() < 0.5)
    if rng.random() < 0.1:
        s.later(60, 600)
        s.add("participant_updated", participant={"voicemail_ok": False})
    sessions = rng.choice((0, 1, 2, 3, 4, 6))
    for index in range(sessions):
        s.later(5000, 12000)
        s.add("session_held")
        if index == 0 and case_type != "individual" and rng.random() < 0.9:
            s.later(60, 3000)
            decision = rng.choice(("authorise_remaining", "transition_session", "deny"))
            sessions_ok = {"authorise_remaining": 2, "transition_session": 1, "deny": 0}[decision]
            s.add(
                "review_completed",
                decision=decision,
                sessions=sessions_ok,
                resources=["community counselling"] if decision == "deny" else [],
            )
        if rng.random() < 0.15:
            s.later(60, 600)
            contact = s.add("provider_contact", topic=rng.choice(("query", "risk", "goal_slip")))
            s.later(30, 2500)
            s.add("provider_responded", contact=contact)
    if sessions and rng.random() < 0.6:
        s.later(600, 3000)
        s.add("intervention_ended", provider="PR-1")
        s.later(600, 8000)
        notes = s.add("case_notes_uploaded", provider="PR-1")
        s.later(600, 8000)
        s.add("case_notes_reviewed", notes=notes)
    if rng.random() < 0.2:
        s.later(60, 3000)
        query = s.add("participant_query")
        s.later(60, 5000)
        s.add("participant_query_resolved", query=query)
    if rng.random() < 0.05:
        s.later(60, 3000)
        s.add("dissatisfaction_noted")
        s.add("escalated_to_wpo", reason="dissatisfaction")
    for _ in range(rng.choice((0, 1, 1, 2))):
        s.later(30, 600)
        s.add("note", summary=rng.choice(SUMMARIES), next_step="Call again on Monday.")
    if rng.random() < 0.6:
        s.later(600, 6000)
        s.add("case_closed", reason="completed")
    return [header, *s.lines]


def generate(path: Path, events: int, seed: int) -> tuple[int, int]:
    """Write a history of at least `events` event lines; returns (events, cases)."""
    rng = random.Random(seed)
    written = cases = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8") as out:
        for partner in PARTNERS:
            out.write(json.dumps(partner) + "\n")
        while written < events:
            cases += 1
            lines = case_lines(rng, cases)
            written += len(lines) - 1
            out.write("".join(json.dumps(line) + "\n" for line in lines))
    tmp.replace(path)
    return written, cases


def count(path: Path) -> tuple[int, int]:
    events = cases = 0
    with path.open("rb") as stream:
        for line in stream:
            if b'"type": "case"' in line:
                cases += 1
            elif b'"type": "partner"' not in line:
                events += 1
    return events, cases


@contextlib.contextmanager
def stdout_to_devnull() -> Iterator[None]:
    saved = sys.stdout
    with open(os.devnull, "w", encoding="utf-8") as sink:
        sys.stdout = sink
        try:
            yield
        finally:
            sys.stdout = saved


def peak_mib(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux reports KiB


def verdict(per_cpu_second: float, peak: float) -> str:
    """The two figures of issue #16 beside their targets. Peak RSS is in MiB (ru_maxrss);
    the target's MB is compared as MiB, the stricter reading."""
    speed = "met" if per_cpu_second >= TARGET_EVENTS_PER_CPU_SECOND else "missed"
    memory = "met" if peak < TARGET_PEAK_MB else "missed"
    return (
        f"{per_cpu_second:,.0f} events/s of CPU (target {TARGET_EVENTS_PER_CPU_SECOND:,}: "
        f"{speed}), peak RSS {peak:.0f} MiB (target < {TARGET_PEAK_MB}: {memory})"
    )


def phases(path: Path) -> None:
    """Time the reader, the engine and the JSON writer separately (in-process)."""
    from eapcase.policy.engine import evaluate
    from eapcase.policy.history import read_history
    from eapcase.policy.pack import as_pack_set
    from eapcase.policy.report import write_json

    now = datetime.fromisoformat(NOW)
    gc.disable()  # as `eapcase check` does while it runs
    t0 = time.perf_counter()
    with path.open(encoding="utf-8", newline="\n") as stream:
        history = read_history(stream)
    t1 = time.perf_counter()
    packs = as_pack_set(None)
    evaluations = [
        evaluate(c.case, c.events, packs, history.calendar(c.case), now) for c in history.cases
    ]
    t2 = time.perf_counter()
    out = io.StringIO()
    write_json(out, packs, evaluations, now)
    t3 = time.perf_counter()
    gc.enable()
    obligations = sum(len(e.obligations) for e in evaluations)
    findings = sum(len(e.findings) for e in evaluations)
    print(f"  phases (wall): read {t1 - t0:.2f} s, evaluate {t2 - t1:.2f} s, JSON {t3 - t2:.2f} s")
    size = len(out.getvalue()) / 2**20
    print(f"  {obligations:,} obligations, {findings:,} findings, {size:.0f} MiB of JSON out")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--phases", action="store_true", help="also time each phase")
    parser.add_argument("--no-subprocess", action="store_true")
    args = parser.parse_args()

    path = DATA / f"history-{args.events}-{args.seed}.jsonl"
    if path.exists():
        events, cases = count(path)
    else:
        started = time.perf_counter()
        events, cases = generate(path, args.events, args.seed)
        print(f"generated in {time.perf_counter() - started:.1f} s")
    size = path.stat().st_size
    print(f"history: {path.name}: {events:,} events, {cases:,} cases, {size / 2**20:.0f} MiB")

    from eapcase.policy.check import main as check_main

    started, cpu_started = time.perf_counter(), time.process_time()
    with stdout_to_devnull():
        status = check_main([str(path), "--now", NOW])
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu_started
    print(
        f"in-process: {events / wall:,.0f} events/s (wall {wall:.2f} s), "
        f"{verdict(events / cpu, peak_mib(resource.RUSAGE_SELF))}, CPU {cpu:.2f} s, exit {status}"
    )
    if args.phases:
        phases(path)
    if not args.no_subprocess:
        command = [sys.executable, "-m", "eapcase.policy.check", str(path), "--now", NOW]
        started = time.perf_counter()
        done = subprocess.run(command, stdout=subprocess.DEVNULL, check=False)
        wall = time.perf_counter() - started
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = usage.ru_utime + usage.ru_stime
        print(
            f"subprocess: {events / wall:,.0f} events/s (wall {wall:.2f} s), "
            f"{verdict(events / cpu, peak_mib(resource.RUSAGE_CHILDREN))}, CPU {cpu:.2f} s, "
            f"exit {done.returncode}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
