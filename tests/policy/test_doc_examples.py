"""The project's own examples (docs/examples): `eapcase check` on each history gives, byte for
byte, the JSON, the text report or the standard error recorded beside it, with the exit status
of docs/examples/README.md's table."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"
ROW = re.compile(r"^\| `(?P<name>[a-z0-9-]+)` \|.*\| `(?P<now>[^`]+)` \| (?P<exit>\d) \|$")
TABLE = {
    match["name"]: (match["now"], int(match["exit"]))
    for match in map(ROW.match, (EXAMPLES / "README.md").read_text(encoding="utf-8").splitlines())
    if match
}


def check(name: str, *options: str) -> subprocess.CompletedProcess[bytes]:
    now, _ = TABLE[name]
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "eapcase.policy.check",
            str(EXAMPLES / f"{name}.jsonl"),
            "--now",
            now,
            *options,
        ],
        capture_output=True,
        check=False,
        timeout=120,
    )


def expected(name: str, suffix: str) -> bytes:
    return (EXAMPLES / f"{name}{suffix}").read_bytes()


def test_every_history_has_a_row_and_the_required_stories() -> None:
    assert sorted(TABLE) == sorted(path.stem for path in EXAMPLES.glob("*.jsonl"))
    assert len(TABLE) >= 7
    assert {
        "callback-holiday-weekend",
        "couples-review",
        "email-wpo-informed",
        "outreach-consent-refused",
        "checkin",
        "closed-and-reopened",
        "invalid-input",
    } <= set(TABLE)


@pytest.mark.parametrize("name", sorted(name for name, (_, code) in TABLE.items() if code != 2))
@pytest.mark.parametrize(("fmt", "suffix"), [("json", ".expected.json"), ("text", ".expected.txt")])
def test_example_output_byte_for_byte(name: str, fmt: str, suffix: str) -> None:
    done = check(name, "--format", fmt)

    assert (done.stdout, done.stderr, done.returncode) == (
        expected(name, suffix),
        b"",
        TABLE[name][1],
    )


@pytest.mark.parametrize("name", sorted(name for name, (_, code) in TABLE.items() if code == 2))
@pytest.mark.parametrize("fmt", ["json", "text"])
def test_invalid_example_reports_every_line(name: str, fmt: str) -> None:
    done = check(name, "--format", fmt)

    assert (done.stdout, done.stderr, done.returncode) == (
        b"",
        expected(name, ".expected.stderr"),
        2,
    )
