"""The work queue's rows, drawn in one pass in Python (`{{ item|work_cells }}`).

A row of the queue is three cells (when it is due, what to do, which case) with a dozen
conditions between them; drawn with template tags they cost some 25 variable lookups, a
filter chain and an include a row, most of the page's time at a busy clinician's 40 rows
(issue #16). The markup here is the one the template had: the same classes, the same words;
every value from the row is escaped (`_html`, below), and the participant's name is neutralised
as `|neutralise` does.

`{{ queue|work_rows }}` draws every row of a clinician's own queue that way, with the cell
saying why: one filter for the table instead of a loop with three tags a row.

`{{ item|overdue_cells:now }}` draws a row of WPO's overdue work (compliance/partials/
overdue_table.html) the same way: 75 rows on the escalations page.

`{{ e|acknowledged_cells }}` draws a row of the acknowledged escalations, and
`{{ level|risk_badge }}` the risk badge of web/partials/risk_badge.html.

`{% select_options choices chosen %}` draws the `<option>`s of a filter's `<select>` the
same way: (value, label) pairs, the chosen value selected.

The rows' cells are put together by `_html` (`web.fasthtml.html`), which escapes every value
as `format_html` does without Django's lazy-string wrappers around each call: on the work queue
those wrappers cost more than the rest of drawing its rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, tzinfo
from typing import Any

from django import template
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import get_current_timezone, localtime

from eapcase.core.text import neutralise
from eapcase.web.fasthtml import html
from eapcase.web.selectors import countdown, local_time

register = template.Library()


#: Kept under its old name: tests/web/test_work_cells.py compares `_html` with `format_html`.
_html = html


def _iso(at: datetime, zone: tzinfo | None = None) -> str:
    """What `{{ at|date:'c' }}` gives: ISO 8601 in the site's time zone (`zone`, when the
    caller has looked it up once for all its rows)."""
    return localtime(at, zone).isoformat()


@register.filter
def risk_badge(level: str) -> SafeString:
    """web/partials/risk_badge.html, for a row: `{{ case.risk_level|risk_badge }}`."""
    if not level or level == "none":
        return mark_safe("")
    colour = "text-bg-warning" if level == "low" else "text-bg-danger"
    return _html('<span class="badge {} risk-badge">{} risk</span>', colour, level)


def _due(item: Any, zone: tzinfo | None) -> SafeString:
    if item.due_at:
        badge = "text-bg-danger" if item.overdue else "text-bg-light border"
        return _html(
            '<time datetime="{}">{}</time><br>\n<span class="countdown badge {}">{}</span>',
            _iso(item.due_at, zone),
            item.due_local,
            badge,
            item.countdown,
        )
    if item.target_at:
        return _html(
            '<span class="text-body-secondary">No policy deadline</span><br>\n'
            'house target <time datetime="{}">{}</time><br>\n'
            '<span class="countdown badge text-bg-light border">{}</span>',
            _iso(item.target_at, zone),
            item.target_local,
            item.target_countdown,
        )
    return _html(
        '<span class="text-body-secondary">No deadline</span><br>\n'
        '<small class="text-body-secondary">open since <time datetime="{}">{}</time></small>',
        _iso(item.obligation.opened_at, zone),
        item.opened_local,
    )


def _todo(item: Any) -> SafeString:
    urgent = mark_safe(' <span class="badge text-bg-warning">urgent</span>') if item.urgent else ""
    attempts: SafeString | str = ""
    if item.attempts:
        last = f"; last: {item.last_attempt}" if item.last_attempt else "; none yet"
        attempts = _html("<br><small>{}{}</small>", item.attempts, last)
    return _html(
        '<span class="fw-semibold{}">{}</span>{}\n'
        '<br><small class="text-body-secondary">{}</small>{}',
        " overdue" if item.overdue else "",
        item.title,
        urgent,
        item.rule,
        attempts,
    )


def _case(item: Any) -> SafeString:
    case = item.case
    name = neutralise(case.participant.preferred_name or case.participant.full_name)
    return _html(
        '<a href="/cases/{}/"><span class="ref">{}</span></a> {}\n'
        '<br><small class="text-body-secondary">{}{}</small>',
        case.reference,
        case.reference,
        risk_badge(case.risk_level),
        name,
        " · closed" if case.status == "closed" else "",
    )


@register.filter
def work_cells(item: Any, zone: tzinfo | None = None) -> SafeString:
    """The Due, To do and Case cells of a work queue row (`web.selectors.WorkItem`)."""
    return _html(
        '<td data-label="Due" class="{}">\n{}\n</td>\n'
        '<td data-label="To do">\n{}\n</td>\n'
        '<td data-label="Case">\n{}\n</td>',
        "overdue text-danger" if item.overdue else "",
        _due(item, zone),
        _todo(item),
        _case(item),
    )


@register.filter
def work_rows(queue: Any) -> SafeString:
    """Every `<tr>` of a clinician's own queue (`web.selectors.WorkQueue`, scope "mine"): the
    row's cells and why it is there; an empty page says so. A lead's team view draws its rows
    in the template, each with its reassignment form."""
    if not queue.items:
        kind = " of this kind" if queue.total != queue.all_count else ""
        return _html('<tr><td colspan="4">Nothing to do{}.</td></tr>', kind)
    zone = get_current_timezone()  # looked up once, not twice a row
    return SafeString(
        "\n".join(
            _html(
                '<tr{}>\n{}\n<td data-label="Why" class="small reason text-body-secondary">{}</td>'
                "\n</tr>",
                mark_safe(" data-overdue") if item.overdue else "",
                work_cells(item, zone),
                item.reason,
            )
            for item in queue.items
        )
    )


@register.filter
def overdue_cells(item: Any, now: datetime) -> SafeString:
    """The cells of a row of overdue work (`compliance.selectors.OverdueItem`), in its
    Partner's time."""
    ob, case = item.obligation, item.case
    who = case.assigned_clinician
    clinician = (
        _html("{}", who.get_full_name() or who.username)
        if who is not None
        else mark_safe("<em>not assigned</em>")
    )
    return _html(
        '<td data-label="Due" class="overdue text-danger text-nowrap">'
        '<time datetime="{}">{}</time></td>\n'
        '<td data-label="Late by" class="countdown overdue text-danger text-nowrap">{}</td>\n'
        '<td data-label="To do">{}<br><small class="text-body-secondary">{}</small></td>\n'
        '<td data-label="Case"><a href="/cases/{}/"><span class="ref">{}</span></a></td>\n'
        '<td data-label="Clinician">{}</td>\n'
        '<td data-label="Why" class="small reason text-body-secondary">{}</td>',
        _iso(ob.due_at),
        local_time(ob.due_at, case.partner.timezone),
        countdown(ob.due_at, now),
        item.title,
        ob.rule,
        case.reference,
        case.reference,
        clinician,
        ob.reason,
    )


