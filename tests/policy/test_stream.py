"""`eapcase check`'s streaming reader (policy/stream.py) against the whole-file reader: for
every history, valid or not, in any order of its lines, it prints the same document byte for
byte, or reports exactly the same errors; and it holds about one case at a time."""

from __future__ import annotations

import io
import json
import random
import runpy
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eapcase.policy import stream
from eapcase.policy.check import _decoded, evaluate_history
from eapcase.policy.history import HistoryError
from eapcase.policy.pack import as_pack_set
from eapcase.policy.report import write_json
from eapcase.policy.stream import stream_check
from tests.policy.test_fastread import generated_history
from tests.policy.test_history_invalid import (
    ATTEMPT,
    CALLBACK,
    CASE_C1,
    EMAIL,
    INVALID,
    PARTNER,
    VALID,
    case_line,
    event,
)

REPO = Path(__file__).resolve().parents[2]
NOW = datetime.fromisoformat("2026-04-01T12:00:00+00:00")


def whole_file(data: bytes, now: datetime = NOW) -> tuple[str, list[str]]:
    """(document, errors) the way the whole-file reader gives them."""
    decode_errors: list[Any] = []
    try:
        packs, evaluations = evaluate_history(_decoded(io.BytesIO(data), decode_errors), now)
    except HistoryError as exc:
        return "", [str(e) for e in sorted([*exc.errors, *decode_errors], key=lambda e: e.line)]
    if decode_errors:
        return "", [str(e) for e in decode_errors]
    out = io.StringIO()
    write_json(out, packs, evaluations, now)
    return out.getvalue(), []


def streamed(data: bytes, now: datetime = NOW) -> tuple[str, list[str]]:
    out = io.StringIO()
    try:
        stream_check(io.BytesIO(data), as_pack_set(None), now, out)
    except HistoryError as exc:
        assert out.getvalue() == "", "nothing is printed for an invalid history"
        return "", [str(e) for e in exc.errors]
    return out.getvalue(), []


def as_bytes(lines: list[str]) -> bytes:
    return "".join(f"{line}\n" for line in lines).encode()


@pytest.mark.parametrize("lines", [p.values[0] for p in INVALID], ids=[p.id for p in INVALID])
def test_invalid_histories_give_the_same_errors(lines: list[str]) -> None:
    data = as_bytes(lines)
    expected = whole_file(data)
    assert expected[1], "the case is invalid"
    assert streamed(data) == expected


@pytest.mark.parametrize("lines", [p.values[0] for p in VALID], ids=[p.id for p in VALID])
def test_valid_histories_give_the_same_document(lines: list[str]) -> None:
    data = as_bytes(lines)
    expected = whole_file(data)
    assert expected[0] and not expected[1]
    assert streamed(data) == expected


EXAMPLES = sorted(
    [
        *(REPO / "docs" / "examples").glob("*.jsonl"),
        *(REPO.parent / "shared" / "spec" / "examples").glob("*.jsonl"),
    ]
)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_the_examples_give_the_same_result(path: Path) -> None:
    data = path.read_bytes()
    now = datetime.fromisoformat("2026-12-31T12:00:00+00:00")
    assert streamed(data, now) == whole_file(data, now)


def test_not_utf8_and_a_byte_order_mark_are_handled_alike() -> None:
    data = (
        b"\xef\xbb\xbf" + as_bytes([PARTNER, CASE_C1]) + b'{"x": "\xff"}\n' + as_bytes([CALLBACK])
    )
    expected = whole_file(data)
    assert expected[1] and expected[1][0].startswith("3: not UTF-8")
    assert streamed(data) == expected


