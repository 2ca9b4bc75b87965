"""Spec-driven table tests for the policy engine.

Every row is read from shared/spec/rules.md (both rule tables, "Time", "Status of an
obligation" and "Precise semantics") and shared/spec/history-format.md, not from the engine.
Each row checks the EXACT set of obligations (rule, trigger, opened_at, due_at, satisfied_at,
status) and findings (rule, event, severity) of one self-referred case; ``detail`` is never
compared. Instants are compared as instants.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from typing import Any

import pytest

from tests.policy.rulebook import (
    PARTNER_NY,
    PARTNER_UK,
    Fd,
    Ob,
    attempt,
    ev,
    find_findings,
    find_obligation,
    findings,
    history,
    instant,
    obligations,
    run,
    run_case,
)
from tests.shared_spec import EXAMPLE_NAMES, EXAMPLES, needs_examples

NOW = "2027-01-15T12:00:00+00:00"  # after every event below: everything is judged


def gmt(s: str) -> str:
    """London winter time / UTC: ``gmt("03-02T10:00:00")`` is 2026-03-02 10:00 +00:00."""
    return f"2026-{s}+00:00"


def bst(s: str) -> str:
    return f"2026-{s}+01:00"


def est(s: str) -> str:
    return f"2026-{s}-05:00"


def edt(s: str) -> str:
    return f"2026-{s}-04:00"


# --- event shorthands (all fields the format names are given explicitly) -------------------


def callback(at: str, id_: str = "cb1", **fields: Any) -> dict[str, Any]:
    return ev("callback_requested", at, id_, **fields)


def outreach(
    at: str, id_: str = "o1", purpose: str = "general", target: str = "participant", **fields: Any
) -> dict[str, Any]:
    return ev("outreach_requested", at, id_, purpose=purpose, target=target, **fields)


def checkin(at: str, id_: str = "ck1", **fields: Any) -> dict[str, Any]:
    return outreach(at, id_, purpose="checkin", **fields)


def outreach_closed(at: str, which: str = "o1") -> dict[str, Any]:
    return ev("outreach_closed", at, None, outreach=which, reason="unable to contact")


def case_closed(at: str) -> dict[str, Any]:
    return ev("case_closed", at, "end", reason="completed")


def email(at: str, id_: str = "e1", sender: str = "participant", **fields: Any) -> dict[str, Any]:
    return ev("email_received", at, id_, **{"from": sender}, **fields)


def ack(at: str, which: str = "e1") -> dict[str, Any]:
    return ev("email_acknowledged", at, None, email=which)


def action(at: str, which: str = "e1") -> dict[str, Any]:
    return ev("email_actioned", at, None, email=which)


def escalate(at: str, reason: str = "no_contact") -> dict[str, Any]:
    return ev("escalated_to_wpo", at, None, reason=reason)


def risk(at: str, level: str) -> dict[str, Any]:
    return ev("risk_set", at, None, level=level)


def update(at: str, **participant: Any) -> dict[str, Any]:
    return ev("participant_updated", at, None, participant=participant)


def session(at: str, id_: str) -> dict[str, Any]:
    return ev("session_held", at, id_)


def review(
    at: str, decision: str, sessions: int = 0, resources: list[str] | None = None, id_: str = "r1"
) -> dict[str, Any]:
    return ev(
        "review_completed",
        at,
        id_,
        decision=decision,
        sessions=sessions,
        resources=[] if resources is None else resources,
    )


def provider_contact(
    at: str, id_: str = "pc1", topic: str = "query", urgent: bool = False
) -> dict[str, Any]:
    return ev("provider_contact", at, id_, topic=topic, urgent=urgent)


def responded(at: str, which: str = "pc1") -> dict[str, Any]:
    return ev("provider_responded", at, None, contact=which)


def ended(at: str, provider: str = "PR-1", id_: str = "ie1") -> dict[str, Any]:
    return ev("intervention_ended", at, id_, provider=provider)


def uploaded(at: str, id_: str, provider: str = "PR-1") -> dict[str, Any]:
    return ev("case_notes_uploaded", at, id_, provider=provider)


def notes_reviewed(at: str, which: str) -> dict[str, Any]:
    return ev("case_notes_reviewed", at, None, notes=which)


def row(
    id_: str,
    events: list[dict[str, Any]],
    now: str,
    obs: list[tuple[Any, ...]],
    fds: list[tuple[str, str, str]] | None = None,
    partner: dict[str, Any] | None = None,
    **case: Any,
) -> Any:
    return pytest.param(events, now, partner, case, obs, fds or [], id=id_)


# Weekdays used below (2026): Mon 2 Mar, Tue 3, Wed 4, Thu 5, Fri 6, Sat 7, Sun 8, Mon 9 Mar.
MON = "03-02T"
TUE = "03-03T"
WED = "03-04T"
THU = "03-05T"
FRI = "03-06T"

ROWS: list[Any] = []

# --- Time: "within N business days" (rules.md, Time) --------------------------------------
# A provider contact opens one CM-PROVIDER-RESPONSE (1 business day) and nothing else, so these
# rows check the business-day calendar alone.


def calendar(id_: str, at: str, due: str, partner: dict[str, Any] | None = None, **p: Any) -> Any:
    partner_line = {**(partner or PARTNER_UK), **p}
    return row(
        f"time/{id_}",
        [provider_contact(at)],
        NOW,
        [Ob("CM-PROVIDER-RESPONSE", "pc1", at, due, None, "overdue")],
        partner=partner_line,
    )


ROWS += [
    calendar("worked-mon-10:00", gmt(MON + "10:00:00"), gmt(TUE + "10:00:00")),
    calendar("worked-fri-16:00", gmt(FRI + "16:00:00"), gmt("03-09T16:00:00")),
    calendar("worked-sat-11:00", gmt("03-07T11:00:00"), gmt("03-09T17:00:00")),
    calendar("worked-mon-17:00-closing", gmt(MON + "17:00:00"), gmt(TUE + "17:00:00")),
    calendar("worked-mon-08:30", gmt(MON + "08:30:00"), gmt(MON + "17:00:00")),
    calendar("worked-christmas", gmt("12-24T15:00:00"), gmt("12-29T15:00:00")),
    calendar("opening-09:00-same-day-closing", gmt(MON + "09:00:00"), gmt(MON + "17:00:00")),
    calendar("16:59:59-inside-hours", gmt(MON + "16:59:59"), gmt(TUE + "16:59:59")),
    calendar("sunday", gmt("03-08T10:00:00"), gmt("03-09T17:00:00")),
    calendar("fri-before-spring-bank-holiday", bst("05-22T16:00:00"), bst("05-26T16:00:00")),
    calendar("fri-before-summer-bank-holiday", bst("08-28T16:00:00"), bst("09-01T16:00:00")),
    calendar("on-summer-bank-holiday", bst("08-31T10:00:00"), bst("09-01T17:00:00")),
    calendar("london-dst-start-fri", gmt("03-27T16:00:00"), bst("03-30T16:00:00")),
    calendar("london-dst-start-sat", gmt("03-28T11:00:00"), bst("03-30T17:00:00")),
    calendar("london-dst-sunday-itself", bst("03-29T10:00:00"), bst("03-30T17:00:00")),
    calendar("london-dst-end-fri", bst("10-23T16:00:00"), gmt("10-26T16:00:00")),
    calendar("london-dst-end-sunday", gmt("10-25T12:00:00"), gmt("10-26T17:00:00")),
    calendar("ny-dst-start-fri", est(FRI + "16:00:00"), edt("03-09T16:00:00"), PARTNER_NY),
    calendar("ny-dst-start-sat", est("03-07T10:00:00"), edt("03-09T17:00:00"), PARTNER_NY),
    calendar("ny-dst-end-fri", edt("10-30T16:00:00"), est("11-02T16:00:00"), PARTNER_NY),
    # Tue 3 Nov 2026 is Election Day, a New York holiday in the holidays package.
    calendar(
        "ny-mon-before-election-day", est("11-02T16:00:00"), est("11-04T16:00:00"), PARTNER_NY
    ),
    calendar("ny-memorial-day-monday", edt("05-22T16:00:00"), edt("05-26T16:00:00"), PARTNER_NY),
    # 09:00 London expressed in UTC during BST is 08:00 UTC: inside hours.
    calendar("bst-opening-in-utc", gmt("06-01T08:00:00"), bst("06-01T17:00:00")),
    calendar("bst-closing-in-utc", gmt("06-01T16:00:00"), bst("06-02T17:00:00")),
    # Partner settings (history-format.md, partner line): closed dates, workdays, hours.
    calendar(
        "closed-date-monday",
        gmt("02-27T16:00:00"),
        gmt(TUE + "16:00:00"),
        closed_dates=["2026-03-02"],
    ),
    calendar("workdays-mon-thu", gmt(THU + "16:00:00"), gmt("03-09T16:00:00"), workdays="Mon-Thu"),
    calendar("workdays-list", gmt(MON + "16:00:00"), gmt(WED + "16:00:00"), workdays="Mon,Wed,Fri"),
    calendar("hours-08-20", gmt(FRI + "18:00:00"), gmt("03-09T18:00:00"), hours="08:00-20:00"),
]

# --- CM-CALLBACK (rules table; Precise semantics, "Call back") ------------------------------
CB = gmt(MON + "10:00:00")
CB_DUE = gmt(TUE + "10:00:00")


def callback_rows() -> list[Any]:
    def cb_row(
        id_: str,
        events: list[dict[str, Any]],
        now: str,
        sat: str | None,
        status: str,
        outreach_status: str = "open",
        outreach_sat: str | None = None,
        fds: list[tuple[str, str, str]] | None = None,
    ) -> Any:
        return row(
            f"CM-CALLBACK/{id_}",
            [callback(CB), *events],
            now,
            [
                Ob("CM-CALLBACK", "cb1", CB, CB_DUE, sat, status),
                Ob("CM-OUTREACH", "cb1", CB, None, outreach_sat, outreach_status),
            ],
            fds,
        )

    return [
        cb_row(
            "attempt-same-day",
            [attempt(gmt(MON + "14:00:00"), "a1")],
            NOW,
            gmt(MON + "14:00:00"),
            "met",
        ),
        cb_row(
            "attempt-1s-before-deadline",
            [attempt(gmt(TUE + "09:59:59"), "a1")],
            NOW,
            gmt(TUE + "09:59:59"),
            "met",
        ),
        cb_row("attempt-exactly-at-deadline", [attempt(CB_DUE, "a1")], NOW, CB_DUE, "met"),
        cb_row(
            "attempt-1s-after-deadline",
            [attempt(gmt(TUE + "10:00:01"), "a1")],
            NOW,
            gmt(TUE + "10:00:01"),
            "late",
        ),
        cb_row("no-attempt-now-at-deadline", [], CB_DUE, None, "overdue"),
        cb_row("no-attempt-now-1s-before-deadline", [], gmt(TUE + "09:59:59"), None, "open"),
        cb_row(
            "email-attempt-counts",
            [attempt(gmt(MON + "14:00:00"), "a1", channel="email")],
            NOW,
            gmt(MON + "14:00:00"),
            "met",
        ),
        cb_row(
            "reached-attempt-also-meets-outreach",
            [attempt(gmt(MON + "14:00:00"), "a1", outcome="reached")],
            NOW,
            gmt(MON + "14:00:00"),
            "met",
            "met",
            gmt(MON + "14:00:00"),
        ),
        cb_row(
            "provider-attempt-does-not-count",
            [attempt(gmt(MON + "14:00:00"), "a1", target="provider")],
            NOW,
            None,
            "overdue",
        ),
        cb_row(
            "attempt-before-request-does-not-count",
            [attempt(gmt(MON + "09:30:00"), "a0")],
            NOW,
            None,
            "overdue",
        ),
        cb_row(
            "two-attempts-second-meets-outreach",
            [attempt(gmt(MON + "14:00:00"), "a1"), attempt(gmt(TUE + "14:00:00"), "a2")],
            NOW,
            gmt(MON + "14:00:00"),
            "met",
            "met",
            gmt(TUE + "14:00:00"),
        ),
        # history-format.md: events applied in time order, whatever the file order.
        row(
            "CM-CALLBACK/file-order-differs-from-time-order",
            [attempt(gmt(MON + "14:00:00"), "a1"), callback(CB)],
            NOW,
            [
                Ob("CM-CALLBACK", "cb1", CB, CB_DUE, gmt(MON + "14:00:00"), "met"),
                Ob("CM-OUTREACH", "cb1", CB, None, None, "open"),
            ],
        ),
        # not_before: the deadline is 1 business day after that instant.
        row(
            "CM-CALLBACK/not-before-weekday",
            [callback(CB, not_before=gmt(WED + "14:00:00")), attempt(gmt(THU + "13:59:59"), "a1")],
            NOW,
            [
                Ob("CM-CALLBACK", "cb1", CB, gmt(THU + "14:00:00"), gmt(THU + "13:59:59"), "met"),
                Ob("CM-OUTREACH", "cb1", CB, None, None, "open"),
            ],
        ),
        row(
            "CM-CALLBACK/not-before-late-attempt",
            [callback(CB, not_before=gmt(WED + "14:00:00")), attempt(gmt(THU + "14:00:01"), "a1")],
            NOW,
            [
                Ob("CM-CALLBACK", "cb1", CB, gmt(THU + "14:00:00"), gmt(THU + "14:00:01"), "late"),
                Ob("CM-OUTREACH", "cb1", CB, None, None, "open"),
            ],
        ),
        row(
            "CM-CALLBACK/not-before-friday-over-weekend",
            [callback(CB, not_before=gmt(FRI + "16:00:00"))],
            gmt("03-09T16:00:00"),
            [
                Ob("CM-CALLBACK", "cb1", CB, gmt("03-09T16:00:00"), None, "overdue"),
                Ob("CM-OUTREACH", "cb1", CB, None, None, "open"),
            ],
        ),
        row(
            "CM-CALLBACK/not-before-saturday",
            [callback(CB, not_before=gmt("03-07T11:00:00"))],
            gmt("03-09T16:59:59"),
            [
                Ob("CM-CALLBACK", "cb1", CB, gmt("03-09T17:00:00"), None, "open"),
                Ob("CM-OUTREACH", "cb1", CB, None, None, "open"),
            ],
        ),
        row(
            "CM-CALLBACK/one-attempt-serves-two-callbacks",
            [
                callback(CB),
                callback(gmt(MON + "11:00:00"), "cb2"),
                attempt(gmt(MON + "14:00:00"), "a1"),
            ],
            NOW,
            [
                Ob("CM-CALLBACK", "cb1", CB, CB_DUE, gmt(MON + "14:00:00"), "met"),
                Ob("CM-OUTREACH", "cb1", CB, None, None, "open"),
                Ob(
                    "CM-CALLBACK",
                    "cb2",
                    gmt(MON + "11:00:00"),
                    gmt(TUE + "11:00:00"),
                    gmt(MON + "14:00:00"),
                    "met",
                ),
                Ob("CM-OUTREACH", "cb2", gmt(MON + "11:00:00"), None, None, "open"),
            ],
        ),
        row(
            "CM-CALLBACK/request-at-closing-time",
            [callback(gmt(MON + "17:00:00"))],
            NOW,
            [
                Ob(
                    "CM-CALLBACK",
                    "cb1",
                    gmt(MON + "17:00:00"),
                    gmt(TUE + "17:00:00"),
                    None,
                    "overdue",
                ),
                Ob("CM-OUTREACH", "cb1", gmt(MON + "17:00:00"), None, None, "open"),
            ],
        ),
        row(
            "CM-CALLBACK/ny-dst-week",
            [callback(est(FRI + "16:00:00")), attempt(edt("03-09T15:59:59"), "a1")],
            NOW,
            [
                Ob(
                    "CM-CALLBACK",
                    "cb1",
                    est(FRI + "16:00:00"),
                    edt("03-09T16:00:00"),
                    edt("03-09T15:59:59"),
                    "met",
                ),
                Ob("CM-OUTREACH", "cb1", est(FRI + "16:00:00"), None, None, "open"),
            ],
            partner=PARTNER_NY,
        ),
    ]


ROWS += callback_rows()

# --- CM-EMAIL-ACK / CM-EMAIL-ACTION (24 clock hours) -----------------------------------------
E1 = gmt(MON + "10:00:00")
E1_24 = gmt(TUE + "10:00:00")
E1_25 = gmt(TUE + "11:00:00")
REACHED_SOON = attempt(gmt(MON + "11:00:00"), "a1", outcome="reached")


def ack_action(
    ack_sat: str | None,
    ack_st: str,
    act_sat: str | None,
    act_st: str,
    received: str = E1,
    trigger: str = "e1",
) -> list[tuple[Any, ...]]:
    due = (instant(received) + (instant(E1_24) - instant(E1))).isoformat()  # +24 h
    return [
        Ob("CM-EMAIL-ACK", trigger, received, due, ack_sat, ack_st),
        Ob("CM-EMAIL-ACTION", trigger, received, due, act_sat, act_st),
    ]


ROWS += [
    row(
        "CM-EMAIL/participant-ack-met-action-late-inform-met",
        [
            email(E1),
            ack(gmt(MON + "12:00:00")),
            escalate(gmt(TUE + "10:30:00")),
            action(gmt(TUE + "10:00:01")),
        ],
        NOW,
        [
            *ack_action(gmt(MON + "12:00:00"), "met", gmt(TUE + "10:00:01"), "late"),
            Ob("CM-EMAIL-INFORM", "e1", E1_24, E1_25, gmt(TUE + "10:30:00"), "met"),
        ],
    ),
    row(
        "CM-EMAIL/from-wpo-ack-exactly-at-24h-action-1s-before",
        [email(E1, sender="wpo"), REACHED_SOON, ack(E1_24), action(gmt(TUE + "09:59:59"))],
        NOW,
        ack_action(E1_24, "met", gmt(TUE + "09:59:59"), "met"),
    ),
    row(
        "CM-EMAIL/from-wpo-opens-inform-too",
        [email(E1, sender="wpo"), ack(gmt(MON + "11:00:00")), action(gmt(MON + "12:00:00"))],
        NOW,
        [
            *ack_action(gmt(MON + "11:00:00"), "met", gmt(MON + "12:00:00"), "met"),
            Ob("CM-EMAIL-INFORM", "e1", E1_24, E1_25, None, "overdue"),
        ],
    ),
    row(
        "CM-EMAIL/needs-contact-false-no-inform",
        [email(E1, needs_contact=False)],
        NOW,
        ack_action(None, "overdue", None, "overdue"),
    ),
    row(
        "CM-EMAIL/urgent-same-24h",
        [email(E1, urgent=True), REACHED_SOON, ack(gmt(TUE + "10:00:01"))],
        NOW,
        ack_action(gmt(TUE + "10:00:01"), "late", None, "overdue"),
    ),
    row(
        "CM-EMAIL/ack-is-not-action",
        [email(E1), REACHED_SOON, ack(gmt(MON + "12:00:00"))],
        gmt(TUE + "09:00:00"),
        ack_action(gmt(MON + "12:00:00"), "met", None, "open"),
    ),
    row(
        "CM-EMAIL/ack-names-other-email",
        [
            email(E1),
            email(gmt(MON + "10:30:00"), "e2"),
            REACHED_SOON,
            ack(gmt(MON + "12:00:00"), "e2"),
            action(gmt(MON + "12:00:00"), "e1"),
            action(gmt(MON + "12:00:00"), "e2"),
        ],
        NOW,
        [
            *ack_action(None, "overdue", gmt(MON + "12:00:00"), "met"),
            *ack_action(
                gmt(MON + "12:00:00"),
                "met",
                gmt(MON + "12:00:00"),
                "met",
                gmt(MON + "10:30:00"),
                "e2",
            ),
        ],
    ),
    # Clock hours ignore weekends and DST (rules.md, Time).
    row(
        "CM-EMAIL/clock-hours-over-weekend",
        [email(gmt(FRI + "16:00:00")), ack(gmt("03-07T15:59:59"))],
        gmt("03-07T16:30:00"),
        [
            *ack_action(gmt("03-07T15:59:59"), "met", None, "overdue", gmt(FRI + "16:00:00")),
            Ob("CM-EMAIL-INFORM", "e1", gmt("03-07T16:00:00"), gmt("03-07T17:00:00"), None, "open"),
        ],
    ),
    row(
        "CM-EMAIL/clock-hours-over-london-dst",
        [
            email(gmt("03-28T12:00:00")),
            attempt(gmt("03-28T13:00:00"), "a1", outcome="reached"),
            ack(bst("03-29T12:30:00")),
            action(bst("03-29T13:00:01")),
        ],
        NOW,
        [
            Ob(
                "CM-EMAIL-ACK",
                "e1",
                gmt("03-28T12:00:00"),
                bst("03-29T13:00:00"),
                bst("03-29T12:30:00"),
                "met",
            ),
            Ob(
                "CM-EMAIL-ACTION",
                "e1",
                gmt("03-28T12:00:00"),
                bst("03-29T13:00:00"),
                bst("03-29T13:00:01"),
                "late",
            ),
        ],
    ),
]

# --- CM-EMAIL-INFORM (Precise semantics, "24 hours") -----------------------------------------
HANDLED = [ack(gmt(MON + "11:00:00")), action(gmt(MON + "11:00:00"))]
HANDLED_OBS = ack_action(gmt(MON + "11:00:00"), "met", gmt(MON + "11:00:00"), "met")


def inform_row(
    id_: str, events: list[dict[str, Any]], inform: list[tuple[Any, ...]], now: str = NOW
) -> Any:
    return row(
        f"CM-EMAIL-INFORM/{id_}", [email(E1), *HANDLED, *events], now, [*HANDLED_OBS, *inform]
    )


ROWS += [
    inform_row("reached-exactly-at-24h", [attempt(E1_24, "a1", outcome="reached")], []),
    inform_row("reached-at-receipt", [attempt(E1, "a1", outcome="reached")], []),
    inform_row(
        "reached-at-24h-plus-1s",
        [attempt(gmt(TUE + "10:00:01"), "a1", outcome="reached")],
        [Ob("CM-EMAIL-INFORM", "e1", E1_24, E1_25, None, "overdue")],
    ),
    inform_row(
        "escalation-exactly-1h-after-opening",
        [escalate(E1_25)],
        [Ob("CM-EMAIL-INFORM", "e1", E1_24, E1_25, E1_25, "met")],
    ),
    inform_row(
        "escalation-1h-plus-1s-after-opening",
        [escalate(gmt(TUE + "11:00:01"))],
        [Ob("CM-EMAIL-INFORM", "e1", E1_24, E1_25, gmt(TUE + "11:00:01"), "late")],
    ),
    inform_row(
        "escalation-before-24h-mark-satisfies",
        [escalate(gmt(MON + "18:00:00"), reason="other")],
        [Ob("CM-EMAIL-INFORM", "e1", E1_24, E1_25, gmt(MON + "18:00:00"), "met")],
    ),
    inform_row(
        "escalation-at-receipt-satisfies",
        [escalate(E1)],
        [Ob("CM-EMAIL-INFORM", "e1", E1_24, E1_25, E1, "met")],
    ),
    row(
        "CM-EMAIL-INFORM/escalation-before-receipt-does-not",
        [escalate(gmt(MON + "09:59:59")), email(E1), *HANDLED],
        NOW,
        [*HANDLED_OBS, Ob("CM-EMAIL-INFORM", "e1", E1_24, E1_25, None, "overdue")],
    ),
    row(
        "CM-EMAIL-INFORM/reached-before-receipt-does-not-count",
        [attempt(gmt(MON + "09:00:00"), "a0", outcome="reached"), email(E1), *HANDLED],
        NOW,
        [*HANDLED_OBS, Ob("CM-EMAIL-INFORM", "e1", E1_24, E1_25, None, "overdue")],
    ),
    inform_row(
        "not-reached-attempts-do-not-count",
        [attempt(gmt(MON + "12:00:00"), "a1"), attempt(gmt(MON + "15:00:00"), "a2")],
        [Ob("CM-EMAIL-INFORM", "e1", E1_24, E1_25, None, "overdue")],
    ),
    inform_row(
        "reached-provider-does-not-count",
        [attempt(gmt(MON + "12:00:00"), "a1", target="provider", outcome="reached")],
        [Ob("CM-EMAIL-INFORM", "e1", E1_24, E1_25, None, "overdue")],
    ),
    inform_row(
        "open-within-its-hour",
        [],
        [Ob("CM-EMAIL-INFORM", "e1", E1_24, E1_25, None, "open")],
        now=gmt(TUE + "10:59:59"),
    ),
    inform_row(
        "overdue-at-its-due",
        [],
        [Ob("CM-EMAIL-INFORM", "e1", E1_24, E1_25, None, "overdue")],
        now=E1_25,
    ),
    # Reading: before receipt + 24 h the obligation has not opened, so it is not listed.
    inform_row("not-yet-opened-before-24h", [], [], now=gmt(TUE + "09:59:59")),
    row(
        "CM-EMAIL-INFORM/one-escalation-two-emails",
        [
            email(E1),
            email(gmt(MON + "11:00:00"), "e2"),
            escalate(gmt(MON + "12:00:00")),
            ack(gmt(MON + "12:00:00"), "e1"),
            action(gmt(MON + "12:00:00"), "e1"),
            ack(gmt(MON + "12:00:00"), "e2"),
            action(gmt(MON + "12:00:00"), "e2"),
        ],
        NOW,
        [
            *ack_action(gmt(MON + "12:00:00"), "met", gmt(MON + "12:00:00"), "met"),
            *ack_action(
                gmt(MON + "12:00:00"),
                "met",
                gmt(MON + "12:00:00"),
                "met",
                gmt(MON + "11:00:00"),
                "e2",
            ),
            Ob("CM-EMAIL-INFORM", "e1", E1_24, E1_25, gmt(MON + "12:00:00"), "met"),
            Ob(
                "CM-EMAIL-INFORM",
                "e2",
                gmt(TUE + "11:00:00"),
                gmt(TUE + "12:00:00"),
                gmt(MON + "12:00:00"),
                "met",
            ),
        ],
    ),
]

# --- CM-DISSATISFACTION -------------------------------------------------------------------
D1 = gmt(MON + "10:00:00")
ROWS += [
    row(
        "CM-DISSATISFACTION/escalated-same-instant",
        [ev("dissatisfaction_noted", D1, "d1"), escalate(D1, "dissatisfaction")],
        NOW,
        [Ob("CM-DISSATISFACTION", "d1", D1, None, D1, "met")],
    ),
    row(
        "CM-DISSATISFACTION/escalated-later-any-time",
        [ev("dissatisfaction_noted", D1, "d1"), escalate(gmt("03-20T10:00:00"), "dissatisfaction")],
        NOW,
        [Ob("CM-DISSATISFACTION", "d1", D1, None, gmt("03-20T10:00:00"), "met")],
    ),
    row(
        "CM-DISSATISFACTION/escalation-before-does-not-count",
        [escalate(gmt(MON + "09:00:00"), "other"), ev("dissatisfaction_noted", D1, "d1")],
        NOW,
        [Ob("CM-DISSATISFACTION", "d1", D1, None, None, "open")],
    ),
    row(
        "CM-DISSATISFACTION/case-closed-unescalated",
        [ev("dissatisfaction_noted", D1, "d1"), case_closed(gmt(TUE + "10:00:00"))],
        NOW,
        [Ob("CM-DISSATISFACTION", "d1", D1, None, None, "breached")],
    ),
    # history-format.md: an event without id is named L<line number> (partner 1, case 2).
    row(
        "CM-DISSATISFACTION/unnamed-trigger-is-L-line",
        [ev("dissatisfaction_noted", D1)],
        NOW,
        [Ob("CM-DISSATISFACTION", "L3", D1, None, None, "open")],
    ),
]

# --- CM-REVIEW, CM-REVIEW-DECISION, CM-SESSION-UNAUTHORISED ---------------------------------
S1 = gmt("03-09T10:00:00")
R1 = gmt("03-10T10:00:00")
LATER = [gmt(f"03-{d:02d}T10:00:00") for d in (11, 12, 13, 16, 17, 18, 19, 20)]


def more_sessions(n: int) -> list[dict[str, Any]]:
    """Sessions s2..s(n+1) after the review, on 11, 12, 13, 16 ... March."""
    return [session(LATER[i], f"s{i + 2}") for i in range(n)]


def review_met(case_type: str) -> Any:
    return row(
        f"CM-REVIEW/{case_type}-reviewed-after-first-session",
        [session(S1, "s1"), review(R1, "authorise_remaining", 5), *more_sessions(5)],
        NOW,
        [Ob("CM-REVIEW", "s1", S1, None, R1, "met")],
        case_type=case_type,
    )


REVIEW_TYPES = ["couples", "family", "minor", "transitional_support", "assessment_only"]
ROWS += [review_met(t) for t in REVIEW_TYPES]
ROWS += [
    row(
        f"CM-REVIEW/{t}-open-after-first-session",
        [session(S1, "s1")],
        NOW,
        [Ob("CM-REVIEW", "s1", S1, None, None, "open")],
        case_type=t,
    )
    for t in REVIEW_TYPES
]
ROWS += [
    row(
        f"CM-REVIEW/{t}-second-session-before-review",
        [session(S1, "s1"), session(LATER[0], "s2"), review(LATER[1], "transition_session", 1)],
        NOW,
        [Ob("CM-REVIEW", "s1", S1, None, None, "breached")],
        [Fd("CM-SESSION-UNAUTHORISED", "s2", "breach")],
        case_type=t,
    )
    for t in REVIEW_TYPES
]
ROWS += [
    row(
        "CM-REVIEW/individual-case-has-no-review",
        [session(S1, "s1"), session(LATER[0], "s2")],
        NOW,
        [],
        case_type="individual",
    ),
    row(
        "CM-REVIEW/case-closed-before-review",
        [session(S1, "s1"), case_closed(R1)],
        NOW,
        [Ob("CM-REVIEW", "s1", S1, None, None, "breached")],
        case_type="couples",
    ),
    row(
        "CM-REVIEW/closure-after-review-changes-nothing",
        [session(S1, "s1"), review(R1, "authorise_remaining", 5), case_closed(LATER[0])],
        NOW,
        [Ob("CM-REVIEW", "s1", S1, None, R1, "met")],
        case_type="couples",
    ),
    row(
        "CM-REVIEW/example-C5-breached-stays-breached",
        [
            session(S1, "s1"),
            session(gmt("03-16T10:00:00"), "s2"),
            review(gmt("03-17T10:00:00"), "deny"),
        ],
        NOW,
        [Ob("CM-REVIEW", "s1", S1, None, None, "breached")],
        [Fd("CM-SESSION-UNAUTHORISED", "s2", "breach"), Fd("CM-REVIEW-DECISION", "r1", "breach")],
        case_type="minor",
        benefit_sessions=3,
    ),
    row(
        "CM-REVIEW/two-sessions-before-review-two-findings",
        [session(S1, "s1"), session(LATER[0], "s2"), session(LATER[1], "s3")],
        NOW,
        [Ob("CM-REVIEW", "s1", S1, None, None, "breached")],
        [
            Fd("CM-SESSION-UNAUTHORISED", "s2", "breach"),
            Fd("CM-SESSION-UNAUTHORISED", "s3", "breach"),
        ],
        case_type="family",
    ),
    row(
        "CM-REVIEW/review-before-first-session-does-not-satisfy",
        [review(gmt(FRI + "10:00:00"), "authorise_remaining", 5, id_="r0"), session(S1, "s1")],
        NOW,
        [Ob("CM-REVIEW", "s1", S1, None, None, "open")],
        case_type="couples",
    ),
    row(
        "CM-REVIEW/early-review-then-review-after-session",
        [
            review(gmt(FRI + "10:00:00"), "authorise_remaining", 5, id_="r0"),
            session(S1, "s1"),
            review(R1, "authorise_remaining", 5),
        ],
        NOW,
        [Ob("CM-REVIEW", "s1", S1, None, R1, "met")],
        case_type="couples",
    ),
    # Review decisions and the authorised totals ("Sessions" bullet). Benefit 6, s1 held.
    row(
        "CM-REVIEW-DECISION/authorise-more-than-remain-capped-at-benefit",
        [session(S1, "s1"), review(R1, "authorise_remaining", 6), *more_sessions(6)],
        NOW,
        [Ob("CM-REVIEW", "s1", S1, None, R1, "met")],
        [Fd("CM-REVIEW-DECISION", "r1", "breach"), Fd("CM-SESSION-UNAUTHORISED", "s7", "breach")],
        case_type="couples",
    ),
    row(
        "CM-REVIEW-DECISION/authorise-exactly-remaining",
        [session(S1, "s1"), review(R1, "authorise_remaining", 5), *more_sessions(6)],
        NOW,
        [Ob("CM-REVIEW", "s1", S1, None, R1, "met")],
        [Fd("CM-SESSION-UNAUTHORISED", "s7", "breach")],
        case_type="couples",
    ),
    row(
        "CM-SESSION-UNAUTHORISED/authorise-two-gives-three",
        [session(S1, "s1"), review(R1, "authorise_remaining", 2), *more_sessions(3)],
        NOW,
        [Ob("CM-REVIEW", "s1", S1, None, R1, "met")],
        [Fd("CM-SESSION-UNAUTHORISED", "s4", "breach")],
        case_type="family",
    ),
    row(
        "CM-SESSION-UNAUTHORISED/authorise-zero-default",
        [session(S1, "s1"), review(R1, "authorise_remaining"), *more_sessions(1)],
        NOW,
        [Ob("CM-REVIEW", "s1", S1, None, R1, "met")],
        [Fd("CM-SESSION-UNAUTHORISED", "s2", "breach")],
        case_type="family",
    ),
    row(
        "CM-REVIEW-DECISION/transition-one-is-fine",
        [session(S1, "s1"), review(R1, "transition_session", 1), *more_sessions(2)],
        NOW,
        [Ob("CM-REVIEW", "s1", S1, None, R1, "met")],
        [Fd("CM-SESSION-UNAUTHORISED", "s3", "breach")],
        case_type="transitional_support",
    ),
    row(
        "CM-REVIEW-DECISION/transition-two-still-one-authorised",
        [session(S1, "s1"), review(R1, "transition_session", 2), *more_sessions(2)],
        NOW,
        [Ob("CM-REVIEW", "s1", S1, None, R1, "met")],
        [Fd("CM-REVIEW-DECISION", "r1", "breach"), Fd("CM-SESSION-UNAUTHORISED", "s3", "breach")],
        case_type="transitional_support",
    ),
    row(
        "CM-REVIEW-DECISION/transition-zero",
        [session(S1, "s1"), review(R1, "transition_session", 0), *more_sessions(1)],
        NOW,
        [Ob("CM-REVIEW", "s1", S1, None, R1, "met")],
        [Fd("CM-REVIEW-DECISION", "r1", "breach")],
        case_type="minor",
    ),
    row(
        "CM-REVIEW-DECISION/deny-with-resources-is-fine",
        [session(S1, "s1"), review(R1, "deny", 0, ["local support group"]), *more_sessions(1)],
        NOW,
        [Ob("CM-REVIEW", "s1", S1, None, R1, "met")],
        [Fd("CM-SESSION-UNAUTHORISED", "s2", "breach")],
        case_type="assessment_only",
    ),
    row(
        "CM-REVIEW-DECISION/deny-with-a-session",
        [session(S1, "s1"), review(R1, "deny", 1, ["local support group"]), *more_sessions(1)],
        NOW,
        [Ob("CM-REVIEW", "s1", S1, None, R1, "met")],
        [Fd("CM-REVIEW-DECISION", "r1", "breach"), Fd("CM-SESSION-UNAUTHORISED", "s2", "breach")],
        case_type="assessment_only",
    ),
    row(
        "CM-REVIEW-DECISION/deny-without-resources",
        [session(S1, "s1"), review(R1, "deny", 0, [])],
        NOW,
        [Ob("CM-REVIEW", "s1", S1, None, R1, "met")],
        [Fd("CM-REVIEW-DECISION", "r1", "breach")],
        case_type="couples",
    ),
    row(
        "CM-REVIEW-DECISION/deny-both-faults-one-finding",
        [session(S1, "s1"), review(R1, "deny", 2, [])],
        NOW,
        [Ob("CM-REVIEW", "s1", S1, None, R1, "met")],
        [Fd("CM-REVIEW-DECISION", "r1", "breach")],
        case_type="couples",
    ),
    row(
        "CM-SESSION-UNAUTHORISED/individual-beyond-benefit",
        [session(S1, "s1"), *more_sessions(3)],
        NOW,
        [],
        [
            Fd("CM-SESSION-UNAUTHORISED", "s3", "breach"),
            Fd("CM-SESSION-UNAUTHORISED", "s4", "breach"),
        ],
        case_type="individual",
        benefit_sessions=2,
    ),
    row(
        "CM-SESSION-UNAUTHORISED/individual-within-benefit",
        [session(S1, "s1"), *more_sessions(5)],
        NOW,
        [],
        case_type="individual",
        benefit_sessions=6,
    ),
]

# --- CM-PROVIDER-RESPONSE ---------------------------------------------------------------
PC = gmt(FRI + "16:00:00")
PC_DUE = gmt("03-09T16:00:00")
ROWS += [
    row(
        "CM-PROVIDER-RESPONSE/over-weekend-1s-before",
        [provider_contact(PC), responded(gmt("03-09T15:59:59"))],
        NOW,
        [Ob("CM-PROVIDER-RESPONSE", "pc1", PC, PC_DUE, gmt("03-09T15:59:59"), "met")],
    ),
    row(
        "CM-PROVIDER-RESPONSE/over-weekend-1s-after",
        [provider_contact(PC), responded(gmt("03-09T16:00:01"))],
        NOW,
        [Ob("CM-PROVIDER-RESPONSE", "pc1", PC, PC_DUE, gmt("03-09T16:00:01"), "late")],
    ),
    row(
        "CM-PROVIDER-RESPONSE/urgent-risk-report-same-deadline",
        [provider_contact(PC, topic="risk", urgent=True), responded(PC_DUE)],
        NOW,
        [Ob("CM-PROVIDER-RESPONSE", "pc1", PC, PC_DUE, PC_DUE, "met")],
    ),
    row(
        "CM-PROVIDER-RESPONSE/goal-slip-open-before-due",
        [provider_contact(PC, topic="goal_slip", urgent=True)],
        gmt("03-09T15:59:59"),
        [Ob("CM-PROVIDER-RESPONSE", "pc1", PC, PC_DUE, None, "open")],
    ),
    row(
        "CM-PROVIDER-RESPONSE/response-names-other-contact",
        [
            provider_contact(PC),
            provider_contact(PC, "pc2"),
            responded(gmt("03-09T10:00:00"), "pc2"),
        ],
        NOW,
        [
            Ob("CM-PROVIDER-RESPONSE", "pc1", PC, PC_DUE, None, "overdue"),
            Ob("CM-PROVIDER-RESPONSE", "pc2", PC, PC_DUE, gmt("03-09T10:00:00"), "met"),
        ],
    ),
]

# --- CM-NOTES-UPLOAD, CM-NOTES-REVIEW (Precise semantics, "Case notes") -------------------
IE = gmt("03-09T10:00:00")
UP = gmt("03-10T10:00:00")
ROWS += [
    row(
        "CM-NOTES-UPLOAD/same-provider-after",
        [ended(IE), uploaded(UP, "up1")],
        NOW,
        [
            Ob("CM-NOTES-UPLOAD", "ie1", IE, None, UP, "met"),
            Ob("CM-NOTES-REVIEW", "up1", UP, None, None, "open"),
        ],
    ),
    row(
        "CM-NOTES-UPLOAD/same-instant-counts",
        [ended(IE), uploaded(IE, "up1")],
        NOW,
        [
            Ob("CM-NOTES-UPLOAD", "ie1", IE, None, IE, "met"),
            Ob("CM-NOTES-REVIEW", "up1", IE, None, None, "open"),
        ],
    ),
    row(
        "CM-NOTES-UPLOAD/other-provider-does-not-count",
        [ended(IE, "PR-1"), uploaded(UP, "up1", "PR-2")],
        NOW,
        [
            Ob("CM-NOTES-UPLOAD", "ie1", IE, None, None, "open"),
            Ob("CM-NOTES-REVIEW", "up1", UP, None, None, "open"),
        ],
    ),
    row(
        "CM-NOTES-UPLOAD/upload-before-end-does-not-count",
        [uploaded(gmt("03-06T10:00:00"), "up0"), ended(IE)],
        NOW,
        [
            Ob("CM-NOTES-REVIEW", "up0", gmt("03-06T10:00:00"), None, None, "open"),
            Ob("CM-NOTES-UPLOAD", "ie1", IE, None, None, "open"),
        ],
    ),
    row(
        "CM-NOTES-UPLOAD/two-providers",
        [ended(IE, "PR-1"), ended(IE, "PR-2", "ie2"), uploaded(UP, "up1", "PR-2")],
        NOW,
        [
            Ob("CM-NOTES-UPLOAD", "ie1", IE, None, None, "open"),
            Ob("CM-NOTES-UPLOAD", "ie2", IE, None, UP, "met"),
            Ob("CM-NOTES-REVIEW", "up1", UP, None, None, "open"),
        ],
    ),
    row(
        "CM-NOTES-UPLOAD/case-closed-first",
        [ended(IE), case_closed(UP)],
        NOW,
        [Ob("CM-NOTES-UPLOAD", "ie1", IE, None, None, "breached")],
    ),
    row(
        "CM-NOTES-REVIEW/each-upload-its-own",
        [
            ended(IE),
            uploaded(UP, "up1"),
            uploaded(gmt("03-11T10:00:00"), "up2"),
            notes_reviewed(gmt("03-12T10:00:00"), "up1"),
        ],
        NOW,
        [
            Ob("CM-NOTES-UPLOAD", "ie1", IE, None, UP, "met"),
            Ob("CM-NOTES-REVIEW", "up1", UP, None, gmt("03-12T10:00:00"), "met"),
            Ob("CM-NOTES-REVIEW", "up2", gmt("03-11T10:00:00"), None, None, "open"),
        ],
    ),
    row(
        "CM-NOTES-REVIEW/case-closed-first",
        [
            uploaded(UP, "up1"),
            uploaded(UP, "up2"),
            notes_reviewed(gmt("03-12T10:00:00"), "up2"),
            case_closed(gmt("03-13T10:00:00")),
        ],
        NOW,
        [
            Ob("CM-NOTES-REVIEW", "up1", UP, None, None, "breached"),
            Ob("CM-NOTES-REVIEW", "up2", UP, None, gmt("03-12T10:00:00"), "met"),
        ],
    ),
]

# --- CM-QUERY -----------------------------------------------------------------------------
Q = gmt(MON + "10:00:00")
ROWS += [
    row(
        "CM-QUERY/resolved",
        [
            ev("participant_query", Q, "q1"),
            ev("participant_query_resolved", gmt("03-20T10:00:00"), None, query="q1"),
        ],
        NOW,
        [Ob("CM-QUERY", "q1", Q, None, gmt("03-20T10:00:00"), "met")],
    ),
    row(
        "CM-QUERY/resolution-names-other-query",
        [
            ev("participant_query", Q, "q1"),
            ev("participant_query", Q, "q2"),
            ev("participant_query_resolved", gmt(TUE + "10:00:00"), None, query="q2"),
        ],
        NOW,
        [
            Ob("CM-QUERY", "q1", Q, None, None, "open"),
            Ob("CM-QUERY", "q2", Q, None, gmt(TUE + "10:00:00"), "met"),
        ],
    ),
    row(
        "CM-QUERY/case-closed-first",
        [ev("participant_query", Q, "q1"), case_closed(gmt(TUE + "10:00:00"))],
        NOW,
        [Ob("CM-QUERY", "q1", Q, None, None, "breached")],
    ),
]

# --- CM-CHECKIN, CM-CHECKIN-SINGLE, CM-CHECKIN-CHANNEL (Precise semantics, "Check-in") -----
CK = gmt(MON + "10:00:00")
CK_DUE = gmt(TUE + "10:00:00")
# With risk identified, attempt 2 of anything is never in excess (beyond 5): these rows keep
# CM-OUTREACH-EXCESS out of the check-in rows.
RISK = risk(gmt(MON + "09:00:00"), "high")


def ck(sat: str | None, status: str, due: str = CK_DUE) -> tuple[Any, ...]:
    return Ob("CM-CHECKIN", "ck1", CK, due, sat, status)


ROWS += [
    row(
        "CM-CHECKIN/first-attempt-satisfies-no-outreach",
        [checkin(CK), attempt(gmt(MON + "14:00:00"), "a1")],
        NOW,
        [ck(gmt(MON + "14:00:00"), "met")],
    ),
    row("CM-CHECKIN/no-attempt-overdue-at-due", [checkin(CK)], CK_DUE, [ck(None, "overdue")]),
    row("CM-CHECKIN/no-attempt-open", [checkin(CK)], gmt(TUE + "09:59:59"), [ck(None, "open")]),
    row(
        "CM-CHECKIN/late-attempt",
        [checkin(CK), attempt(gmt(TUE + "10:00:01"), "a1")],
        NOW,
        [ck(gmt(TUE + "10:00:01"), "late")],
    ),
    row(
        "CM-CHECKIN/request-due-replaces-default",
        [checkin(CK, due=gmt(FRI + "17:00:00")), attempt(gmt(FRI + "16:00:00"), "a1")],
        NOW,
        [ck(gmt(FRI + "16:00:00"), "met", gmt(FRI + "17:00:00"))],
    ),
    row(
        "CM-CHECKIN/request-due-late",
        [checkin(CK, due=gmt(WED + "12:00:00")), attempt(gmt(WED + "12:00:01"), "a1")],
        NOW,
        [ck(gmt(WED + "12:00:01"), "late", gmt(WED + "12:00:00"))],
    ),
    row(
        "CM-CHECKIN/friday-over-weekend",
        [checkin(gmt(FRI + "16:00:00")), attempt(gmt("03-09T15:00:00"), "a1")],
        NOW,
        [
            Ob(
                "CM-CHECKIN",
                "ck1",
                gmt(FRI + "16:00:00"),
                gmt("03-09T16:00:00"),
                gmt("03-09T15:00:00"),
                "met",
            )
        ],
    ),
    row(
        "CM-CHECKIN-SINGLE/second-and-third-attempt",
        [
            RISK,
            checkin(CK),
            attempt(gmt(MON + "11:00:00"), "a1"),
            attempt(gmt(MON + "12:00:00"), "a2"),
            attempt(gmt(MON + "13:00:00"), "a3", channel="email"),
        ],
        NOW,
        [ck(gmt(MON + "11:00:00"), "met")],
        [Fd("CM-CHECKIN-SINGLE", "a2", "breach"), Fd("CM-CHECKIN-SINGLE", "a3", "breach")],
    ),
    row(
        "CM-CHECKIN-SINGLE/not-after-participant-reached",
        [
            checkin(CK),
            attempt(gmt(MON + "11:00:00"), "a1", outcome="reached"),
            attempt(gmt(MON + "12:00:00"), "a2"),
        ],
        NOW,
        [ck(gmt(MON + "11:00:00"), "met")],
    ),
    row(
        "CM-CHECKIN-SINGLE/not-after-check-in-closed",
        [
            checkin(CK),
            attempt(gmt(MON + "11:00:00"), "a1"),
            outreach_closed(gmt(MON + "11:30:00"), "ck1"),
            attempt(gmt(MON + "12:00:00"), "a2"),
        ],
        NOW,
        [ck(gmt(MON + "11:00:00"), "met")],
    ),
    # Reading: closing leaves CM-CHECKIN as it is, and a later attempt is no longer counted.
    row(
        "CM-CHECKIN/closed-before-any-attempt-unchanged",
        [checkin(CK), outreach_closed(gmt(MON + "11:00:00"), "ck1")],
        NOW,
        [ck(None, "overdue")],
    ),
    row(
        "CM-CHECKIN/closing-does-not-breach-open-one",
        [checkin(CK), outreach_closed(gmt(MON + "11:00:00"), "ck1")],
        gmt(TUE + "09:00:00"),
        [ck(None, "open")],
    ),
    row(
        "CM-CHECKIN-CHANNEL/email-without-consent",
        [checkin(CK), attempt(gmt(MON + "11:00:00"), "a1", channel="email")],
        NOW,
        [ck(gmt(MON + "11:00:00"), "met")],
        [Fd("CM-CHECKIN-CHANNEL", "a1", "breach")],
        participant={"email_consent": False},
    ),
    row(
        "CM-CHECKIN-CHANNEL/email-with-consent",
        [checkin(CK), attempt(gmt(MON + "11:00:00"), "a1", channel="email")],
        NOW,
        [ck(gmt(MON + "11:00:00"), "met")],
        participant={"email_consent": True},
    ),
    row(
        "CM-CHECKIN-CHANNEL/phone-without-email-consent",
        [checkin(CK), attempt(gmt(MON + "11:00:00"), "a1", channel="phone")],
        NOW,
        [ck(gmt(MON + "11:00:00"), "met")],
        participant={"email_consent": False},
    ),
    row(
        "CM-CHECKIN-CHANNEL/consent-withdrawn-by-update",
        [
            checkin(CK),
            update(gmt(MON + "10:30:00"), email_consent=False),
            attempt(gmt(MON + "11:00:00"), "a1", channel="email"),
        ],
        NOW,
        [ck(gmt(MON + "11:00:00"), "met")],
        [Fd("CM-CHECKIN-CHANNEL", "a1", "breach")],
    ),
    row(
        "CM-CHECKIN-CHANNEL/judged-on-each-counted-attempt",
        [
            RISK,
            checkin(CK),
            attempt(gmt(MON + "11:00:00"), "a1", channel="email"),
            attempt(gmt(MON + "12:00:00"), "a2", channel="email"),
        ],
        NOW,
        [ck(gmt(MON + "11:00:00"), "met")],
        [
            Fd("CM-CHECKIN-CHANNEL", "a1", "breach"),
            Fd("CM-CHECKIN-CHANNEL", "a2", "breach"),
            Fd("CM-CHECKIN-SINGLE", "a2", "breach"),
        ],
        participant={"email_consent": False},
    ),
    row(
        "CM-CHECKIN/email-only-attempts-no-phone-rule",
        [
            RISK,
            checkin(CK),
            attempt(gmt(MON + "11:00:00"), "a1", channel="email"),
            attempt(gmt(MON + "12:00:00"), "a2", channel="email"),
        ],
        NOW,
        [ck(gmt(MON + "11:00:00"), "met")],
        [Fd("CM-CHECKIN-SINGLE", "a2", "breach")],
    ),
    row(
        "CM-CHECKIN/attempt-counts-for-check-in-and-outreach",
        [checkin(CK), outreach(CK), attempt(gmt(MON + "11:00:00"), "a1")],
        NOW,
        [ck(gmt(MON + "11:00:00"), "met"), Ob("CM-OUTREACH", "o1", CK, None, None, "open")],
    ),
]

# --- CM-OUTREACH (Precise semantics: "Open outreach", "Required count", "Excess") ---------
OR = gmt(MON + "10:00:00")
A = [gmt(f"03-{d:02d}T11:00:00") for d in (2, 3, 4, 5, 6, 9, 10)]  # a1..a7 on weekdays


def attempts(n: int, **fields: Any) -> list[dict[str, Any]]:
    """Attempts a1..an, the first by phone and the rest by email unless fields say otherwise."""
    return [
        attempt(A[i], f"a{i + 1}", **{"channel": "phone" if i == 0 else "email", **fields})
        for i in range(n)
    ]


def o1(sat: str | None, status: str, trigger: str = "o1", opened: str = OR) -> tuple[Any, ...]:
    return Ob("CM-OUTREACH", trigger, opened, None, sat, status)


ROWS += [
    row("CM-OUTREACH/general-two-attempts", [outreach(OR), *attempts(2)], NOW, [o1(A[1], "met")]),
    row(
        "CM-OUTREACH/general-one-attempt-open",
        [outreach(OR), *attempts(1)],
        NOW,
        [o1(None, "open")],
    ),
    row("CM-OUTREACH/general-no-attempt-stays-open", [outreach(OR)], NOW, [o1(None, "open")]),
    row(
        "CM-OUTREACH/reached-first-attempt",
        [outreach(OR), attempt(A[0], "a1", outcome="reached", channel="email")],
        NOW,
        [o1(A[0], "met")],
    ),
    row(
        "CM-OUTREACH/complaint-two-attempts-open",
        [outreach(OR, purpose="complaint"), *attempts(2)],
        NOW,
        [o1(None, "open")],
    ),
    row(
        "CM-OUTREACH/complaint-three-attempts",
        [outreach(OR, purpose="complaint"), *attempts(3)],
        NOW,
        [o1(A[2], "met")],
    ),
    row(
        "CM-OUTREACH/closed-before-count-breached",
        [outreach(OR), *attempts(1), outreach_closed(A[1])],
        NOW,
        [o1(None, "breached")],
    ),
    row(
        "CM-OUTREACH/closed-after-count-unchanged",
        [outreach(OR), *attempts(2), outreach_closed(A[2])],
        NOW,
        [o1(A[1], "met")],
    ),
    row(
        "CM-OUTREACH/complaint-closed-after-two-breached",
        [outreach(OR, purpose="complaint"), *attempts(2), outreach_closed(A[2])],
        NOW,
        [o1(None, "breached")],
    ),
    row(
        "CM-OUTREACH/case-closed-before-count-breached",
        [outreach(OR), *attempts(1), case_closed(A[1])],
        NOW,
        [o1(None, "breached")],
    ),
    row(
        "CM-OUTREACH/provider-target",
        [outreach(OR, target="provider"), *attempts(2, target="provider")],
        NOW,
        [o1(A[1], "met")],
    ),
    row(
        "CM-OUTREACH/participant-attempts-do-not-count-for-provider",
        [outreach(OR, target="provider"), *attempts(2)],
        NOW,
        [o1(None, "open")],
    ),
    row(
        "CM-OUTREACH/provider-reached-closes-provider-outreach-only",
        [
            outreach(OR),
            outreach(OR, "o2", target="provider"),
            attempt(A[0], "a1", target="provider", outcome="reached"),
        ],
        NOW,
        [o1(None, "open"), o1(A[0], "met", "o2")],
    ),
    row(
        "CM-OUTREACH/reached-closes-every-open-outreach-of-target",
        [
            outreach(OR),
            outreach(OR, "o2", purpose="complaint"),
            callback(OR),
            attempt(A[0], "a1", outcome="reached"),
            attempt(A[1], "a2"),
            attempt(A[2], "a3"),
            attempt(A[3], "a4"),
        ],
        NOW,
        [
            o1(A[0], "met"),
            o1(A[0], "met", "o2"),
            Ob("CM-CALLBACK", "cb1", OR, gmt(TUE + "10:00:00"), A[0], "met"),
            o1(A[0], "met", "cb1"),
        ],
    ),
    row(
        "CM-OUTREACH/attempt-counts-for-several-open-outreaches",
        [
            outreach(OR),
            attempt(A[0], "a1"),
            outreach(gmt(MON + "12:00:00"), "o2"),
            attempt(A[1], "a2"),
            attempt(A[2], "a3"),
        ],
        NOW,
        [o1(A[1], "met"), o1(A[2], "met", "o2", gmt(MON + "12:00:00"))],
        # a3 is the third attempt of o1, still open (not reached): excess without risk.
        [Fd("CM-OUTREACH-EXCESS", "a3", "warning")],
    ),
    row(
        "CM-OUTREACH/callback-outreach-needs-two",
        [callback(OR), *attempts(2)],
        NOW,
        [Ob("CM-CALLBACK", "cb1", OR, gmt(TUE + "10:00:00"), A[0], "met"), o1(A[1], "met", "cb1")],
    ),
    row(
        "CM-OUTREACH/callback-outreach-closed-before-count",
        [callback(OR), *attempts(1), outreach_closed(A[1], "cb1")],
        NOW,
        [
            Ob("CM-CALLBACK", "cb1", OR, gmt(TUE + "10:00:00"), A[0], "met"),
            o1(None, "breached", "cb1"),
        ],
    ),
    # CM-OUTREACH-EXCESS.
    row(
        "CM-OUTREACH-EXCESS/no-risk-beyond-two",
        [outreach(OR), *attempts(4)],
        NOW,
        [o1(A[1], "met")],
        [Fd("CM-OUTREACH-EXCESS", "a3", "warning"), Fd("CM-OUTREACH-EXCESS", "a4", "warning")],
    ),
    row(
        "CM-OUTREACH-EXCESS/complaint-beyond-three",
        [outreach(OR, purpose="complaint"), *attempts(4)],
        NOW,
        [o1(A[2], "met")],
        [Fd("CM-OUTREACH-EXCESS", "a4", "warning")],
    ),
    row(
        "CM-OUTREACH-EXCESS/high-risk-beyond-five",
        [risk(gmt(MON + "09:00:00"), "high"), outreach(OR), *attempts(7)],
        NOW,
        [o1(A[1], "met")],
        [Fd("CM-OUTREACH-EXCESS", "a6", "warning"), Fd("CM-OUTREACH-EXCESS", "a7", "warning")],
    ),
    row(
        "CM-OUTREACH-EXCESS/low-risk-counts-as-risk",
        [risk(gmt(MON + "09:00:00"), "low"), outreach(OR), *attempts(5)],
        NOW,
        [o1(A[1], "met")],
    ),
    row(
        "CM-OUTREACH-EXCESS/risk-cleared",
        [
            risk(gmt(MON + "09:00:00"), "medium"),
            outreach(OR),
            *attempts(3),
            risk(gmt(THU + "09:00:00"), "none"),
            *attempts(4)[3:],
        ],
        NOW,
        [o1(A[1], "met")],
        [Fd("CM-OUTREACH-EXCESS", "a4", "warning")],
    ),
    row(
        "CM-OUTREACH-EXCESS/risk-set-after-count",
        [outreach(OR), *attempts(2), risk(gmt(WED + "09:00:00"), "high"), *attempts(3)[2:]],
        NOW,
        [o1(A[1], "met")],
    ),
    row(
        "CM-OUTREACH-EXCESS/not-after-outreach-closed",
        [outreach(OR), *attempts(2), outreach_closed(A[1]), *attempts(3)[2:]],
        NOW,
        [o1(A[1], "met")],
    ),
    row(
        "CM-OUTREACH-EXCESS/not-after-case-closed",
        [outreach(OR), *attempts(2), case_closed(A[1]), *attempts(3)[2:]],
        NOW,
        [o1(A[1], "met")],
    ),
    row(
        "CM-OUTREACH-EXCESS/provider-outreach",
        [outreach(OR, target="provider"), *attempts(3, target="provider")],
        NOW,
        [o1(A[1], "met")],
        [Fd("CM-OUTREACH-EXCESS", "a3", "warning")],
    ),
    row(
        "CM-OUTREACH-EXCESS/one-finding-for-two-outreaches",
        [outreach(OR), outreach(OR, "o2"), *attempts(3)],
        NOW,
        [o1(A[1], "met"), o1(A[1], "met", "o2")],
        [Fd("CM-OUTREACH-EXCESS", "a3", "warning")],
    ),
    row(
        "CM-OUTREACH-EXCESS/callback-outreach",
        [callback(OR), *attempts(3)],
        NOW,
        [Ob("CM-CALLBACK", "cb1", OR, gmt(TUE + "10:00:00"), A[0], "met"), o1(A[1], "met", "cb1")],
        [Fd("CM-OUTREACH-EXCESS", "a3", "warning")],
    ),
]

# --- CM-OUTREACH-PHONE (Precise semantics, "Phone") --------------------------------------
EMAILS = {"channel": "email"}
ROWS += [
    row(
        "CM-OUTREACH-PHONE/two-emails",
        [outreach(OR), *attempts(2, **EMAILS)],
        NOW,
        [o1(A[1], "met")],
        [Fd("CM-OUTREACH-PHONE", "a2", "breach")],
    ),
    row(
        "CM-OUTREACH-PHONE/email-then-phone",
        [outreach(OR), attempt(A[0], "a1", channel="email"), attempt(A[1], "a2", channel="phone")],
        NOW,
        [o1(A[1], "met")],
    ),
    row(
        "CM-OUTREACH-PHONE/complaint-judged-at-third-only",
        [outreach(OR, purpose="complaint"), *attempts(3, **EMAILS)],
        NOW,
        [o1(A[2], "met")],
        [Fd("CM-OUTREACH-PHONE", "a3", "breach")],
    ),
    row(
        "CM-OUTREACH-PHONE/email-only-participant",
        [outreach(OR), *attempts(2, **EMAILS)],
        NOW,
        [o1(A[1], "met")],
        participant={"email_only": True},
    ),
    row(
        "CM-OUTREACH-PHONE/no-phone-number",
        [outreach(OR), *attempts(2, **EMAILS)],
        NOW,
        [o1(A[1], "met")],
        participant={"phone": False},
    ),
    row(
        "CM-OUTREACH-PHONE/email-only-set-before-count",
        [
            outreach(OR),
            *attempts(1, **EMAILS),
            update(A[0], email_only=True),
            *attempts(2, **EMAILS)[1:],
        ],
        NOW,
        [o1(A[1], "met")],
    ),
    row(
        "CM-OUTREACH-PHONE/email-only-set-after-count-judged-once",
        [
            outreach(OR),
            *attempts(2, **EMAILS),
            update(A[1], email_only=True),
            *attempts(3, **EMAILS)[2:],
        ],
        NOW,
        [o1(A[1], "met")],
        [Fd("CM-OUTREACH-PHONE", "a2", "breach"), Fd("CM-OUTREACH-EXCESS", "a3", "warning")],
    ),
    row(
        "CM-OUTREACH-PHONE/phone-number-removed-before-count",
        [
            outreach(OR),
            *attempts(1, **EMAILS),
            update(A[0], phone=False),
            *attempts(2, **EMAILS)[1:],
        ],
        NOW,
        [o1(A[1], "met")],
    ),
    row(
        "CM-OUTREACH-PHONE/reached-completing-count-is-not-judged",
        [
            outreach(OR),
            attempt(A[0], "a1", channel="email"),
            attempt(A[1], "a2", channel="email", outcome="reached"),
        ],
        NOW,
        [o1(A[1], "met")],
    ),
    row(
        "CM-OUTREACH-PHONE/callback-outreach",
        [callback(OR), *attempts(2, **EMAILS)],
        NOW,
        [Ob("CM-CALLBACK", "cb1", OR, gmt(TUE + "10:00:00"), A[0], "met"), o1(A[1], "met", "cb1")],
        [Fd("CM-OUTREACH-PHONE", "a2", "breach")],
    ),
    row(
        "CM-OUTREACH-PHONE/provider-has-a-phone",
        [outreach(OR, target="provider"), *attempts(2, target="provider", **EMAILS)],
        NOW,
        [o1(A[1], "met")],
        [Fd("CM-OUTREACH-PHONE", "a2", "breach")],
        participant={"email_only": True, "phone": False},
    ),
    row(
        "CM-OUTREACH-PHONE/phone-before-request-does-not-count",
        [
            attempt(gmt(MON + "09:00:00"), "a0", channel="phone"),
            outreach(OR),
            *attempts(2, **EMAILS),
        ],
        NOW,
        [o1(A[1], "met")],
        [Fd("CM-OUTREACH-PHONE", "a2", "breach")],
    ),
    row(
        "CM-OUTREACH-PHONE/one-finding-for-two-outreaches",
        [outreach(OR), outreach(OR, "o2"), *attempts(2, **EMAILS)],
        NOW,
        [o1(A[1], "met"), o1(A[1], "met", "o2")],
        [Fd("CM-OUTREACH-PHONE", "a2", "breach")],
    ),
]

# --- CM-MESSAGE-CONSENT, CM-MESSAGE-DETAIL ------------------------------------------------
T = gmt(MON + "11:00:00")


def message_row(
    id_: str,
    fds: list[tuple[str, str, str]],
    participant: dict[str, Any] | None,
    *events: dict[str, Any],
) -> Any:
    case = {} if participant is None else {"participant": participant}
    return row(f"message/{id_}", list(events), NOW, [], fds, **case)


NO_VM = {"voicemail_ok": False}
NO_EM = {"email_messages_ok": False}
ROWS += [
    message_row(
        "detailed-voicemail-refused",
        [Fd("CM-MESSAGE-CONSENT", "a1", "breach")],
        NO_VM,
        attempt(T, "a1", message="detailed"),
    ),
    message_row(
        "detailed-email-refused",
        [Fd("CM-MESSAGE-CONSENT", "a1", "breach")],
        NO_EM,
        attempt(T, "a1", channel="email", message="detailed"),
    ),
    message_row(
        "detailed-email-voicemail-refused-only",
        [],
        NO_VM,
        attempt(T, "a1", channel="email", message="detailed"),
    ),
    message_row(
        "no-message-voicemail-allowed",
        [Fd("CM-MESSAGE-DETAIL", "a1", "warning")],
        None,
        attempt(T, "a1", message="none"),
    ),
    message_row(
        "generic-message-is-not-detailed",
        [Fd("CM-MESSAGE-DETAIL", "a1", "warning")],
        None,
        attempt(T, "a1", message="generic"),
    ),
    message_row(
        "no-email-message-allowed",
        [Fd("CM-MESSAGE-DETAIL", "a1", "warning")],
        None,
        attempt(T, "a1", channel="email", message="none"),
    ),
    message_row(
        "message-defaults-to-none",
        [Fd("CM-MESSAGE-DETAIL", "a1", "warning")],
        None,
        ev(
            "contact_attempt",
            T,
            "a1",
            target="participant",
            channel="phone",
            outcome="not_reached",
            summary="Called, no answer.",
        ),
    ),
    message_row("no-message-voicemail-refused", [], NO_VM, attempt(T, "a1", message="none")),
    message_row(
        "no-message-email-refused", [], NO_EM, attempt(T, "a1", channel="email", message="none")
    ),
    # A message of any kind on a refused channel is a breach, a generic one too (rules.md,
    # CM-MESSAGE-CONSENT); no CM-MESSAGE-DETAIL, as no detailed message was allowed.
    message_row(
        "generic-email-refused",
        [Fd("CM-MESSAGE-CONSENT", "a1", "breach")],
        NO_EM,
        attempt(T, "a1", channel="email", message="generic"),
    ),
    message_row(
        "generic-voicemail-refused",
        [Fd("CM-MESSAGE-CONSENT", "a1", "breach")],
        NO_VM,
        attempt(T, "a1", message="generic"),
    ),
    message_row(
        "generic-voicemail-refused-reached",
        [Fd("CM-MESSAGE-CONSENT", "a1", "breach")],
        NO_VM,
        attempt(T, "a1", outcome="reached", message="generic"),
    ),
    message_row(
        "generic-email-voicemail-refused-only",
        [Fd("CM-MESSAGE-DETAIL", "a1", "warning")],
        NO_VM,
        attempt(T, "a1", channel="email", message="generic"),
    ),
    message_row(
        "generic-voicemail-email-refused-only",
        [Fd("CM-MESSAGE-DETAIL", "a1", "warning")],
        NO_EM,
        attempt(T, "a1", message="generic"),
    ),
    message_row(
        "generic-refusal-by-update",
        [Fd("CM-MESSAGE-CONSENT", "a2", "breach")],
        None,
        attempt(gmt(MON + "10:00:00"), "a1", message="generic", outcome="reached"),
        update(gmt(MON + "10:30:00"), voicemail_ok=False),
        attempt(T, "a2", message="generic"),
    ),
    message_row(
        "provider-generic-is-fine",
        [],
        {"voicemail_ok": False, "email_messages_ok": False},
        attempt(T, "a1", target="provider", outcome="reached", message="generic"),
    ),
    message_row(
        "reached-needs-no-message", [], None, attempt(T, "a1", outcome="reached", message="none")
    ),
    message_row(
        "reached-email-needs-no-message",
        [],
        None,
        attempt(T, "a1", channel="email", outcome="reached", message="none"),
    ),
    message_row(
        "provider-accepts-messages",
        [Fd("CM-MESSAGE-DETAIL", "a1", "warning")],
        {"voicemail_ok": False, "email_messages_ok": False},
        attempt(T, "a1", target="provider", message="none"),
    ),
    message_row(
        "provider-detailed-is-fine",
        [],
        {"voicemail_ok": False, "email_messages_ok": False},
        attempt(T, "a1", target="provider", message="detailed"),
        attempt(T, "a2", target="provider", channel="email", message="detailed"),
    ),
    message_row(
        "refusal-by-update",
        [Fd("CM-MESSAGE-CONSENT", "a1", "breach")],
        None,
        update(gmt(MON + "10:00:00"), voicemail_ok=False),
        attempt(T, "a1", message="detailed"),
    ),
    message_row(
        "consent-given-by-update",
        [],
        NO_VM,
        update(gmt(MON + "10:00:00"), voicemail_ok=True),
        attempt(T, "a1", message="detailed"),
    ),
]

# --- CM-DOCUMENTATION ---------------------------------------------------------------------
ROWS += [
    message_row(
        "CM-DOCUMENTATION-attempt-blank",
        [Fd("CM-DOCUMENTATION", "a1", "breach")],
        None,
        attempt(T, "a1", summary="   "),
    ),
    message_row(
        "CM-DOCUMENTATION-attempt-empty",
        [Fd("CM-DOCUMENTATION", "a1", "breach")],
        None,
        attempt(T, "a1", summary=""),
    ),
    message_row(
        "CM-DOCUMENTATION-attempt-missing",
        [Fd("CM-DOCUMENTATION", "a1", "breach")],
        None,
        ev("contact_attempt", T, "a1", target="participant", channel="phone", outcome="reached"),
    ),
    message_row(
        "CM-DOCUMENTATION-note-blank",
        [Fd("CM-DOCUMENTATION", "n1", "breach")],
        None,
        ev("note", T, "n1", summary=" \t ", next_step="Call on Friday"),
    ),
    message_row(
        "CM-DOCUMENTATION-note-missing",
        [Fd("CM-DOCUMENTATION", "n1", "breach")],
        None,
        ev("note", T, "n1", next_step="Call on Friday"),
    ),
    message_row(
        "CM-DOCUMENTATION-note-fine",
        [],
        None,
        ev("note", T, "n1", summary="Agreed a plan.", next_step="Call on Friday"),
    ),
    message_row(
        "CM-DOCUMENTATION-and-consent-on-one-event",
        [Fd("CM-DOCUMENTATION", "a1", "breach"), Fd("CM-MESSAGE-CONSENT", "a1", "breach")],
        NO_VM,
        attempt(T, "a1", summary="", message="detailed"),
    ),
]

# --- Closure (Precise semantics, "Closure") --------------------------------------------------
C0 = gmt(MON + "10:00:00")
CLOSE = gmt(MON + "12:00:00")
ROWS += [
    row(
        "closure/breaches-no-deadline-keeps-deadline-obligations",
        [
            callback(C0),
            email(C0, needs_contact=False),
            ev("dissatisfaction_noted", C0, "d1"),
            ev("participant_query", C0, "q1"),
            provider_contact(C0),
            checkin(C0),
            outreach(C0),
            ended(C0),
            uploaded(C0, "up1"),
            case_closed(CLOSE),
        ],
        NOW,
        [
            Ob("CM-CALLBACK", "cb1", C0, gmt(TUE + "10:00:00"), None, "overdue"),
            Ob("CM-OUTREACH", "cb1", C0, None, None, "breached"),
            *ack_action(None, "overdue", None, "overdue", C0),
            Ob("CM-DISSATISFACTION", "d1", C0, None, None, "breached"),
            Ob("CM-QUERY", "q1", C0, None, None, "breached"),
            Ob("CM-PROVIDER-RESPONSE", "pc1", C0, gmt(TUE + "10:00:00"), None, "overdue"),
            Ob("CM-CHECKIN", "ck1", C0, gmt(TUE + "10:00:00"), None, "overdue"),
            Ob("CM-OUTREACH", "o1", C0, None, None, "breached"),
            Ob("CM-NOTES-UPLOAD", "ie1", C0, None, C0, "met"),
            Ob("CM-NOTES-REVIEW", "up1", C0, None, None, "breached"),
        ],
    ),
    row(
        "closure/deadline-obligations-met-after-closure",
        [
            email(C0, needs_contact=False),
            provider_contact(C0),
            checkin(C0),
            case_closed(CLOSE),
            ack(gmt(MON + "13:00:00")),
            action(gmt(TUE + "10:00:01")),
            responded(gmt(MON + "13:00:00")),
            attempt(gmt(MON + "14:00:00"), "a1"),
        ],
        NOW,
        [
            *ack_action(gmt(MON + "13:00:00"), "met", gmt(TUE + "10:00:01"), "late", C0),
            Ob(
                "CM-PROVIDER-RESPONSE",
                "pc1",
                C0,
                gmt(TUE + "10:00:00"),
                gmt(MON + "13:00:00"),
                "met",
            ),
            # Reading: closure closes every outreach, the check-in included, so a1 is not
            # counted for it; CM-CHECKIN itself is not changed by closure.
            Ob("CM-CHECKIN", "ck1", C0, gmt(TUE + "10:00:00"), None, "overdue"),
        ],
    ),
    row(
        "closure/events-after-closure-judged-as-usual",
        [
            case_closed(C0),
            callback(gmt(MON + "11:00:00")),
            attempt(gmt(MON + "12:00:00"), "a1", summary=""),
            ev("note", gmt(MON + "13:00:00"), "n1", summary="", next_step="none"),
            session(gmt(MON + "14:00:00"), "s1"),
        ],
        NOW,
        [
            Ob(
                "CM-CALLBACK",
                "cb1",
                gmt(MON + "11:00:00"),
                gmt(TUE + "11:00:00"),
                gmt(MON + "12:00:00"),
                "met",
            ),
            Ob("CM-OUTREACH", "cb1", gmt(MON + "11:00:00"), None, None, "open"),
            Ob("CM-REVIEW", "s1", gmt(MON + "14:00:00"), None, None, "open"),
        ],
        [Fd("CM-DOCUMENTATION", "a1", "breach"), Fd("CM-DOCUMENTATION", "n1", "breach")],
        case_type="couples",
    ),
]

# --- `now` before later events (history-format.md: events later than now are ignored) -----
ROWS += [
    row(
        "now/attempt-after-now-ignored",
        [callback(CB), attempt(gmt(TUE + "09:00:00"), "a1", summary="")],
        gmt(MON + "12:00:00"),
        [
            Ob("CM-CALLBACK", "cb1", CB, CB_DUE, None, "open"),
            Ob("CM-OUTREACH", "cb1", CB, None, None, "open"),
        ],
    ),
    row(
        "now/event-exactly-at-now-counts",
        [callback(CB), attempt(gmt(MON + "12:00:00"), "a1")],
        gmt(MON + "12:00:00"),
        [
            Ob("CM-CALLBACK", "cb1", CB, CB_DUE, gmt(MON + "12:00:00"), "met"),
            Ob("CM-OUTREACH", "cb1", CB, None, None, "open"),
        ],
    ),
    row(
        "now/triggers-after-now-ignored",
        [
            callback(gmt(TUE + "10:00:00")),
            email(gmt(TUE + "10:00:00")),
            ev("note", gmt(TUE + "10:00:00"), "n1", summary=""),
        ],
        gmt(MON + "12:00:00"),
        [],
    ),
    row(
        "now/second-session-after-now-ignored",
        [session(S1, "s1"), session(LATER[0], "s2")],
        gmt("03-10T12:00:00"),
        [Ob("CM-REVIEW", "s1", S1, None, None, "open")],
        case_type="couples",
    ),
    row(
        "now/closure-after-now-ignored",
        [ev("participant_query", Q, "q1"), case_closed(gmt("03-20T10:00:00"))],
        gmt("03-19T10:00:00"),
        [Ob("CM-QUERY", "q1", Q, None, None, "open")],
    ),
]


# --- Further boundaries: same-instant file order, mixed preferences, combined counts -------
ROWS += [
    # history-format.md: events with the same instant keep file order.
    row(
        "order/attempt-same-instant-before-callback-in-file",
        [attempt(CB, "a1"), callback(CB)],
        NOW,
        [
            Ob("CM-CALLBACK", "cb1", CB, CB_DUE, None, "overdue"),
            Ob("CM-OUTREACH", "cb1", CB, None, None, "open"),
        ],
    ),
    row(
        "order/attempt-same-instant-after-callback-in-file",
        [callback(CB), attempt(CB, "a1")],
        NOW,
        [
            Ob("CM-CALLBACK", "cb1", CB, CB_DUE, CB, "met"),
            Ob("CM-OUTREACH", "cb1", CB, None, None, "open"),
        ],
    ),
    row(
        "order/review-same-instant-after-first-session",
        [session(S1, "s1"), review(S1, "authorise_remaining", 5)],
        NOW,
        [Ob("CM-REVIEW", "s1", S1, None, S1, "met")],
        case_type="couples",
    ),
    row(
        "order/review-same-instant-before-first-session",
        [review(S1, "authorise_remaining", 5), session(S1, "s1")],
        NOW,
        [Ob("CM-REVIEW", "s1", S1, None, None, "open")],
        case_type="couples",
    ),
    row(
        "CM-SESSION-UNAUTHORISED/review-after-breach-counts-sessions-held",
        [
            session(S1, "s1"),
            session(LATER[0], "s2"),
            review(LATER[1], "authorise_remaining", 2),
            session(LATER[2], "s3"),
            session(LATER[3], "s4"),
            session(LATER[4], "s5"),
        ],
        NOW,
        [Ob("CM-REVIEW", "s1", S1, None, None, "breached")],
        [
            Fd("CM-SESSION-UNAUTHORISED", "s2", "breach"),
            Fd("CM-SESSION-UNAUTHORISED", "s5", "breach"),
        ],
        case_type="couples",
    ),
    row(
        "CM-OUTREACH/provider-complaint-needs-three",
        [outreach(OR, purpose="complaint", target="provider"), *attempts(3, target="provider")],
        NOW,
        [o1(A[2], "met")],
    ),
    row(
        "CM-OUTREACH-PHONE/complaint-one-phone-of-three",
        [outreach(OR, purpose="complaint"), *attempts(3)],
        NOW,
        [o1(A[2], "met")],
    ),
    row(
        "CM-OUTREACH-PHONE/email-only-cleared-before-count",
        [
            outreach(OR),
            *attempts(1, **EMAILS),
            update(A[0], email_only=False),
            *attempts(2, **EMAILS)[1:],
        ],
        NOW,
        [o1(A[1], "met")],
        [Fd("CM-OUTREACH-PHONE", "a2", "breach")],
        participant={"email_only": True},
    ),
    message_row(
        "update-changes-only-named-fields",
        [],
        None,
        update(gmt(MON + "10:00:00"), voicemail_ok=False),
        attempt(T, "a1", channel="email", message="detailed"),
    ),
    row(
        "CM-EMAIL/clock-hours-over-new-york-dst-end",
        [
            email(edt("10-31T12:00:00")),
            attempt(edt("10-31T13:00:00"), "a1", outcome="reached"),
            ack(est("11-01T11:00:00")),
            action(est("11-01T11:00:01")),
        ],
        NOW,
        [
            Ob(
                "CM-EMAIL-ACK",
                "e1",
                edt("10-31T12:00:00"),
                est("11-01T11:00:00"),
                est("11-01T11:00:00"),
                "met",
            ),
            Ob(
                "CM-EMAIL-ACTION",
                "e1",
                edt("10-31T12:00:00"),
                est("11-01T11:00:00"),
                est("11-01T11:00:01"),
                "late",
            ),
        ],
        partner=PARTNER_NY,
    ),
    row(
        "escalation/one-escalation-serves-dissatisfaction-and-inform",
        [
            email(E1, needs_contact=True),
            *HANDLED,
            ev("dissatisfaction_noted", gmt(MON + "12:00:00"), "d1"),
            escalate(gmt(MON + "12:00:00"), "dissatisfaction"),
        ],
        NOW,
        [
            *HANDLED_OBS,
            Ob(
                "CM-DISSATISFACTION",
                "d1",
                gmt(MON + "12:00:00"),
                None,
                gmt(MON + "12:00:00"),
                "met",
            ),
            Ob("CM-EMAIL-INFORM", "e1", E1_24, E1_25, gmt(MON + "12:00:00"), "met"),
        ],
    ),
]


@pytest.mark.parametrize(("events", "now", "partner", "case", "obs", "fds"), ROWS)
def test_rule_table(
    events: list[dict[str, Any]],
    now: str,
    partner: dict[str, Any] | None,
    case: dict[str, Any],
    obs: list[tuple[Any, ...]],
    fds: list[tuple[str, str, str]],
) -> None:
    result = run_case(events, now, partner, **case)
    assert result["in_scope"] is True
    assert obligations(result) == Counter(obs)
    assert findings(result) == Counter(fds)


# --- Scope (rules.md, Scope; Precise semantics, "Scope") -----------------------------------
SCOPE_EVENTS = [
    callback(CB),
    email(CB),
    ev("dissatisfaction_noted", CB, "d1"),
    session(S1, "s1"),
    session(LATER[0], "s2"),
    attempt(gmt(MON + "11:00:00"), "a1", summary="", message="none"),
    ev("note", gmt(MON + "12:00:00"), "n1", summary=""),
    case_closed(gmt("03-20T10:00:00")),
]


@pytest.mark.parametrize("referral", ["management_referral", "critical_incident", "frequent_user"])
def test_out_of_scope_referral_has_no_obligations_or_findings(referral: str) -> None:
    result = run_case(SCOPE_EVENTS, NOW, referral=referral, case_type="couples")
    assert result["case"] == "C1"
    assert result["in_scope"] is False
    assert result["obligations"] == []
    assert result["findings"] == []


def test_self_referral_same_events_in_scope() -> None:
    result = run_case(SCOPE_EVENTS, NOW, referral="self", case_type="couples")
    assert result["in_scope"] is True
    assert len(result["obligations"]) > 0
    assert findings(result)[("CM-DOCUMENTATION", "a1", "breach")] == 1


@pytest.mark.parametrize(
    ("now", "overdue"),
    [
        pytest.param("2020-10-01T12:00:00+00:00", False, id="within-revision"),
        pytest.param("2021-03-01T23:59:59+00:00", False, id="on-next-revision-date"),
        pytest.param("2021-03-02T00:00:00+00:00", True, id="day-after-next-revision"),
        pytest.param("2026-03-10T12:00:00+00:00", True, id="years-later"),
    ],
)
def test_policy_block(now: str, overdue: bool) -> None:
    doc = run(history([], **{"at": "2020-09-01T09:00:00+00:00"}), now)
    assert doc["policy"] == {
        "id": "partner-case-management",
        "revision": 1,
        "valid_from": "2020-09-01",
        "next_revision": "2021-03-01",
        "review_overdue": overdue,
    }
    assert instant(doc["now"]) == datetime.fromisoformat(now)


def test_finding_carries_event_instant() -> None:
    result = run_case([attempt(bst("06-01T10:00:00"), "a1", summary="")], NOW)
    (finding,) = find_findings(result, "CM-DOCUMENTATION", "a1")
    assert instant(finding["at"]) == instant(bst("06-01T10:00:00"))
    assert finding["severity"] == "breach"


def test_obligations_in_order_opened() -> None:
    result = run_case(
        [
            email(gmt(MON + "10:00:00")),
            callback(gmt(MON + "11:00:00")),
            ev("participant_query", gmt(MON + "12:00:00"), "q1"),
        ],
        NOW,
    )
    opened = [instant(ob["opened_at"]) for ob in result["obligations"]]
    assert opened == sorted(opened)
    assert [ob["rule"] for ob in result["obligations"]][-2:] == ["CM-QUERY", "CM-EMAIL-INFORM"]
    assert find_obligation(result, "CM-EMAIL-INFORM", "e1")["status"] == "overdue"


def test_cases_in_case_line_order_and_ids_per_case() -> None:
    lines = [
        '{"type": "partner", "id": "P-UK", "timezone": "Europe/London", "country": "GB", '
        '"subdivision": "ENG"}',
        '{"type": "case", "case": "C2", "at": "2026-03-02T09:00:00+00:00", "partner": "P-UK", '
        '"referral": "self", "case_type": "individual", "benefit_sessions": 6}',
        '{"type": "case", "case": "C1", "at": "2026-03-02T09:00:00+00:00", "partner": "P-UK", '
        '"referral": "frequent_user", "case_type": "individual", "benefit_sessions": 6}',
        '{"type": "callback_requested", "case": "C2", "at": "2026-03-02T10:00:00+00:00", '
        '"id": "cb1"}',
        '{"type": "callback_requested", "case": "C1", "at": "2026-03-02T10:00:00+00:00", '
        '"id": "cb1"}',
    ]
    doc = run(lines, NOW)
    assert [(c["case"], c["in_scope"]) for c in doc["cases"]] == [("C2", True), ("C1", False)]
    assert obligations(doc["cases"][0]) == Counter(
        [
            Ob("CM-CALLBACK", "cb1", CB, CB_DUE, None, "overdue"),
            Ob("CM-OUTREACH", "cb1", CB, None, None, "open"),
        ]
    )


# --- The worked examples of shared/spec/examples (every field but `detail`) ----------------


def comparable(doc: dict[str, Any]) -> dict[str, Any]:
    return {
        "policy": doc["policy"],
        "now": instant(doc["now"]),
        "cases": [
            (
                c["case"],
                c["in_scope"],
                obligations(c),
                findings(c),
                sorted((f["rule"], f["event"], instant(f["at"])) for f in c["findings"]),
            )
            for c in doc["cases"]
        ],
    }


@needs_examples
@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_spec_example(name: str) -> None:
    expected = json.loads((EXAMPLES / f"{name}.expected.json").read_text(encoding="utf-8"))
    lines = (EXAMPLES / f"{name}.jsonl").read_text(encoding="utf-8").splitlines()
    assert comparable(run(lines, expected["now"])) == comparable(expected["result"])


def test_each_case_uses_its_own_partner_calendar() -> None:
    lines = [
        json.dumps(PARTNER_UK),
        json.dumps(PARTNER_NY),
        history([], PARTNER_UK, case="UK", at=gmt("03-02T08:00:00"))[1],
        history([], PARTNER_NY, case="NY", at=gmt("03-02T08:00:00"))[1],
        json.dumps(provider_contact(gmt(FRI + "20:00:00")) | {"case": "UK"}),
        json.dumps(provider_contact(gmt(FRI + "20:00:00")) | {"case": "NY"}),
    ]
    doc = run(lines, NOW)
    uk, ny = doc["cases"]
    # 20:00 UTC Fri: after closing in London (next opening Mon 09:00 GMT); 15:00 EST in New York.
    assert obligations(uk) == Counter(
        [
            Ob(
                "CM-PROVIDER-RESPONSE",
                "pc1",
                gmt(FRI + "20:00:00"),
                gmt("03-09T17:00:00"),
                None,
                "overdue",
            )
        ]
    )
    assert obligations(ny) == Counter(
        [
            Ob(
                "CM-PROVIDER-RESPONSE",
                "pc1",
                gmt(FRI + "20:00:00"),
                edt("03-09T15:00:00"),
                None,
                "overdue",
            )
        ]
    )
