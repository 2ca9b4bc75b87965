"""The settled points of rules.md "Precise semantics" that the rule tables did not pin down on
their own, and every kind of invalid input of history-format.md with its exact `LINE: reason`.
Each test fails if the engine or the reader changes the behaviour it names."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from eapcase.policy.calendar import BusinessCalendar
from eapcase.policy.check import check_history
from eapcase.policy.engine import evaluate
from eapcase.policy.events import make_event
from eapcase.policy.history import HistoryError
from eapcase.policy.pack import BUILTIN_PACK, builtin_pack, loads_pack
from eapcase.policy.types import CaseInfo, CaseType, Referral, Rule
from tests.policy.rulebook import Fd, Ob, ev, findings, obligations, run_case
from tests.policy.test_history_invalid import CALLBACK, CASE_C1, EMAIL, PARTNER, case_line, event

NOW = "2026-12-01T12:00:00+00:00"
PACK_TEXT = (
    Path(__file__).resolve().parents[2] / "src/eapcase/policy/packs" / BUILTIN_PACK
).read_text(encoding="utf-8")


def gmt(s: str) -> str:
    return f"2026-{s}+00:00"


# --- Reviews before the first session ------------------------------------------------------


def review(at: str, decision: str, sessions: int, resources: list[str], id_: str) -> Any:
    return ev(
        "review_completed", at, id_, decision=decision, sessions=sessions, resources=resources
    )


def test_an_early_review_changes_no_authorisation_on_an_individual_case() -> None:
    # A deny before the first session would leave 0 sessions if it counted: none is flagged.
    result = run_case(
        [
            review(gmt("03-02T10:00:00"), "deny", 0, ["community counselling"], "r0"),
            *(ev("session_held", gmt(f"03-{9 + n:02d}T10:00:00"), f"s{n}") for n in range(1, 4)),
        ],
        NOW,
    )

    assert (obligations(result), findings(result)) == (Counter(), Counter())


def test_an_early_review_is_judged_and_authorises_nothing_on_a_review_case() -> None:
    result = run_case(
        [
            review(gmt("03-02T10:00:00"), "transition_session", 3, [], "r0"),
            ev("session_held", gmt("03-09T10:00:00"), "s1"),
            ev("session_held", gmt("03-16T10:00:00"), "s2"),
        ],
        NOW,
        case_type="minor",
    )

    assert obligations(result) == Counter(
        [Ob("CM-REVIEW", "s1", gmt("03-09T10:00:00"), None, None, "breached")]
    )
    assert findings(result) == Counter(
        [Fd("CM-REVIEW-DECISION", "r0", "breach"), Fd("CM-SESSION-UNAUTHORISED", "s2", "breach")]
    )


# --- Resources -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("resources", "breach"),
    [
        ([], True),
        ([""], True),
        (["   ", "\t"], True),
        (["", "local support group"], False),
        ([" leaflet "], False),
    ],
)
def test_a_deny_offers_resources_only_with_a_non_blank_entry(
    resources: list[str], breach: bool
) -> None:
    result = run_case(
        [
            ev("session_held", gmt("03-09T10:00:00"), "s1"),
            review(gmt("03-10T10:00:00"), "deny", 0, resources, "r1"),
        ],
        NOW,
        case_type="couples",
    )

    expected = [Fd("CM-REVIEW-DECISION", "r1", "breach")] if breach else []
    assert findings(result) == Counter(expected)


# --- Business time across a DST change inside opening hours --------------------------------

SMALL_HOURS = {
    "type": "partner",
    "id": "P-NIGHT",
    "timezone": "Europe/London",
    "country": "GB",
    "subdivision": "ENG",
    "hours": "00:00-04:00",
    "workdays": "Mon-Sun",
}


@pytest.mark.parametrize(
    ("contact", "due"),
    [
        # Sat 28 Mar 02:00 GMT: 2 h left that day. Sunday's 00:00-04:00 holds 3 h (clocks go
        # forward at 01:00), so the other 2 h end at 03:00 BST = 02:00Z, not 02:00 BST.
        ("2026-03-28T02:00:00+00:00", "2026-03-29T02:00:00+00:00"),
        # Sat 24 Oct 02:00 BST (01:00Z): 2 h left. Sunday's hours hold 5 h (01:00 twice):
        # 00:00 BST (23:00Z) + 2 h = 01:00Z, the second 01:00 of the night.
        ("2026-10-24T02:00:00+01:00", "2026-10-25T01:00:00+00:00"),
    ],
)
def test_business_time_is_elapsed_time_across_dst(contact: str, due: str) -> None:
    result = run_case(
        [ev("provider_contact", contact, "pc1", topic="query", urgent=False)],
        NOW,
        partner=SMALL_HOURS,
    )

    assert obligations(result) == Counter(
        [Ob("CM-PROVIDER-RESPONSE", "pc1", contact, due, None, "overdue")]
    )


# --- The email rules' revision ---------------------------------------------------------------


def test_the_three_email_rules_follow_the_revision_in_force_at_receipt() -> None:
    replaced = (
        PACK_TEXT.replace("revision = 1", "revision = 2")
        .replace("valid_from = 2020-09-01", "valid_from = 2026-03-03")
        .replace("next_revision = 2021-03-01", "next_revision = 2030-01-01")
        .replace("ack_hours = 24", "ack_hours = 48")
        .replace("action_hours = 24", "action_hours = 36")
        .replace("inform_after_hours = 24", "inform_after_hours = 12")
        .replace("inform_due_hours = 1", "inform_due_hours = 2")
    )
    assert replaced.count("= 48") == replaced.count("= 36") == 1
    r2 = loads_pack(replaced, "r2")
    case = CaseInfo(
        "C1", datetime(2026, 3, 1, 9, tzinfo=UTC), "P-UK", Referral.SELF, CaseType.INDIVIDUAL, 6
    )
    # e1 arrives under revision 1; its 24 hours end under revision 2, which must not apply.
    events = [
        make_event("C1", "e1", "email_received", "2026-03-02T12:00:00+00:00", None,
                   {"from": "participant"}, 1),
        make_event("C1", "e2", "email_received", "2026-03-03T12:00:00+00:00", None,
                   {"from": "participant"}, 2),
    ]  # fmt: skip

    result = evaluate(
        case,
        events,
        [builtin_pack(), r2],
        BusinessCalendar("Europe/London", "GB", "ENG"),
        datetime(2026, 3, 10, tzinfo=UTC),
    )

    def utc(day: int, hour: int) -> datetime:
        return datetime(2026, 3, day, hour, tzinfo=UTC)

    assert [(o.rule, o.trigger, o.revision, o.opened_at, o.due_at) for o in result.obligations] == [
        (Rule.EMAIL_ACK, "e1", 1, utc(2, 12), utc(3, 12)),
        (Rule.EMAIL_ACTION, "e1", 1, utc(2, 12), utc(3, 12)),
        (Rule.EMAIL_ACK, "e2", 2, utc(3, 12), utc(5, 12)),
        (Rule.EMAIL_ACTION, "e2", 2, utc(3, 12), utc(5, 0)),
        (Rule.EMAIL_INFORM, "e1", 1, utc(3, 12), utc(3, 13)),
        (Rule.EMAIL_INFORM, "e2", 2, utc(4, 0), utc(4, 2)),
    ]


# --- Every kind of invalid input, with its exact reason ------------------------------------

INVALID = [
    ("not-json", [PARTNER, CASE_C1, "{not json"],
     "3: not JSON: Expecting property name enclosed in double quotes (column 2)"),
    ("not-an-object", [PARTNER, CASE_C1, "[1, 2]"], "3: not a JSON object"),
    ("unknown-type", [PARTNER, CASE_C1, event("phone_call", "x1")],
     "3: type: unknown event type 'phone_call'"),
    ("unknown-field", [PARTNER, CASE_C1, event("callback_requested", "cb1", colour="red")],
     "3: colour: unknown field for callback_requested"),
    ("unknown-field-value", [PARTNER, CASE_C1, event("risk_set", level="critical")],
     "3: level: must be one of none, low, medium, high, not 'critical'"),
    ("wrong-kind-of-value",
     [PARTNER, CASE_C1, event("email_received", "e1", **{"from": "wpo"}, urgent="yes")],
     "3: urgent: must be true or false, not 'yes'"),
    ("missing-required-field", [PARTNER, CASE_C1, event("escalated_to_wpo", "x1")],
     "3: reason: missing"),
    ("instant-without-offset",
     [PARTNER, CASE_C1, event("callback_requested", "cb1", at="2026-03-02T10:00:00")],
     "3: at: '2026-03-02T10:00:00' has no UTC offset"),
    ("event-before-its-case-line", [PARTNER, CALLBACK, CASE_C1],
     "2: case: 'C1' is opened later, on line 3"),
    ("unknown-case", [PARTNER, CASE_C1, event("callback_requested", "cb1", case="C9")],
     "3: case: no case 'C9' in this history"),
    ("unknown-partner", [PARTNER, case_line(partner="P-XX")],
     "2: partner: no partner 'P-XX' on an earlier line"),
    ("unknown-id", [PARTNER, CASE_C1, event("email_acknowledged", email="e9")],
     "3: email: names 'e9', no event of case C1"),
    ("id-used-twice", [PARTNER, CASE_C1, CALLBACK, event("callback_requested", "cb1")],
     "4: id 'cb1' already used on line 3"),
    ("case-line-repeated", [PARTNER, CASE_C1, CALLBACK, CASE_C1],
     "4: case: 'C1' already opened on line 2"),
    ("partner-line-repeated", [PARTNER, PARTNER, CASE_C1],
     "2: id: partner 'P-UK' already defined on line 1"),
    ("checkin-to-the-provider",
     [PARTNER, CASE_C1, event("outreach_requested", "ck1", purpose="checkin", target="provider")],
     "3: target: a check-in is made to the participant"),
    ("names-a-later-event",
     [PARTNER, CASE_C1,
      event("email_acknowledged", email="e1", at="2026-03-02T09:00:00+00:00"), EMAIL],
     "3: email: names 'e1', which is not earlier in case C1"),
    ("names-an-event-of-another-type",
     [PARTNER, CASE_C1, CALLBACK, event("email_acknowledged", email="cb1")],
     "4: email: names 'cb1', a callback_requested, not a email_received"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("lines", "reason"), [pytest.param(lines, reason, id=name) for name, lines, reason in INVALID]
)
def test_each_kind_of_invalid_input_gives_its_exact_reason(lines: list[str], reason: str) -> None:
    with pytest.raises(HistoryError) as raised:
        check_history(lines, datetime.fromisoformat(NOW))

    assert str(raised.value) == reason


def test_a_line_that_is_not_utf8_gives_its_exact_reason(tmp_path: Path) -> None:
    path = tmp_path / "bytes.jsonl"
    path.write_bytes(f"{PARTNER}\n{CASE_C1}\n".encode() + b'{"type": "no\xe9"}\n')

    done = subprocess.run(
        [sys.executable, "-m", "eapcase.policy.check", str(path), "--now", NOW],
        capture_output=True,
        check=False,
    )

    assert (done.returncode, done.stdout, done.stderr) == (
        2,
        b"",
        b"3: not UTF-8 text (byte 13)\n",
    )
