"""The case page's long tables drawn in one pass in Python (cases/detail.html).

`{{ page.settled|settled_rows:page.words }}` draws every row of a case's met, late and breached
obligations (some 90 on a case of 200 events): one filter for the table instead of a loop
with a filter a row.

`{{ t|timeline_open }}` and `{{ t|timeline_close:page.words }}` draw a line of the timeline
(50 a page) around its mail partials: its anchor, When, Who and What cells and summary, then
its findings, the reasons given to go ahead, and the next step.

The markup is the one the template had, row for row; every value is escaped (`format_html`),
free text neutralised as `|neutralise` does, the engine's sentences in the case's words.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import capfirst
from django.utils.timezone import get_current_timezone_name, localtime

from eapcase.cases.words import CaseWords, rule_title
from eapcase.core.text import neutralise
from eapcase.web.selectors import local_time

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


@register.filter
def timeline_cells(t: Any) -> SafeString:
    """The When, Who and What cells of a timeline line (`web.case_selectors.TimelineEntry`),
    its instant in the zone the case page activated (the Partner's)."""
    at = t.event.at
    return format_html(
        '<td data-label="When" class="text-nowrap"><time datetime="{}">{}</time></td>\n'
        '<td data-label="Who">{}</td>\n'
        '<td data-label="What">{} <small class="text-body-secondary">{}</small></td>',
        localtime(at).isoformat(),  # what `{{ at|date:"c" }}` gives
        local_time(at, get_current_timezone_name()),
        t.who or "—",
        t.what,
        t.event.event_id,
    )


@register.filter
def timeline_open(t: Any) -> SafeString:
    """A timeline line up to its summary (`web.case_selectors.TimelineEntry`), its anchor an
    email's or the event's."""
    if t.anchor:
        anchor = format_html(' id="{}"', t.anchor)
    elif t.event.event_id:
        anchor = format_html(' id="event-{}"', t.event.event_id)
    else:
        anchor = mark_safe("")
    return format_html(
        '<tr{}>\n{}\n<td data-label="Summary">{}',
        anchor,
        timeline_cells(t),
        neutralise(t.summary),
    )


@register.filter
def timeline_close(t: Any, words: CaseWords | None) -> SafeString:
    """The rest of a timeline line: what the engine found on the event, the reasons given to go
    ahead anyway, the next step."""
    words = words or CaseWords()
    findings = format_html_join(
        "",
        '<div class="small mt-1"><span class="badge {}">{}</span> {} '
        '<small class="text-body-secondary">{}</small></div>',
        (
            (
                "text-bg-danger" if f.severity == "breach" else "text-bg-warning",
                rule_title(f.rule),
                words.text(str(f.detail or "")),
                f.rule,
            )
            for f in t.findings
        ),
    )
    overrides = format_html_join(
        "",
        '<div class="small mt-1 text-body-secondary">Went ahead: “{}”</div>',
        ((o.reason,) for o in t.overrides),
    )
    return format_html(
        '{}{}\n</td>\n<td data-label="Next step">{}</td>\n</tr>',
        findings,
        overrides,
        neutralise(t.next_step),
    )
