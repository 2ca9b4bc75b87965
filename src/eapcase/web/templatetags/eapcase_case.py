"""The case page's long tables drawn in one pass in Python (cases/detail.html).

`{{ page.settled|settled_rows:page.words }}` draws every row of a case's met, late and breached
obligations (some 90 on a case of 200 events): one filter for the table instead of a loop
with a filter a row. The markup is the one the template had, row for row; every value is
escaped (`format_html`), the trigger and the reason in the case's words.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst

from eapcase.cases.words import CaseWords

register = template.Library()

_SETTLED_BADGES = {"met": "text-bg-success", "late": "text-bg-warning"}


@register.filter
def settled_rows(lines: Iterable[Any], words: CaseWords | None) -> SafeString:
    """The `<tr>` of each settled obligation (`web.case_selectors.ObligationLine`)."""
    words = words or CaseWords()
    rows = []
    for line in lines:
        row = line.row
        rows.append(
            format_html(
                '<tr><td><strong>{}</strong><br><small class="text-body-secondary">{} · {}'
                "</small></td><td>{}</td>\n"
                '<td><span class="badge {}">{}</span></td>\n'
                '<td class="small">{}</td></tr>',
                line.label,
                row.rule,
                row.trigger,
                capfirst(words.event(row.trigger)),
                _SETTLED_BADGES.get(row.status, "text-bg-danger"),
                row.status,
                words.text(str(row.reason or "")),
            )
        )
    return mark_safe("\n".join(rows))  # noqa: S308 (each row built by format_html)
