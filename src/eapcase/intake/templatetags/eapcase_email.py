"""The email queue's rows, drawn in one pass in Python (`{% email_queue_rows rows %}`).

A row of the queue (intake/queue.html) is six cells with a dozen conditions, four local
times, up to three links and two forms with their CSRF token: drawn with template tags that
was some 35 variable lookups, four filter calls and three `{% url %}`s a row, about 70% of
the page's CPU at 50 rows, and the email queue is a fifth of a clinician's requests (issue
#16 item 5). The markup here is the one the template had (the same classes, the same words,
the same links); every value from the row is escaped (`_html`), and the sender's address and
the subject are neutralised as `|neutralise` does.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from html import escape
from typing import Any
from unicodedata import normalize
from urllib.parse import quote

from django import template
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.timezone import get_current_timezone_name, localtime

from eapcase.core.localtime import local_text
from eapcase.core.text import neutralise
from eapcase.outreach.choices import EmailFrom

register = template.Library()

# What `{{ e.body|truncatechars:4000 }}` showed of a body.
BODY_CHARS = 4000


def _escaped(value: Any) -> str:
    """`conditional_escape(value)`: what `__html__` gives for markup marked safe, else the
    text escaped by `html.escape`, which is what `django.utils.html.escape` calls."""
    html = getattr(value, "__html__", None)
    return str(html()) if html is not None else escape(str(value))


def _html(template: str, *values: Any) -> str:
    """`format_html(template, *values)` without Django's lazy-string wrappers."""
    return template.format(*map(_escaped, values))


def _iso(at: datetime) -> str:
    """What `{{ at|date:'c' }}` gives: ISO 8601 in the active time zone."""
    return localtime(at).isoformat()


def _ref(reference: str) -> str:
    """A case reference as `reverse()` puts it in a path (the same characters quoted)."""
    return quote(reference, safe=RFC3986_SUBDELIMS + "/~:@")


def _body(body: str) -> str:
    """`{{ body|truncatechars:4000 }}`: Django's `Truncator` gives the text in NFC, cut to 4000
    characters (combining marks not counted) with an ellipsis. Counting them character by
    character is most of a row's cost, and a text no longer than that needs no count: the
    NFC text is what the filter gives it."""
    text = normalize("NFC", body)
    return text if len(text) <= BODY_CHARS else Truncator(body).chars(BODY_CHARS)


def _when(at: datetime, zone: str) -> str:
    return _html('<time datetime="{}">{}</time>', _iso(at), local_text(at, zone))


def _deadline(deadline: Any, zone: str) -> str:
    if not deadline.due_at:
        return ""
    return _html(
        '<div class="countdown{}">by {} · {}</div>',
        " overdue" if deadline.overdue else "",
        mark_safe(_when(deadline.due_at, zone)),  # noqa: S308 (drawn by _html above)
        deadline.countdown,
    )


def _form(action: str, token: str, inside: str) -> str:
    return f'<form method="post" action="{action}" class="mt-1">{token}\n{inside}\n        </form>'


def _row(row: Any, token: str) -> str:
    e = row.email
    case = e.case
    # `{{ at|local:e.case.partner }}`: the Partner's zone, or the active one.
    zone = case.partner.timezone or get_current_timezone_name()
    ref = case.reference
    participant = e.sender_kind == EmailFrom.PARTICIPANT
    cells = [
        _html(
            '<tr id="email-{}" class="{}">',
            e.pk,
            "overdue" if row.ack.overdue or row.action.overdue else "",
        ),
        '<td data-label="Received">',
        '<span class="badge text-bg-danger">Urgent</span><br>' if e.urgent else "",
        _when(e.received_at, zone),
        "</td>",
        _html(
            '<td data-label="Case"><a href="/cases/{}/"><span class="ref">{}</span></a></td>',
            _ref(ref),
            ref,
        ),
        _html(
            '<td data-label="From">{}{}</td>',
            e.get_sender_kind_display(),
            mark_safe(  # noqa: S308 (drawn by _html)
                _html(
                    '<br><small class="text-body-secondary">{}</small>', neutralise(e.from_address)
                )
            )
            if e.from_address
            else "",
        ),
        _html('<td data-label="Subject">\n{}', neutralise(e.subject or "(no subject)")),
        _html(
            '<details><summary class="small">Read</summary>'
            '<div class="small text-prewrap">{}</div></details>',
            _body(e.body),
        )
        if e.body
        else "",
        "</td>",
        '<td data-label="Acknowledge">',
    ]
    if e.acknowledged_at:
        cells.append(_html("Acknowledged {}", mark_safe(_when(e.acknowledged_at, zone))))  # noqa: S308
    else:
        cells.append(_deadline(row.ack, zone))
        if row.may_manage:
            if participant and e.from_address:
                # A participant's email is answered: the reply is previewed on the case's page.
                cells.append(
                    _html(
                        '<a class="btn btn-primary btn-sm mt-1" '
                        'href="/cases/{}/email/{}/acknowledge/">Acknowledge and reply'
                        '<span class="visually-hidden"> to the email on {}</span></a>',
                        _ref(ref),
                        e.pk,
                        ref,
                    )
                )
            else:
                cells.append(
                    _form(
                        f"/email/{int(e.pk)}/acknowledge/",
                        token,
                        '<button type="submit" class="btn btn-primary btn-sm">Acknowledge</button>',
                    )
                )
    cells += ["</td>", '<td data-label="Action">', _deadline(row.action, zone)]
    if row.may_manage and participant and case.status == "open":
        # After a call that did not reach them: the detailed message, previewed on the case.
        cells.append(
            _html(
                '<a class="small d-block mt-1" href="/cases/{}/detailed-email/">'
                'Send a detailed message<span class="visually-hidden"> on {}</span></a>',
                _ref(ref),
                ref,
            )
        )
    if row.may_manage and not e.actioned_at:
        pk = int(e.pk)
        cells.append(
            _form(
                f"/email/{pk}/action/",
                token,
                f'<label class="form-label small" for="summary-{pk}">What was done</label>\n'
                f'<textarea class="form-control form-control-sm" id="summary-{pk}" '
                'name="summary" rows="2" required maxlength="5000"></textarea>\n'
                '<button type="submit" class="btn btn-outline-primary btn-sm mt-1">Action</button>',
            )
        )
    cells += ["</td>", "</tr>"]
    return "\n".join(cell for cell in cells if cell)


@register.simple_tag(takes_context=True)
def email_queue_rows(context: Any, rows: Iterable[Any]) -> SafeString:
    """The queue's `<tr>`s (`selectors.QueueRow`s), or the one row saying none is waiting."""
    # As `{% csrf_token %}` draws it: nothing when the page has no token.
    csrf = context.get("csrf_token")
    token = (
        _html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', csrf)
        if csrf and str(csrf) != "NOTPROVIDED"
        else ""
    )
    drawn = [_row(row, token) for row in rows]
    if not drawn:
        return mark_safe('<tr><td colspan="6">No email is waiting.</td></tr>')
    return mark_safe("\n".join(drawn))  # noqa: S308 (every value escaped by _html)
