"""The reader's msgspec fast path (policy/fastread.py) against the ordinary path: it builds
exactly the event the ordinary path builds, or declines the line; and a whole generated history
gives the same `eapcase check` document, byte for byte, with the fast path on and off."""

from __future__ import annotations

import importlib.util
import io
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eapcase.policy import history
from eapcase.policy.check import evaluate_history
from eapcase.policy.events import EVENT_TYPES, FieldError
from eapcase.policy.fastread import decode_case, decode_event
from eapcase.policy.history import _event, parse_case_line
from eapcase.policy.report import write_json

REPO = Path(__file__).resolve().parents[2]
NOW = datetime.fromisoformat("2026-07-01T12:00:00+00:00")

# Values of every kind for every field name the format has: right ones, wrong kinds, blanks,
# nulls, instants with and without offsets.
ANY_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-2, max_value=7),
    st.floats(allow_nan=False, allow_infinity=False, width=16),
    st.sampled_from(
        [
            "",
            "  ",
            "x",
            "phone",
            "email",
            "fax",
            "reached",
            "not_reached",
            "detailed",
            "generic",
            "none",
            "participant",
            "provider",
            "general",
            "complaint",
            "checkin",
            "wpo",
            "low",
            "high",
            "query",
            "risk",
            "goal_slip",
            "dissatisfaction",
            "no_contact",
            "other",
            "authorise_remaining",
            "transition_session",
            "deny",
            "2026-03-02T10:00:00+00:00",
            "2026-03-02T10:00:00-05:00",
            "2026-03-02T10:00:00Z",
            "2026-03-02T10:00:00",
            "2026-03-02",
            "not a time",
        ]
    ),
    st.lists(st.sampled_from(["", " ", "leaflet"]), max_size=2),
    st.just({"voicemail_ok": False}),
)
FIELDS = [
    "level", "not_before", "purpose", "target", "due", "outreach", "reason", "channel",
    "outcome", "message", "summary", "from", "urgent", "needs_contact", "email", "query",
    "topic", "contact", "decision", "sessions", "resources", "provider", "notes", "next_step",
    "participant", "colour",
]  # fmt: skip


@st.composite
def event_lines(draw: st.DrawFn) -> dict[str, Any]:
    line: dict[str, Any] = {
        "type": draw(st.sampled_from(sorted(EVENT_TYPES))),
        "case": draw(st.sampled_from(["C1", "", 5])),
        "at": draw(ANY_VALUE),
    }
    if draw(st.booleans()):
        line["id"] = draw(st.sampled_from(["a1", "", None, 3]))
    if draw(st.booleans()):
        line["by"] = draw(st.sampled_from(["clin", None, 1]))
    for name in draw(st.lists(st.sampled_from(FIELDS), max_size=5, unique=True)):
        line[name] = draw(ANY_VALUE)
    return line


def ordinary(line: dict[str, Any], number: int) -> Any:
    try:
        return _event(line, number, EVENT_TYPES[line["type"]])
    except FieldError:
        return None


@settings(max_examples=3000, deadline=None)
@given(event_lines(), st.sampled_from(["", "\n", "  \n"]))
def test_the_fast_path_builds_what_the_ordinary_path_builds_or_declines(
    line: dict[str, Any], end: str
) -> None:
    fast = decode_event(json.dumps(line) + end, 9)

    if fast is not None:
        assert fast == ordinary(line, 9)


CASE_VALUES = st.one_of(
    ANY_VALUE,
    st.sampled_from(["C1", "P1", "self", "management_referral", "individual", "couples", "Self"]),
    st.integers(min_value=-2, max_value=12),
    st.dictionaries(
        st.sampled_from(["phone", "email", "email_only", "email_consent", "colour"]),
        st.one_of(st.booleans(), st.none(), st.integers(0, 1), st.just("yes")),
        max_size=3,
    ),
)
CASE_FIELDS = [
    "case", "at", "partner", "referral", "case_type", "benefit_sessions", "participant", "id",
]  # fmt: skip


@st.composite
def case_lines(draw: st.DrawFn) -> dict[str, Any]:
    line: dict[str, Any] = {
        "type": "case",
        "case": "C1",
        "at": "2026-03-02T10:00:00+00:00",
        "partner": "P1",
        "referral": "self",
        "case_type": "individual",
        "benefit_sessions": 3,
    }
    for name in draw(st.lists(st.sampled_from(CASE_FIELDS), max_size=4, unique=True)):
        if draw(st.booleans()):
            line[name] = draw(CASE_VALUES)
        else:
            line.pop(name, None)
    return line


@settings(max_examples=3000, deadline=None)
@given(case_lines(), st.sampled_from(["", "\n", "  \n"]))
def test_the_case_fast_path_reads_what_the_ordinary_path_reads_or_declines(
    line: dict[str, Any], end: str
) -> None:
    fast = decode_case((json.dumps(line) + end).encode(), 4)

    if fast is not None:
        assert fast == parse_case_line(line, 4)


def test_valid_case_lines_take_the_fast_path() -> None:
    line = {
        "type": "case",
        "case": "C1",
        "at": "2026-03-02T10:00:00-05:00",
        "partner": "P1",
        "referral": "critical_incident",
        "case_type": "couples",
        "benefit_sessions": 0,
        "participant": {"phone": False, "email_consent": False},
    }
    assert decode_case(json.dumps(line), 2) == parse_case_line(line, 2)
    assert decode_case(json.dumps({**line, "benefit_sessions": -1}), 2) is None
    assert decode_case(json.dumps({**line, "case": " "}), 2) is None
    assert decode_case(json.dumps({**line, "participant": {"fax": True}}), 2) is None


@pytest.mark.parametrize("example", sorted((REPO / "docs" / "examples").glob("*.jsonl")))
def test_valid_event_lines_take_the_fast_path(example: Path) -> None:
    """Every well-formed event line but `participant_updated` is read by msgspec."""
    for number, text in enumerate(example.read_text(encoding="utf-8").splitlines(), 1):
        line = json.loads(text) if text.startswith("{") else {}
        kind = line.get("type")
        if kind in EVENT_TYPES and kind != "participant_updated":
            expected = ordinary(line, number)
            if expected is not None and "invalid" not in example.name:
                assert decode_event(text, number) == expected


def generated_history(tmp_path: Path) -> Path:
    spec = importlib.util.spec_from_file_location(
        "check_throughput", REPO / "bench" / "check_throughput.py"
    )
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    path = tmp_path / "history.jsonl"
    bench.generate(path, 20_000, 11)
    return path


def document(path: Path) -> str:
    with path.open(encoding="utf-8", newline="\n") as lines:
        packs, evaluations = evaluate_history(lines, NOW)
    out = io.StringIO()
    write_json(out, packs, evaluations, NOW)
    return out.getvalue()


def test_a_generated_history_gives_the_same_document_either_way(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = generated_history(tmp_path)
    fast = document(path)
    monkeypatch.setattr(history, "decode_event", lambda text, number: None)
    monkeypatch.setattr(history, "decode_case", lambda text, number: None)

    assert document(path) == fast
    assert fast.count('"rule": ') > 10_000