# Lines to shuffle: two cases whose events reference each other's ids, a duplicate case line,
# events for a missing case, lines that are not JSON or not objects, a second partner line.
POOL = [
    PARTNER,
    CASE_C1,
    case_line(case="C2"),
    case_line(case="C3", referral="management_referral"),
    CALLBACK,
    EMAIL,
    ATTEMPT,
    event("email_acknowledged", "k1", at="2026-03-02T11:00:00+00:00", email="e1"),
    event("outreach_closed", "o1", at="2026-03-03T10:00:00+00:00", outreach="cb1"),
    event("callback_requested", "cb1", case="C2"),
    event("session_held", "s1", case="C2", at="2026-03-05T10:00:00+00:00"),
    event("note", "n1", case="C3", summary="Spoke."),
    event("note", "n2", case="C9"),
    event("risk_set", "r1", level="extreme"),
    event("email_acknowledged", "k2", email="e7"),
    CASE_C1,
    PARTNER,
    "{not json",
    "[1, 2]",
    "",
    "   ",
    json.dumps({"type": "case", "case": "C4", "partner": "nowhere"}),
    event("note", "n3", case="C4"),
]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(POOL), max_size=25), st.randoms(use_true_random=False))
def test_any_order_of_any_lines_gives_the_same_result(lines: list[str], rnd: random.Random) -> None:
    rnd.shuffle(lines)
    data = as_bytes(lines)
    assert streamed(data) == whole_file(data)


def test_a_generated_history_gives_the_same_document(tmp_path: Path) -> None:
    path = generated_history(tmp_path)
    data = path.read_bytes()
    now = datetime.fromisoformat("2026-07-01T12:00:00+00:00")
    document, errors = streamed(data, now)
    assert not errors
    assert (document, errors) == whole_file(data, now)
    # Interleaved by time across cases, the same lines give the same document.
    lines = data.decode().splitlines()
    head = [line for line in lines if '"type": "partner"' in line]
    rest = sorted(
        (line for line in lines if line not in head),
        key=lambda line: (json.loads(line)["at"], '"type": "case"' not in line),
    )
    mixed = as_bytes(head + rest)
    assert streamed(mixed, now) == whole_file(mixed, now)


def test_a_history_written_case_by_case_is_read_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The one pass (ADR 0044) takes a history whose cases come one after another, and gives
    the two passes' document; anything else falls back to the two passes."""
    data = generated_history(tmp_path).read_bytes()
    now = datetime.fromisoformat("2026-07-01T12:00:00+00:00")
    document, errors = streamed(data, now)
    assert document and not errors

    def no_two_passes(*args: Any) -> bool:
        raise AssertionError("read twice")

    with monkeypatch.context() as patch:
        patch.setattr(stream, "_two_passes", no_two_passes)
        assert streamed(data, now) == (document, [])
    with monkeypatch.context() as patch:
        patch.setattr(stream, "_one_pass", lambda *args: None)
        assert streamed(data, now) == (document, [])
    # A line of an earlier case after a later case line: read twice, same answer.
    lines = data.decode().splitlines()
    late = next(n for n, line in enumerate(lines) if '"id": "co2"' in line)
    moved = lines[:late] + lines[late + 1 :] + [lines[late]]
    with monkeypatch.context() as patch:
        patch.setattr(stream, "_two_passes", no_two_passes)
        with pytest.raises(AssertionError, match="read twice"):
            streamed(as_bytes(moved), now)
    assert streamed(as_bytes(moved), now) == whole_file(as_bytes(moved), now)


MEASURE = """
import contextlib, os, resource, sys
from eapcase.policy.check import main
with open(os.devnull, "w") as out, contextlib.redirect_stdout(out):
    status = main([sys.argv[1], "--now", "2026-07-01T12:00:00+00:00"])
print(status, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


def test_the_command_streams_a_history_in_bounded_memory(tmp_path: Path) -> None:
    """A history five times larger costs the command (nearly) no more memory: it holds a
    case at a time, not the history."""
    bench = runpy.run_path(str(REPO / "bench" / "check_throughput.py"))

    def peak_mib(events: int) -> float:
        path = tmp_path / f"h{events}.jsonl"
        bench["generate"](path, events, 3)
        proc = subprocess.run(
            [sys.executable, "-c", MEASURE, str(path)], capture_output=True, text=True, check=True
        )
        status, kib = proc.stdout.split()
        assert status in ("0", "1")
        return int(kib) / 1024

    small = peak_mib(20_000)
    large = peak_mib(100_000)
    assert large < small + 20, f"{small:.0f} MiB for 20,000 events, {large:.0f} MiB for 100,000"
