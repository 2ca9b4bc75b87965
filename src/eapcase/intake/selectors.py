"""Reads of the email pages, always starting from the access predicate.

The email queue: every email of the cases the user may see, at the Partners they work for (or
all, for WPO staff), that is not yet both acknowledged and actioned; urgent first, then oldest
first (rules.md, "Email order"). Its deadlines are the engine's stored CM-EMAIL-ACK and
CM-EMAIL-ACTION obligations of the email's event.

Triage: messages not on a case yet. WPO staff see them all; Partner staff see those that came
to their Partner's mailbox (`InboundMessage.partner`, see intake.linking)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db.models import F, OuterRef, Q, QuerySet, Subquery

from eapcase.accounts.standing import standing_of
from eapcase.cases.access import Action, cases_visible_to, may, visible_partner_ids
from eapcase.cases.models import Obligation
from eapcase.core.errors import NotFound
from eapcase.core.lists import Sort, WindowPage, window_page
from eapcase.intake.choices import Status
from eapcase.intake.models import Attachment, InboundMessage
from eapcase.outreach.models import Email

ACK_RULE = "CM-EMAIL-ACK"
ACTION_RULE = "CM-EMAIL-ACTION"
QUEUE_LIMIT = 200
QUEUE_PER_PAGE = 50

#: How the email queue may be sorted (`?sort=`). "priority" is the order of rules.md "Email
#: order" (urgent first, then the oldest), the default; the others are the table's columns.
QUEUE_SORTS = {
    "priority": ("-urgent", "received_at"),
    "received": ("received_at",),
    "case": ("case__reference", "received_at"),
    "sender": ("sender_kind", "received_at"),
    "subject": ("subject", "received_at"),
}
QUEUE_DEFAULT_SORT = "priority"


@dataclass(frozen=True)
class Deadline:
    due_at: datetime | None
    done_at: datetime | None
    now: datetime

    @property
    def overdue(self) -> bool:
        return self.done_at is None and self.due_at is not None and self.due_at <= self.now

    @property
    def countdown(self) -> str:
        """`5 h 12 min left`, `overdue by 2 h 3 min`, or `done`."""
        if self.done_at is not None:
            return "done"
        if self.due_at is None:
            return ""
        left = self.due_at - self.now
        if left > timedelta(0):
            return f"{_span(left)} left"
        return f"overdue by {_span(-left)}"


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    if hours >= 48:
        return f"{hours // 24} days {hours % 24} h"
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


@dataclass(frozen=True)
class QueueRow:
    email: Email
    ack: Deadline
    action: Deadline
    may_manage: bool


def _managed_cases(user: Any) -> QuerySet[Any]:
    """The visible cases the user works on as WPO or Partner staff (a provider's referrals
    are visible to them, but the Partner's mail is not theirs)."""
    standing = standing_of(user)
    cases = cases_visible_to(user)
    if not standing.is_wpo:
        cases = cases.filter(partner_id__in=list(standing.partner_roles))
    return cases


def _managed_emails(user: Any) -> QuerySet[Email]:
    """The emails of the visible cases the user works on as WPO or Partner staff (a
    provider's referrals are visible to them, but the Partner's mail is not theirs): the
    access predicate (`visible_partner_ids`) as a filter on the email's case.

    The Partner is compared as `partner_id + 0`, which no index can serve: the planner then
    starts from the emails (the queue's own index holds only the pending ones, a few
    thousand however long the history) instead of walking every case of the Partner to find
    them. At 1,000,000 cases SQLite took that walk whenever its statistics suggested it
    (0.2-2.2 s a page, against about 20 ms from the index)."""
    partners = visible_partner_ids(user)
    if partners is None:  # WPO: every Partner's
        return Email.objects.filter(case__isnull=False)
    # The join to the case leaves out the emails that have none (`case IS NOT NULL` here
    # would offer the planner the case index again).
    return Email.objects.alias(case_partner=F("case__partner_id") + 0).filter(
        case_partner__in=partners
    )


_QUEUE_FIELDS = (
    "case", "sender_kind", "from_address", "subject", "body", "urgent", "received_at",
    "acknowledged_at", "actioned_at", "event_id", "case__reference", "case__status",
    "case__partner", "case__provider", "case__partner__timezone",
)  # fmt: skip


def _queue(user: Any) -> QuerySet[Email]:
    due = Obligation.objects.filter(case_id=OuterRef("case_id"), trigger=OuterRef("event_id"))
    return (
        _managed_emails(user)
        .filter(Q(acknowledged_at__isnull=True) | Q(actioned_at__isnull=True))
        .select_related("case", "case__partner")
        # What a row shows (intake/templatetags/eapcase_email.py) and the access gate reads
        # (`may`: the case's Partner and provider); the cases' other columns, their engine
        # state among them, were read and turned into objects for nothing, 50 a page.
        .only(*_QUEUE_FIELDS)
        .annotate(
            ack_due=Subquery(due.filter(rule=ACK_RULE).values("due_at")[:1]),
            action_due=Subquery(due.filter(rule=ACTION_RULE).values("due_at")[:1]),
        )
    )


def _queue_row(user: Any, now: datetime) -> Callable[[Email], QueueRow]:
    def row(e: Any) -> QueueRow:
        return QueueRow(
            email=e,
            ack=Deadline(e.ack_due, e.acknowledged_at, now),
            action=Deadline(e.action_due, e.actioned_at, now),
            may_manage=e.case is not None and may(user, e.case, Action.MANAGE),
        )

    return row


def email_list_queue(*, user: Any, now: datetime, limit: int = QUEUE_LIMIT) -> list[QueueRow]:
    """The email queue, in the order of rules.md "Email order"."""
    emails = _queue(user).order_by("-urgent", "received_at", "id")[:limit]
    return [_queue_row(user, now)(e) for e in emails]


def email_page_queue(*, user: Any, now: datetime, sort: Sort, page: Any = 1) -> WindowPage:
    """A page of the email queue in the order asked for (by default rules.md "Email order"),
    with the total, in one query."""
    rows = _queue(user).order_by(*sort.order_by)
    return window_page(rows, page, QUEUE_PER_PAGE, row=_queue_row(user, now))


def email_get(*, user: Any, email_id: int) -> Email:
    """An email of a case the user works on; NotFound otherwise."""
    email = (
        _managed_emails(user).filter(pk=email_id).select_related("case", "case__partner").first()
    )
    if email is None:
        raise NotFound("No such email.", field="email")
    return email


def inbound_visible_to(user: Any) -> QuerySet[InboundMessage]:
    """Inbound messages the user sees: WPO clinicians every one; Partner staff those of their
    Partners' mailboxes and cases."""
    return _messages_visible_to(user)


def _messages_visible_to(user: Any) -> QuerySet[InboundMessage]:
    standing = standing_of(user)
    messages = InboundMessage.objects.all()
    if standing.is_wpo:
        return messages
    partners = list(standing.partner_roles)
    if not partners:
        return messages.none()
    return messages.filter(Q(partner_id__in=partners) | Q(case__partner_id__in=partners))


def inbound_list_triage(*, user: Any, limit: int = QUEUE_LIMIT) -> list[InboundMessage]:
    """Messages waiting for a case, urgent first, then oldest first."""
    return list(
        _messages_visible_to(user)
        .filter(status=Status.TRIAGE)
        .select_related("partner")
        .defer("raw")
        .order_by("-urgent", "received_at", "id")[:limit]
    )


def inbound_list_automatic(*, user: Any, limit: int = 50) -> list[InboundMessage]:
    """The latest auto-replies and bounces: shown, answered by nobody."""
    return list(
        _messages_visible_to(user)
        .filter(status=Status.AUTOMATIC)
        .select_related("partner", "case")
        .defer("raw")
        .order_by("-received_at", "-id")[:limit]
    )


def inbound_get(*, user: Any, message_id: int) -> InboundMessage:
    message = (
        _messages_visible_to(user)
        .filter(pk=message_id)
        .select_related("partner", "case")
        .defer("raw")
        .first()
    )
    if message is None:
        raise NotFound("No such message.", field="message")
    return message


def attachment_get(*, user: Any, attachment_id: int) -> Attachment:
    """An attachment of a message the user may see (in triage, or of a case they work on)."""
    attachment = (
        Attachment.objects.filter(pk=attachment_id)
        .filter(
            Q(message__in=_messages_visible_to(user).values("pk"))
            | Q(case__in=_managed_cases(user))
        )
        .first()
    )
    if attachment is None:
        raise NotFound("No such attachment.", field="attachment")
    return attachment
