"""The "what if" replay: every case opened in a period judged twice by the engine, under the
packs in force and under a draft pack, at the same instant, and the differences per rule
(obligations, obligations missed, breach findings) with the cases behind them. Run by the
worker (tasks.what_if_run); progress is written as it goes so the page can show it."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, time, timedelta
from typing import Any

from django.db.models import Prefetch

from eapcase.cases import bridge
from eapcase.cases.models import Case, CaseEvent
from eapcase.organisations.calendar import partner_calendar
from eapcase.policy.engine import evaluate
from eapcase.policy.pack import PackSet, loads_pack
from eapcase.policy.types import Evaluation
from eapcase.reports.models import WhatIf

#: Cases read per query, and how often progress is written.
CHUNK = 200
#: Cases listed per rule in the result (the counts cover all of them).
CASES_PER_RULE = 200

MISSED = frozenset({"late", "overdue", "breached"})


def _tally(evaluation: Evaluation) -> dict[str, Counter[str]]:
    per_rule: dict[str, Counter[str]] = {}
    for ob in evaluation.obligations:
        counts = per_rule.setdefault(ob.rule, Counter())
        counts["obligations"] += 1
        counts["missed"] += ob.status in MISSED
    for fd in evaluation.findings:
        counts = per_rule.setdefault(fd.rule, Counter())
        counts["findings"] += fd.severity == "breach"
        counts["warnings"] += fd.severity == "warning"
    return per_rule


def what_if_replay(*, run_id: int, now: datetime) -> str:
    """Run a queued replay to its end. A run taken by another worker is left alone."""
    claimed = WhatIf.objects.filter(pk=run_id, state=WhatIf.State.QUEUED).update(
        state=WhatIf.State.RUNNING
    )
    if not claimed:
        return str(WhatIf.objects.get(pk=run_id).state)
    run = WhatIf.objects.get(pk=run_id)
    try:
        result = _replay(run)
    except Exception as exc:  # the run must end in a state the page can show
        WhatIf.objects.filter(pk=run_id).update(
            state=WhatIf.State.FAILED, error=str(exc)[:500], finished_at=now
        )
        raise
    WhatIf.objects.filter(pk=run_id).update(state=WhatIf.State.DONE, result=result, finished_at=now)
    return str(WhatIf.State.DONE)


def _replay(run: WhatIf) -> dict[str, Any]:
    draft = PackSet([loads_pack(run.pack_text, run.pack_name)])
    current = bridge.policy_packs()
    judged_at = run.requested_at
    start = datetime.combine(run.period_from, time(0), tzinfo=UTC)
    end = datetime.combine(run.period_to, time(0), tzinfo=UTC)
    cases = (
        Case.objects.filter(opened_at__gte=start, opened_at__lt=end + timedelta(days=1))
        .select_related("partner")
        .order_by("pk")
    )
    ids = list(cases.values_list("pk", flat=True))
    WhatIf.objects.filter(pk=run.pk).update(cases_total=len(ids), cases_done=0)
    rules: dict[str, dict[str, Any]] = {}
    for offset in range(0, len(ids), CHUNK):
        chunk = (
            Case.objects.filter(pk__in=ids[offset : offset + CHUNK])
            .select_related("partner")
            .prefetch_related(
                "partner__closed_dates",
                Prefetch("events", queryset=CaseEvent.objects.order_by("at", "seq")),
            )
            .order_by("pk")
        )
        for case in chunk:
            info = bridge.case_info(case)
            events = [bridge.engine_event(case, row) for row in case.events.all()]
            calendar = partner_calendar(case.partner)
            before = _tally(evaluate(info, events, current, calendar, judged_at))
            after = _tally(evaluate(info, events, draft, calendar, judged_at))
            for rule in sorted(set(before) | set(after)):
                was, will = before.get(rule, Counter()), after.get(rule, Counter())
                entry = rules.setdefault(
                    rule, {"current": Counter(), "draft": Counter(), "cases": [], "changed": 0}
                )
                entry["current"].update(was)
                entry["draft"].update(will)
                if was != will:
                    entry["changed"] += 1
                    if len(entry["cases"]) < CASES_PER_RULE:
                        entry["cases"].append(case.reference)
        WhatIf.objects.filter(pk=run.pk).update(cases_done=min(offset + CHUNK, len(ids)))
    keys = ("obligations", "missed", "findings", "warnings")
    return {
        "judged_at": judged_at.isoformat(),
        "cases": len(ids),
        "rules": {
            rule: {
                "current": {k: entry["current"][k] for k in keys},
                "draft": {k: entry["draft"][k] for k in keys},
                "changed": entry["changed"],
                "cases": entry["cases"],
            }
            for rule, entry in sorted(rules.items())
        },
    }
