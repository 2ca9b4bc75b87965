"""The whole demo load: reference data, people, case specifications, their planned stories,
and their execution through the services in the order the cases opened."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta

from eapcase.accounts.models import User
from eapcase.cases.access import cases_visible_to
from eapcase.cases.models import Case, CaseEvent, Obligation, Participant
from eapcase.web.demo import texts
from eapcase.web.demo.caselife import EXTRA_CASES, caselife_load
from eapcase.web.demo.clock import PartnerClock
from eapcase.web.demo.execute import Executor, missed_sessions_load
from eapcase.web.demo.people import ParticipantSpec, make_participants
from eapcase.web.demo.reference import (
    CLIENTS,
    INTAKE,
    LOGINS,
    PARTNERS,
    PROVIDER_WEIGHTS,
    PROVIDERS,
    USERS,
    create_reference,
    partner_clock,
)
from eapcase.web.demo.stories import (
    DEADLINE_STALLS,
    EMAIL_STALLS,
    PROVIDER_STALLS,
    REVIEW_TYPES,
    CaseSpec,
    Plan,
    plan_case,
)

CASE_TYPES = {
    "individual": 46,
    "couples": 12,
    "family": 10,
    "minor": 9,
    "transitional_support": 11,
    "assessment_only": 12,
}
REFERRALS = {"self": 80, "management_referral": 9, "critical_incident": 6, "frequent_user": 5}
WINDOW_DAYS = 150  # cases open over the ~5 months before the reference time
PARTICIPANTS_PER_CASE = 0.75
# Work left undone at the reference time, per demo clinician, most pressing first: with fewer
# cases only the first few are planted.
BACKLOG = (
    "callback",
    "email_ack",
    "provider_contact",
    "checkin",
    "review",
    "notes_review",
    "outreach",
    "email_action",
    "query",
    "notes_upload",
    "callback",
)
LEAD_BACKLOG = ("email_ack", "provider_contact", "review")
PROVIDER_NAMES = {code: name for code, name, *_rest in PROVIDERS}


@dataclass
class Summary:
    cases: int = 0
    participants: int = 0
    events: int = 0
    by_type: Counter[str] = field(default_factory=Counter)
    by_referral: Counter[str] = field(default_factory=Counter)
    by_partner: Counter[str] = field(default_factory=Counter)
    by_status: Counter[str] = field(default_factory=Counter)
    # login -> (overdue on cases they see, overdue on cases assigned to them, open on seen)
    queues: dict[str, tuple[int, int, int]] = field(default_factory=dict)


def load(
    *, now: datetime, seed: int, cases: int, password: str, progress: Callable[[str], None]
) -> Summary:
    ref = create_reference(now=now, password=password)
    clocks = {p.code: partner_clock(p, now.date()) for p in PARTNERS}
    # The case-life stories (waiting for allocation, high risk...) take a few of the cases.
    extras = EXTRA_CASES if cases >= 4 * EXTRA_CASES else 0
    planner = _Planner(now=now, seed=seed, total=cases - extras, clocks=clocks)
    plans = planner.plan_all()
    progress(f"planned {len(plans)} cases; writing them through the services")
    executor = Executor(ref, now)
    created: dict[int, Participant] = {}
    for done, plan in enumerate(sorted(plans, key=lambda p: p.spec.opened_at), start=1):
        person = plan.spec.participant
        if person.index not in created:
            registered = plan.spec.opened_at - timedelta(minutes=1)
            created[person.index] = executor.participant(person, registered, plan.spec.intake)
        executor.run(plan, created[person.index])
        if done % 50 == 0 or done == len(plans):
            progress(f"{done}/{len(plans)} cases written")
    missed = missed_sessions_load(ref, now)
    progress(f"{len(missed)} sessions not attended or cancelled late recorded")
    if extras:
        opened = caselife_load(ref, now)
        progress(f"{len(opened)} cases opened through /cases/new/'s service")
    return summarise(now=now, events=executor.events, users=ref.users)


def summarise(*, now: datetime, events: int, users: dict[str, User]) -> Summary:
    summary = Summary(
        cases=Case.objects.count(),
        participants=Participant.objects.count(),
        events=CaseEvent.objects.count() or events,
    )
    for case_type, referral, partner, status in Case.objects.values_list(
        "case_type", "referral", "partner__code", "status"
    ):
        summary.by_type[case_type] += 1
        summary.by_referral[referral] += 1
        summary.by_partner[partner] += 1
        summary.by_status[status] += 1
    for spec in LOGINS:
        user = users[spec.username]
        seen = Obligation.objects.filter(case__in=cases_visible_to(user))
        overdue = seen.filter(status="overdue")
        summary.queues[spec.username] = (
            overdue.count(),
            overdue.filter(case__assigned_clinician=user).count(),
            seen.filter(status="open").count(),
        )
    return summary


def _quota(weights: dict[str, int], count: int, rng: random.Random) -> list[str]:
    """`count` values in proportion to `weights`, each at least once when there is room."""
    total = sum(weights.values())
    values = [v for v, w in weights.items() for _ in range(max(1, round(count * w / total)))]
    values = (
        values[:count]
        if len(values) >= count
        else values + [max(weights, key=lambda k: weights[k])] * (count - len(values))
    )
    rng.shuffle(values)
    return values


class _Planner:
    def __init__(
        self, *, now: datetime, seed: int, total: int, clocks: dict[str, PartnerClock]
    ) -> None:
        self.now = now
        self.seed = seed
        self.total = total
        self.clocks = clocks
        self.rng = random.Random(f"cases:{seed}")
        self.types = _quota(CASE_TYPES, total, self.rng)
        self.referrals = _quota(REFERRALS, total, self.rng)
        self.people = make_participants(
            count=total,
            seed=seed,
            partners=[(p.code, p.country, p.share) for p in PARTNERS],
            clients=[c.code for c in CLIENTS],
            today=now.date(),
        )
        self.number = 0

    # -- specifications ------------------------------------------------------------------

    def spec(
        self,
        person: ParticipantSpec,
        opened_at: datetime,
        benefit: int | None = None,
        clinician: str | None = None,
    ) -> CaseSpec:
        number = self.number
        self.number += 1
        rng = self.rng
        case_type = self.types[number % len(self.types)]
        client = next(c for c in CLIENTS if c.code == person.client)
        referred = rng.random() < (0.92 if case_type in REVIEW_TYPES else 0.6)
        provider = self.pick_provider(person.partner) if referred else None
        return CaseSpec(
            number=number,
            participant=person,
            partner=person.partner,
            client=client.code,
            case_type=case_type,
            referral=self.referrals[number % len(self.referrals)],
            benefit=benefit or client.sessions,
            provider=provider,
            provider_name=PROVIDER_NAMES.get(provider or "", ""),
            clinician=clinician or self.pick_clinician(person.partner),
            intake=rng.choice(INTAKE),
            opened_at=opened_at,
            issue=rng.choice(texts.ISSUES[case_type]),
            checkins=client.checkins,
            seed=f"{self.seed}:{number}",
        )

    def pick_provider(self, partner: str) -> str:
        codes, weights = zip(*PROVIDER_WEIGHTS[partner], strict=True)
        return str(self.rng.choices(codes, weights=weights)[0])

    def pick_clinician(self, partner: str) -> str:
        staff = [u for u in USERS if u.partner == partner and u.weight]
        return self.rng.choices([u.username for u in staff], weights=[u.weight for u in staff])[0]

    def opening(self, clock: PartnerClock, earliest: date, latest: date) -> datetime:
        """An intake time: the access line is open around the clock, but busiest on weekday
        mornings; most weekend calls wait for Monday."""
        for _ in range(100):
            day = earliest + timedelta(days=self.rng.randint(0, max(0, (latest - earliest).days)))
            if day.weekday() >= 5 and self.rng.random() < 0.7:
                day += timedelta(days=7 - day.weekday())
            at = clock.at_local(day, self.rng.triangular(7.5, 20.0, 10.5))
            if at < self.now - timedelta(minutes=30):
                return at
        return self.now - timedelta(hours=2)

    # -- plans ---------------------------------------------------------------------------

    def plan_all(self) -> list[Plan]:
        firsts = round(self.total * PARTICIPANTS_PER_CASE)
        today = self.now.date()
        specs = []
        for person in self.people[:firsts]:
            clock = self.clocks[person.partner]
            specs.append(
                self.spec(person, self.opening(clock, today - timedelta(days=WINDOW_DAYS), today))
            )
        self.plant_backlog(specs)
        plans = [self.plan(spec) for spec in specs]
        # Returning participants: a new case some weeks after the last one closed.
        pool = [p for p in plans if self.can_return(p)]
        spare = iter(self.people[firsts:])
        while len(plans) < self.total:
            if pool:
                previous = pool.pop(self.rng.randrange(len(pool)))
                person = previous.spec.participant
                assert previous.closed_at is not None
                start = previous.closed_at.date() + timedelta(days=7)
                latest = min(start + timedelta(days=60), today - timedelta(days=1))
                used = sum(p.sessions for p in plans if p.spec.participant is person)
                client = next(c for c in CLIENTS if c.code == person.client)
                benefit = (
                    client.sessions
                    if client.unit == "per_issue"
                    else max(2, client.sessions - used)
                )
                clinician = previous.spec.clinician if self.rng.random() < 0.5 else None
                spec = self.spec(
                    person,
                    self.opening(self.clocks[person.partner], start, latest),
                    benefit,
                    clinician,
                )
                spec.participant = replace(person, prefs=previous.prefs)
                plan = self.plan(spec)
                plan.spec.participant = person
            else:
                person = next(spare)
                plan = self.plan(
                    self.spec(
                        person,
                        self.opening(
                            self.clocks[person.partner], today - timedelta(days=WINDOW_DAYS), today
                        ),
                    )
                )
            plans.append(plan)
            if self.can_return(plan):
                pool.append(plan)
        return plans

    def can_return(self, plan: Plan) -> bool:
        return (
            plan.spec.stall is None
            and plan.closed_at is not None
            and plan.closed_at < self.now - timedelta(days=12)
        )

    def plan(self, spec: CaseSpec) -> Plan:
        clock = self.clocks[spec.partner]
        if spec.stall is None:
            return plan_case(spec, clock, self.now, spec.participant.prefs)
        return self.plan_stalled(spec, clock)

    def plant_backlog(self, specs: list[CaseSpec]) -> None:
        """Give each demo clinician cases that stop at work still to do at the reference time."""
        size = self.total / 200
        wanted = [
            (u.username, kind)
            for u in LOGINS
            if u.partner and u.role != "partner_lead"
            for kind in BACKLOG[: max(3, round(len(BACKLOG) * size))]
        ]
        wanted += [("lead-uk", kind) for kind in LEAD_BACKLOG[: max(1, round(3 * size))]]
        for login, kind in wanted:
            partner = next(u.partner or "" for u in USERS if u.username == login)
            candidates = [
                s
                for s in specs
                if s.partner == partner and s.stall is None and (kind != "checkin" or s.checkins)
            ]
            if not candidates:
                continue
            fitting = [
                s
                for s in candidates
                if s.referral == "self" and (kind != "review" or s.case_type in REVIEW_TYPES)
            ]
            spec = (fitting or candidates)[0]
            spec.stall, spec.clinician, spec.referral = kind, login, "self"
            if kind == "review" and spec.case_type not in REVIEW_TYPES:
                spec.case_type = "couples"
                spec.issue = texts.ISSUES["couples"][0]
            if kind in PROVIDER_STALLS and spec.provider is None:
                spec.provider = self.pick_provider(partner)
            if partner == "P-UK" and kind in ("notes_upload", "provider_contact"):
                spec.provider = "prov-1"  # work in provider-1's view too
            spec.provider_name = PROVIDER_NAMES.get(spec.provider or "", "")

    def plan_stalled(self, spec: CaseSpec, clock: PartnerClock) -> Plan:
        """Move the case's opening until its stall point lies where that work is due (or just
        open) at the reference time."""
        kind = spec.stall or ""
        target = self.stall_target(kind, clock)
        guess = {
            "outreach": 1,
            "query": 4,
            "provider_contact": 15,
            "review": 14,
            "notes_review": 40,
            "notes_upload": 38,
            "checkin": 55,
        }.get(kind, 0)
        opened = target - timedelta(days=guess)
        base_seed = spec.seed
        for attempt in range(160):
            spec.seed = f"{base_seed}:{attempt // 10}"
            spec.opened_at = self.opening(clock, opened.date(), opened.date())
            plan = plan_case(spec, clock, self.now, spec.participant.prefs)
            if plan.stall_at is None:
                continue
            if self.stall_fits(kind, plan.stall_at, clock):
                return plan
            jitter = timedelta(hours=self.rng.uniform(-4, 4))
            opened = min(opened + (target - plan.stall_at) + jitter, self.now)
        raise RuntimeError(f"could not place a {kind} backlog case")

    def stall_target(self, kind: str, clock: PartnerClock) -> datetime:
        """Where the stall point should lie. For work with a deadline: about a business day and
        a half before the reference time, found on the Partner's calendar so that holidays
        (Christmas, Easter) do not leave it not yet due."""
        if kind not in DEADLINE_STALLS:
            return self.now - timedelta(hours=50 if kind in EMAIL_STALLS else 72)
        target = self.now
        while (
            self.now - target < timedelta(days=9)
            and clock.business_hours_between(target, self.now) < 1.6 * clock.day_hours
        ):
            target -= timedelta(minutes=30)
        return target

    def stall_fits(self, kind: str, at: datetime, clock: PartnerClock) -> bool:
        age = self.now - at
        if kind in DEADLINE_STALLS:
            # Overdue: more than a business day has passed, but only recently.
            return clock.business_hours_between(at, self.now) > clock.day_hours + 0.5 and (
                age <= timedelta(days=11)
            )
        if kind in EMAIL_STALLS:
            return timedelta(hours=26) <= age <= timedelta(days=6)
        return timedelta(hours=2) <= age <= timedelta(days=12)
