"""Invalid histories (history-format.md, "Lines" and the exit status of `eapcase check`).

Every kind of invalid input the format names is reported as `LINE: reason`, one error for
each bad line, with line numbers that count every line of the file (blank ones included).
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from eapcase.policy.check import check_history
from eapcase.policy.history import HistoryError
from tests.policy.rulebook import CASE, PARTNER_UK

NOW = datetime.fromisoformat("2026-04-01T12:00:00+00:00")
PARTNER = json.dumps(PARTNER_UK)
CASE_C1 = json.dumps(CASE)


def line(**fields: Any) -> str:
    return json.dumps(fields)


def event(
    type_: str, id_: str | None = None, at: str = "2026-03-02T10:00:00+00:00", **f: Any
) -> str:
    fields: dict[str, Any] = {"type": type_, "case": "C1", "at": at}
    if id_ is not None:
        fields["id"] = id_
    return json.dumps({**fields, **f})


def case_line(**changes: Any) -> str:
    fields = {**CASE, **changes}
    return json.dumps({k: v for k, v in fields.items() if v is not None})


EMAIL = event("email_received", "e1", **{"from": "participant"})
CALLBACK = event("callback_requested", "cb1")
ATTEMPT = event(
    "contact_attempt",
    "a1",
    target="participant",
    channel="phone",
    outcome="reached",
    message="none",
    summary="Spoke to the participant.",
)


def error_lines(lines: list[str]) -> list[int]:
    with pytest.raises(HistoryError) as raised:
        check_history(lines, NOW)
    errors = raised.value.errors
    for error in errors:
        assert isinstance(error.reason, str)
        assert error.reason.strip() != ""
    return sorted(error.line for error in errors)


INVALID = [
    # Not JSON.
    pytest.param([PARTNER, CASE_C1, "{not json"], [3], id="not-json"),
    pytest.param([PARTNER, CASE_C1, '{"type": "note", "case": "C1"'], [3], id="truncated-json"),
    pytest.param(["{'type': 'partner'}", PARTNER, CASE_C1], [1], id="not-json-single-quotes"),
    # Unknown type.
    pytest.param([PARTNER, CASE_C1, event("phone_call", "x1")], [3], id="unknown-type"),
    pytest.param(
        [PARTNER, CASE_C1, line(case="C1", at="2026-03-02T10:00:00+00:00")], [3], id="missing-type"
    ),
    # Unknown field values.
    pytest.param([PARTNER, case_line(referral="other")], [2], id="unknown-referral"),
    pytest.param([PARTNER, case_line(case_type="group")], [2], id="unknown-case-type"),
    pytest.param(
        [
            PARTNER,
            CASE_C1,
            event(
                "contact_attempt",
                "a1",
                target="participant",
                channel="sms",
                outcome="reached",
                message="none",
                summary="x",
            ),
        ],
        [3],
        id="unknown-channel",
    ),
    pytest.param(
        [
            PARTNER,
            CASE_C1,
            event(
                "contact_attempt",
                "a1",
                target="participant",
                channel="phone",
                outcome="voicemail",
                message="none",
                summary="x",
            ),
        ],
        [3],
        id="unknown-outcome",
    ),
    pytest.param(
        [
            PARTNER,
            CASE_C1,
            event(
                "contact_attempt",
                "a1",
                target="employer",
                channel="phone",
                outcome="reached",
                message="none",
                summary="x",
            ),
        ],
        [3],
        id="unknown-target",
    ),
    pytest.param(
        [
            PARTNER,
            CASE_C1,
            event(
                "contact_attempt",
                "a1",
                target="participant",
                channel="phone",
                outcome="not_reached",
                message="long",
                summary="x",
            ),
        ],
        [3],
        id="unknown-message",
    ),
    pytest.param(
        [
            PARTNER,
            CASE_C1,
            event("outreach_requested", "o1", purpose="survey", target="participant"),
        ],
        [3],
        id="unknown-purpose",
    ),
    pytest.param(
        [PARTNER, CASE_C1, event("email_received", "e1", **{"from": "provider"})],
        [3],
        id="unknown-email-sender",
    ),
    pytest.param(
        [PARTNER, CASE_C1, event("risk_set", level="critical")], [3], id="unknown-risk-level"
    ),
    pytest.param(
        [PARTNER, CASE_C1, event("provider_contact", "pc1", topic="billing", urgent=False)],
        [3],
        id="unknown-provider-topic",
    ),
    pytest.param(
        [
            PARTNER,
            CASE_C1,
            event("session_held", "s1"),
            event("review_completed", "r1", decision="approve", sessions=1, resources=[]),
        ],
        [4],
        id="unknown-review-decision",
    ),
    pytest.param(
        [PARTNER, CASE_C1, event("escalated_to_wpo", reason="bored")],
        [3],
        id="unknown-escalation-reason",
    ),
    # Missing required fields.
    pytest.param([PARTNER, case_line(benefit_sessions=None)], [2], id="case-missing-benefit"),
    pytest.param([PARTNER, case_line(partner=None)], [2], id="case-missing-partner"),
    pytest.param([PARTNER, case_line(referral=None)], [2], id="case-missing-referral"),
    pytest.param([PARTNER, case_line(case_type=None)], [2], id="case-missing-case-type"),
    pytest.param(
        [PARTNER, CASE_C1, line(type="callback_requested", case="C1", id="cb1")],
        [3],
        id="event-missing-at",
    ),
    pytest.param(
        [
            PARTNER,
            CASE_C1,
            line(type="callback_requested", at="2026-03-02T10:00:00+00:00", id="cb1"),
        ],
        [3],
        id="event-missing-case",
    ),
    pytest.param(
        [PARTNER, CASE_C1, EMAIL, event("email_acknowledged")], [4], id="ack-missing-email"
    ),
    # Instants without an offset.
    pytest.param(
        [PARTNER, CASE_C1, event("callback_requested", "cb1", at="2026-03-02T10:00:00")],
        [3],
        id="event-at-without-offset",
    ),
    pytest.param([PARTNER, case_line(at="2026-03-02T09:00:00")], [2], id="case-at-without-offset"),
    pytest.param(
        [PARTNER, CASE_C1, event("callback_requested", "cb1", not_before="2026-03-03T10:00:00")],
        [3],
        id="not-before-without-offset",
    ),
    # Order of lines, unknown case and partner.
    pytest.param([PARTNER, CALLBACK, CASE_C1], [2], id="event-before-its-case-line"),
    pytest.param(
        [PARTNER, CASE_C1, event("callback_requested", "cb1", case="C9")], [3], id="unknown-case"
    ),
    pytest.param([PARTNER, case_line(partner="P-XX")], [2], id="unknown-partner"),
    pytest.param([CASE_C1, PARTNER], [1], id="partner-after-the-case-naming-it"),
    # References to other events.
    pytest.param(
        [PARTNER, CASE_C1, EMAIL, event("email_acknowledged", email="e9")],
        [4],
        id="unknown-referenced-id",
    ),
    pytest.param(
        [PARTNER, CASE_C1, CALLBACK, event("email_acknowledged", email="cb1")],
        [4],
        id="ack-names-a-callback",
    ),
    pytest.param(
        [PARTNER, CASE_C1, EMAIL, event("email_actioned", email="cb1")],
        [4],
        id="action-names-unknown",
    ),
    pytest.param(
        [PARTNER, CASE_C1, EMAIL, event("outreach_closed", outreach="e1", reason="x")],
        [4],
        id="outreach-closed-names-an-email",
    ),
    pytest.param(
        [PARTNER, CASE_C1, EMAIL, event("case_notes_reviewed", notes="e1")],
        [4],
        id="notes-reviewed-names-an-email",
    ),
    pytest.param(
        [
            PARTNER,
            CASE_C1,
            event("note", "n1", summary="x", next_step="y"),
            event("participant_query_resolved", query="n1"),
        ],
        [4],
        id="query-resolved-names-a-note",
    ),
    pytest.param(
        [PARTNER, CASE_C1, event("session_held", "s1"), event("provider_responded", contact="s1")],
        [4],
        id="provider-responded-names-a-session",
    ),
    pytest.param(
        [
            PARTNER,
            CASE_C1,
            case_line(case="C2"),
            EMAIL,
            event("email_acknowledged", case="C2", email="e1"),
        ],
        [5],
        id="reference-to-another-case",
    ),
    # Ids and case lines used twice (the second use is the bad line).
    pytest.param(
        [PARTNER, CASE_C1, CALLBACK, event("callback_requested", "cb1")], [4], id="id-used-twice"
    ),
    pytest.param(
        [PARTNER, CASE_C1, ATTEMPT, event("note", "a1", summary="x", next_step="y")],
        [4],
        id="id-used-twice-different-types",
    ),
    pytest.param([PARTNER, CASE_C1, CALLBACK, CASE_C1], [4], id="case-line-repeated"),
    # Blank lines count in the numbering.
    pytest.param([PARTNER, "", CASE_C1, "   ", "{not json"], [5], id="blank-lines-counted"),
    pytest.param(
        ["", "", PARTNER, CASE_C1, "", event("phone_call")], [6], id="leading-blank-lines-counted"
    ),
    # Every bad line is reported.
    pytest.param(
        [
            PARTNER,
            CASE_C1,
            "{not json",
            EMAIL,
            "",
            event("phone_call", "x1"),
            event("email_acknowledged", email="e9"),
        ],
        [3, 6, 7],
        id="three-bad-lines-three-errors",
    ),
]


@pytest.mark.parametrize(("lines", "bad"), INVALID)
def test_invalid_history_reports_each_bad_line(lines: list[str], bad: list[int]) -> None:
    assert error_lines(lines) == bad


VALID = [
    pytest.param(
        [PARTNER, CASE_C1, CALLBACK, event("outreach_closed", outreach="cb1", reason="x")],
        id="outreach-closed-callback",
    ),
    pytest.param(
        [
            PARTNER,
            CASE_C1,
            case_line(case="C2"),
            CALLBACK,
            event("callback_requested", "cb1", case="C2"),
        ],
        id="same-id-in-two-cases",
    ),
    pytest.param([PARTNER, "", CASE_C1, "  ", CALLBACK, ""], id="blank-lines-ignored"),
    pytest.param(
        [PARTNER, CASE_C1, EMAIL, event("email_acknowledged", email="e1")],
        id="reference-to-earlier-event",
    ),
    pytest.param(
        [
            json.dumps(
                {
                    **PARTNER_UK,
                    "hours": "08:30-17:30",
                    "workdays": "Mon,Tue,Wed,Thu",
                    "closed_dates": ["2026-12-31"],
                }
            ),
            CASE_C1,
        ],
        id="optional-partner-fields",
    ),
    pytest.param(
        [PARTNER, case_line(participant={"voicemail_ok": False})], id="partial-participant"
    ),
    pytest.param([PARTNER, case_line(at="2026-03-02T09:00:00-05:00")], id="negative-offset"),
]


@pytest.mark.parametrize("lines", VALID)
def test_valid_history_is_accepted(lines: list[str]) -> None:
    doc = check_history(lines, NOW)
    assert [c["case"] for c in doc["cases"]][:1] == ["C1"]


# --- the command line ---------------------------------------------------------------------


def run_cli(
    path: Path | str, *args: str, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "eapcase.policy.check", str(path), *args],
        capture_output=True,
        text=True,
        input=stdin,
        check=False,
        timeout=120,
    )


BAD_FILE = [
    PARTNER,
    "",
    CASE_C1,
    "{not json",
    EMAIL,
    event("email_acknowledged", email="e9"),
    "",
    event("callback_requested", "cb1", at="2026-03-02T10:00:00"),
]


def stderr_lines(proc: subprocess.CompletedProcess[str]) -> list[int]:
    numbers = []
    for text in proc.stderr.splitlines():
        number, sep, reason = text.partition(": ")
        assert sep == ": ", text
        assert number.isdigit(), text
        assert reason.strip() != "", text
        numbers.append(int(number))
    return sorted(numbers)


def test_cli_invalid_file_exits_2_with_line_reasons(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text("\n".join(BAD_FILE) + "\n", encoding="utf-8")
    proc = run_cli(path, "--now", "2026-04-01T12:00:00+00:00")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert stderr_lines(proc) == [4, 6, 8]


def test_cli_invalid_stdin_exits_2(tmp_path: Path) -> None:
    proc = run_cli("-", stdin="\n".join(BAD_FILE) + "\n")
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert stderr_lines(proc) == [4, 6, 8]


def test_cli_clean_history_exits_0(tmp_path: Path) -> None:
    path = tmp_path / "ok.jsonl"
    path.write_text("\n".join([PARTNER, CASE_C1, EMAIL]) + "\n", encoding="utf-8")
    proc = run_cli(path, "--now", "2026-03-02T11:00:00+00:00")
    assert proc.returncode == 0
    doc = json.loads(proc.stdout)
    assert doc["cases"][0]["case"] == "C1"


def test_cli_overdue_history_exits_1(tmp_path: Path) -> None:
    path = tmp_path / "late.jsonl"
    quiet = event("email_received", "e1", **{"from": "wpo", "needs_contact": False})
    path.write_text("\n".join([PARTNER, CASE_C1, quiet]) + "\n", encoding="utf-8")
    proc = run_cli(path, "--now", "2026-03-03T10:00:00+00:00")
    assert proc.returncode == 1
    statuses = {o["status"] for o in json.loads(proc.stdout)["cases"][0]["obligations"]}
    assert statuses == {"overdue"}
