"""Writes of the reports app: bringing the obligation facts up to date with the engine's
stored answers, and the "what if" replays of a draft policy pack.

The facts follow `Obligation.evaluated_at`: a refresh of a case stamps every obligation row
it writes with the refresh's `now` (and all of the case's rows when it deleted one), so the
cases whose obligations carry a stamp later than the mark are exactly the cases to rebuild. A
refresh's `now` is read before its transaction commits, so the catch-up looks back OVERLAP
before the mark: a write that commits up to that long after reading the clock is still seen
(rebuilding a case twice is harmless). docs/performance.md and ADR 0017 say more."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.db.models import Max

from eapcase.cases.models import Obligation
from eapcase.core.errors import ServiceError
from eapcase.organisations.calendar import partner_calendar
from eapcase.organisations.models import Partner
from eapcase.policy import measures
from eapcase.policy.pack import PackError, loads_pack
from eapcase.reports import histogram
from eapcase.reports.models import (
    ComplianceDay,
    ComplianceMonth,
    FactsMark,
    ObligationFact,
    WhatIf,
)
from eapcase.reports.tasks import what_if_run

#: How long after reading the clock a case write may commit and still be caught up.
OVERLAP = timedelta(minutes=10)
BATCH = 2000


def facts_catch_up(*, now: datetime) -> int:
    """Rebuild the facts of every case re-evaluated since the last catch-up; returns the
    number of cases rebuilt. Concurrent callers queue on the mark's row lock.

    A write reads its clock (t0, its `evaluated_at`) before it commits (t1 <= t0 + OVERLAP).
    A catch-up at `now` = c sees every commit before c, so the writes it may have missed have
    t0 > c - OVERLAP; the writes after it have t0 > `through`. The next catch-up reads from
    the earlier of the two: only the last OVERLAP of writes is read twice, and only while
    the previous catch-up is that recent."""
    with transaction.atomic():
        mark, _ = FactsMark.objects.select_for_update().get_or_create(pk=1)
        changed = Obligation.objects.all()
        if mark.through is not None and mark.rebuilt_at is not None:
            since = min(mark.through, mark.rebuilt_at - OVERLAP)
            changed = changed.filter(evaluated_at__gt=since)
        newest = changed.aggregate(newest=Max("evaluated_at"))["newest"]
        case_ids = sorted(set(changed.values_list("case_id", flat=True))) if newest else []
        monthly: dict[RollupKey, Counter[Any]] = defaultdict(Counter)
        daily: dict[RollupKey, Counter[Any]] = defaultdict(Counter)
        for start in range(0, len(case_ids), BATCH):
            _facts_replace(case_ids[start : start + BATCH], monthly, daily)
        # Once for the whole catch-up: a batch's cases touch most days of the year, and the
        # rollups' rows are read and written once instead of once a batch.
        _rollup_apply(ComplianceMonth, "month", monthly)
        _rollup_apply(ComplianceDay, "day", daily)
        if newest is not None:
            mark.through = max(newest, mark.through) if mark.through else newest
        # Never backwards: a caller with an earlier clock must not widen the next window.
        mark.rebuilt_at = max(now, mark.rebuilt_at) if mark.rebuilt_at else now
        mark.save()
        return len(case_ids)


RollupKey = tuple[date, str, int, int | None]  # month or day, rule, partner, client


def facts_rebuild(*, case_ids: Iterable[int]) -> None:
    """Replace the facts of these cases with their stored obligations, as the report counts
    them, and apply the difference to the rollups. Runs inside the caller's transaction (the
    rollup rows it changes are locked until it commits)."""
    monthly: dict[RollupKey, Counter[Any]] = defaultdict(Counter)
    daily: dict[RollupKey, Counter[Any]] = defaultdict(Counter)
    _facts_replace(list(case_ids), monthly, daily)
    _rollup_apply(ComplianceMonth, "month", monthly)
    _rollup_apply(ComplianceDay, "day", daily)


def _facts_replace(
    ids: list[int],
    monthly: dict[RollupKey, Counter[Any]],
    daily: dict[RollupKey, Counter[Any]],
) -> None:
    """Replace the facts of these cases; add the differences to `monthly` and `daily`."""
    old = ObligationFact.objects.filter(case_id__in=ids)
    for day, month, rule, partner_id, client_id, status, bucket in old.values_list(
        "opened_day", "month", "rule", "partner_id", "client_id", "status", "satisfy_bucket"
    ):
        _count(monthly[(month, rule, partner_id, client_id)], status, bucket, -1)
        _count(daily[(day, rule, partner_id, client_id)], status, bucket, -1)
    old.delete()
    rows = (
        Obligation.objects.filter(case_id__in=ids)
        .values_list(
            "case_id",
            "partner_id",
            "case__client_id",
            "assigned_clinician_id",
            "rule",
            "trigger",
            "opened_at",
            "due_at",
            "satisfied_at",
            "status",
        )
        .order_by("case_id", "position")
    )
    calendars: dict[int, Any] = {}
    zones: dict[int, ZoneInfo] = {}
    facts = []
    for case_id, partner_id, client_id, clinician_id, rule, trigger, opened, due, done, st in rows:
        if partner_id not in calendars:
            partner = Partner.objects.prefetch_related("closed_dates").get(pk=partner_id)
            calendars[partner_id] = partner_calendar(partner)
            zones[partner_id] = ZoneInfo(partner.timezone)
        day = opened.astimezone(zones[partner_id]).date()
        seconds = bucket = None
        if done is not None:
            taken = measures.time_to_satisfy(rule, calendars[partner_id], opened, done)
            seconds = int(taken.total_seconds())
            bucket = histogram.bucket(seconds)
        month = day.replace(day=1)
        _count(monthly[(month, rule, partner_id, client_id)], st, bucket, +1)
        _count(daily[(day, rule, partner_id, client_id)], st, bucket, +1)
        facts.append(
            ObligationFact(
                case_id=case_id,
                partner_id=partner_id,
                client_id=client_id,
                clinician_id=clinician_id,
                rule=rule,
                trigger=trigger,
                opened_at=opened,
                opened_day=day,
                month=month,
                due_at=due,
                satisfied_at=done,
                status=st,
                satisfy_seconds=seconds,
                satisfy_bucket=bucket,
            )
        )
    ObligationFact.objects.bulk_create(facts, batch_size=1000)


def _count(counts: Counter[Any], status: str, bucket: int | None, sign: int) -> None:
    counts["opened"] += sign
    if status in ("met", "late", "breached"):
        counts[status] += sign
    else:
        counts["unsatisfied"] += sign
    if bucket is not None:
        counts[("bucket", bucket)] += sign


_ROLLUP_COUNTS = ("opened", "met", "late", "breached", "unsatisfied")


def _rollup_apply(
    model: type[ComplianceMonth] | type[ComplianceDay],
    period: str,
    delta: dict[RollupKey, Counter[Any]],
) -> None:
    """Add the differences to the rollup rows (creating and dropping rows as needed)."""
    changed = {key: counts for key, counts in delta.items() if any(counts.values())}
    if not changed:
        return
    manager: Any = model.objects
    periods = {key[0] for key in changed}
    partners = {key[2] for key in changed}
    existing: dict[RollupKey, Any] = {
        (getattr(row, period), row.rule, row.partner_id, row.client_id): row
        for row in manager.select_for_update().filter(
            **{f"{period}__in": periods}, partner_id__in=partners
        )
    }
    to_create, to_update, to_delete = [], [], []
    for key, counts in changed.items():
        row = existing.get(key)
        if row is None:
            when, rule, partner_id, client_id = key
            row = model(**{period: when}, rule=rule, partner_id=partner_id, client_id=client_id)
            to_create.append(row)
        elif row not in to_update:
            to_update.append(row)
        for name in _ROLLUP_COUNTS:
            setattr(row, name, getattr(row, name) + counts[name])
        hist = {int(k): v for k, v in (row.histogram or {}).items()}
        for name, n in counts.items():
            if isinstance(name, tuple):
                hist[name[1]] = hist.get(name[1], 0) + n
        row.histogram = {str(k): v for k, v in sorted(hist.items()) if v}
    for row in list(to_update):
        if row.opened == 0:
            to_update.remove(row)
            to_delete.append(row.pk)
    to_create = [row for row in to_create if row.opened]
    manager.bulk_create(to_create, batch_size=1000)
    manager.bulk_update(to_update, [*_ROLLUP_COUNTS, "histogram"], batch_size=1000)
    manager.filter(pk__in=to_delete).delete()


# --- what if ------------------------------------------------------------------------------------

#: Largest draft pack accepted (a real one is about 2 kB).
PACK_MAX_BYTES = 64 * 1024


def what_if_request(
    *, actor: Any, pack_text: str, pack_name: str, period_from: date, period_to: date, now: datetime
) -> WhatIf:
    """Queue a replay of the cases opened in the period under a draft pack. The pack is
    checked first: ServiceError(field="pack") names the bad key."""
    if len(pack_text.encode("utf-8")) > PACK_MAX_BYTES:
        raise ServiceError("The pack is larger than 64 kB.", field="pack")
    try:
        loads_pack(pack_text, pack_name or "draft")
    except PackError as exc:
        raise ServiceError(str(exc), field="pack") from exc
    if period_to < period_from:
        raise ServiceError("The period ends before it starts.", field="period_to")
    with transaction.atomic():
        run = WhatIf.objects.create(
            pack_text=pack_text,
            pack_name=pack_name[:200] or "draft",
            period_from=period_from,
            period_to=period_to,
            requested_by=actor if getattr(actor, "pk", None) else None,
            requested_at=now,
        )
        transaction.on_commit(lambda: what_if_run.enqueue(run.pk))
    return run
