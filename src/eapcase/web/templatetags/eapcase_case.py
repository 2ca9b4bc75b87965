"""The case page's long tables drawn in one pass in Python (cases/detail.html).

`{{ page.settled|settled_rows:page.words }}` draws every row of a case's met, late and breached
obligations (some 90 on a case of 200 events): one filter for the table instead of a loop
with a filter a row.

`{{ page.obligations|open_rows:page.words }}` draws the open obligations the same way.

`{% timeline_rows page.timeline page.words %}` draws the timeline's lines (50 a page): each
line's anchor, When, Who and What cells and summary, the mail partials of a line with mail
(rendered as `{% include %}` renders them, in the page's context), then its findings, the
reasons given to go ahead, and the next step: one tag for the table instead of a loop with
two filters and two conditions a line.

The markup is the one the template had, row for row; every value is escaped (`format_html`'s
escaping, through `web.fasthtml` without Django's lazy wrappers: issue #16), free text
neutralised as `|neutralise` does, the engine's sentences in the case's words.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.template.context import Context
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import get_current_timezone_name, localtime

from eapcase.cases.words import CaseWords, rule_title
from eapcase.core.text import neutralise
from eapcase.web.fasthtml import html, html_join
from eapcase.web.selectors import local_time

register = template.Library()

_SETTLED_BADGES = {"met": "text-bg-success", "late": "text-bg-warning"}


def _capfirst(text: str) -> str:
    """`capfirst`, without its lazy-string wrapper (a label is always a plain string)."""
    return text[:1].upper() + text[1:]


@register.filter
def settled_rows(lines: Iterable[Any], words: CaseWords | None) -> SafeString:
    """The `<tr>` of each settled obligation (`web.case_selectors.ObligationLine`)."""
    words = words or CaseWords()
    return html_join(
        "\n",
        '<tr><td><strong>{}</strong><br><small class="text-body-secondary">{} · {}'
        "</small></td><td>{}</td>\n"
        '<td><span class="badge {}">{}</span></td>\n'
        '<td class="small">{}</td></tr>',
        (
            (
                line.label,
                line.row.rule,
                line.row.trigger,
                _capfirst(words.event(line.row.trigger)),
                _SETTLED_BADGES.get(line.row.status, "text-bg-danger"),
                line.row.status,
                words.text(str(line.row.reason or "")),
            )
            for line in lines
        ),
    )


@register.filter
def open_rows(lines: Iterable[Any], words: CaseWords | None) -> SafeString:
    """The `<tr>` of each open obligation (`web.case_selectors.ObligationLine`), its deadline
    in the zone the case page activated (the Partner's)."""
    words = words or CaseWords()
    zone = get_current_timezone_name()
    rows = []
    for line in lines:
        row = line.row
        due = (
            html(
                '<time datetime="{}">{}</time>',
                localtime(row.due_at).isoformat(),  # what `{{ at|date:"c" }}` gives
                local_time(row.due_at, zone),
            )
            if row.due_at
            else "no deadline"
        )
        status = (
            '<span class="badge text-bg-danger">overdue</span>'
            if line.overdue
            else '<span class="badge text-bg-info">open</span>'
        )
        rows.append(
            html(
                '<tr class="{}">\n'
                '<td data-label="What"><strong>{}</strong><br>'
                '<small class="text-body-secondary">{} · {}</small></td>\n'
                '<td data-label="Opened by">{}</td>\n'
                '<td data-label="Due">{}</td>\n'
                '<td data-label="Status">{}</td>\n'
                '<td data-label="Why" class="small">{}</td>\n'
                "</tr>",
                "overdue" if line.overdue else "",
                line.label,
                row.rule,
                row.trigger,
                _capfirst(words.event(row.trigger)),
                due,
                mark_safe(status),  # noqa: S308 (constant markup)
                words.text(str(row.reason or "")),
            )
        )
    return mark_safe("\n".join(rows))  # noqa: S308 (each row drawn by html)


def _cells(t: Any, zone: str) -> SafeString:
    """The When, Who and What cells of a timeline line (`web.case_selectors.TimelineEntry`),
    its instant in `zone` (the Partner's, which the case page activated)."""
    at = t.event.at
    return html(
        '<td data-label="When" class="text-nowrap"><time datetime="{}">{}</time></td>\n'
        '<td data-label="Who">{}</td>\n'
        '<td data-label="What">{} <small class="text-body-secondary">{}</small></td>',
        localtime(at).isoformat(),  # what `{{ at|date:"c" }}` gives
        local_time(at, zone),
        t.who or "—",
        t.what,
        t.event.event_id,
    )


def _open(t: Any, zone: str) -> SafeString:
    """A timeline line up to its summary, its anchor an email's or the event's."""
    if t.anchor:
        anchor = html(' id="{}"', t.anchor)
    elif t.event.event_id:
        anchor = html(' id="event-{}"', t.event.event_id)
    else:
        anchor = mark_safe("")
    return html(
        '<tr{}>\n{}\n<td data-label="Summary">{}',
        anchor,
        _cells(t, zone),
        neutralise(t.summary),
    )


def _close(t: Any, words: CaseWords) -> SafeString:
    """The rest of a timeline line: what the engine found on the event, the reasons given to go
    ahead anyway, the next step."""
    findings = html_join(
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
    overrides = html_join(
        "",
        '<div class="small mt-1 text-body-secondary">Went ahead: “{}”</div>',
        ((o.reason,) for o in t.overrides),
    )
    return html(
        '{}{}\n</td>\n<td data-label="Next step">{}</td>\n</tr>',
        findings,
        overrides,
        neutralise(t.next_step),
    )


#: The partials of a line with mail, as the template included them.
_MAIL_OUT = "cases/partials/mail_status.html"
_MAIL_IN = "cases/partials/mail_attachments.html"


@register.simple_tag(takes_context=True)
def timeline_rows(context: Context, entries: Iterable[Any], words: CaseWords | None) -> SafeString:
    """Every line of the timeline; an empty timeline says so."""
    zone = get_current_timezone_name()  # the Partner's: the page activated it
    words = words or CaseWords()
    engine = context.template.engine if context.template is not None else None
    rows = []
    for t in entries:
        parts = [_open(t, zone)]
        for partial, mail in ((_MAIL_OUT, t.mail_out), (_MAIL_IN, t.mail_in)):
            if mail:
                # What `{% include partial with m=mail %}` does: the page's context, plus `m`.
                assert engine is not None
                with context.push(m=mail):
                    parts.append(engine.get_template(partial).render(context))
        parts.append(_close(t, words))
        rows.append("\n".join(parts))
    if not rows:
        return mark_safe('<tr><td colspan="5">No events yet.</td></tr>')
    return mark_safe("\n".join(rows))  # noqa: S308 (each part escaped by html or a template)