@register.filter
def acknowledged_cells(e: Any) -> SafeString:
    """The cells of a row of acknowledged escalations (`cases.models.Escalation` with its case,
    Partner and acknowledging user), in the Partner's time."""
    zone = e.case.partner.timezone
    who = e.acknowledged_by
    return _html(
        '<td data-label="Case"><a href="/cases/{}/"><span class="ref">{}</span></a><br>'
        '<small class="text-body-secondary">{}</small></td>\n'
        '<td data-label="Reason">{}</td>\n'
        '<td data-label="Raised"><time datetime="{}">{}</time></td>\n'
        '<td data-label="Acknowledged"><time datetime="{}">{}</time><br><small>{}</small></td>\n'
        '<td data-label="Note" class="small">{}</td>',
        e.case.reference,
        e.case.reference,
        e.case.partner.code,
        e.get_reason_display(),
        _iso(e.raised_at),
        local_time(e.raised_at, zone),
        _iso(e.acknowledged_at),
        local_time(e.acknowledged_at, zone),
        (who.get_full_name() or who.username) if who is not None else "",
        e.acknowledgement_note,
    )


@register.simple_tag
def select_options(choices: Iterable[tuple[Any, Any]], chosen: Any) -> SafeString:
    """`<option value="v">label</option>` for each (value, label), `chosen` selected."""
    chosen = "" if chosen is None else str(chosen)
    return mark_safe(  # noqa: S308 (each option drawn by _html)
        "\n".join(
            _html(
                '<option value="{}"{}>{}</option>',
                value,
                " selected" if str(value) == chosen else "",
                label,
            )
            for value, label in choices
        )
    )
