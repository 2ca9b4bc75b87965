"""The benchmark harness runs: a tiny data set generated into the test database, each
scenario once, and the same number of queries a page at two sizes (no timing here)."""

from __future__ import annotations

import pytest

from eapcase.perf import scenarios
from eapcase.perf.generator import generate


def _queries(subjects: scenarios.Subjects) -> dict[str, int]:
    measures = scenarios.run_all(iterations=1, warmup=0, s=subjects)
    assert all(m.times and m.floor for m in measures)
    return {m.name: m.queries for m in measures}


@pytest.mark.django_db
def test_each_scenario_runs_with_as_many_queries_at_two_sizes() -> None:
    result = generate(cases=30, seed=3, progress=False, long_cases=1)
    assert result.rows["cases_case"] == 30
    assert result.rows["compliance_caseevent"] >= 200
    first = scenarios.subjects()
    small = _queries(first)

    generate(cases=60, seed=4, progress=False, long_cases=0)
    then = scenarios.subjects()
    # The same write: its queries depend on what the engine finds on that case.
    then.attempt_case = first.attempt_case
    large = _queries(then)

    assert set(small) == {
        "work queue, first page",
        "work queue selector",
        "case page",
        "record a contact attempt",
        "WPO overdue work, all Partners",
        "compliance report, a year, all Partners",
    }
    assert large == small
