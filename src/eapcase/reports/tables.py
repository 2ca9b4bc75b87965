"""The compliance report as records (one dict per row) and their CSV and JSON forms, shared
by the page's download and `eapcase report compliance`."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any, TextIO

from eapcase.core import csvsafe
from eapcase.reports.selectors import Figures, FindingCount

#: A cell a spreadsheet would read as a formula starts with one of these.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> Any:
    """Prefix a text cell that a spreadsheet would run as a formula with a quote (OWASP)."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


def figure_records(figures: Iterable[Figures], by: Sequence[str]) -> list[dict[str, Any]]:
    records = []
    for f in figures:
        record: dict[str, Any] = {"rule": f.rule, "rule_title": f.rule_title}
        for d in by:
            value = f.keys[d]
            record[f"{d}_id"] = value.isoformat()[:7] if d == "month" else value
            record[d] = f.labels.get(d, "")
        rate = f.on_time_rate
        record.update(
            opened=f.opened,
            met=f.met,
            late=f.late,
            breached=f.breached,
            still_open=f.open,
            overdue=f.overdue,
            judged=f.judged,
            on_time_rate=None if rate is None else round(rate, 4),
            median_hours_to_satisfy=_hours(f.median_seconds),
            p90_hours_to_satisfy=_hours(f.p90_seconds),
            time_counted="business" if f.business_time else "elapsed",
        )
        records.append(record)
    return records


def finding_records(findings: Iterable[FindingCount]) -> list[dict[str, Any]]:
    return [
        {"rule": f.rule, "rule_title": f.rule_title, "breaches": f.breaches, "warnings": f.warnings}
        for f in findings
    ]


def write_csv(out: TextIO, records: Sequence[dict[str, Any]]) -> None:
    if not records:
        out.write("")
        return
    # The project's one CSV writer: cells that a spreadsheet would run as formulas are escaped.
    writer = csvsafe.writer(out)
    header = list(records[0])
    writer.writerow(header)
    for record in records:
        writer.writerow([record[k] for k in header])


def write_json(out: TextIO, document: dict[str, Any]) -> None:
    json.dump(document, out, ensure_ascii=False, indent=1, default=str)
    out.write("\n")
