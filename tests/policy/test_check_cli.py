"""`eapcase check` as a command (history-format.md): exit status 0/1/2, `LINE: reason` on
standard error, standard input, the text report, a draft pack given with --policy, and a
start-up free of Django."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from eapcase.policy.pack import BUILTIN_PACK

PACKS = Path(__file__).resolve().parents[2] / "src" / "eapcase" / "policy" / "packs"
PARTNER = {
    "type": "partner",
    "id": "P-UK",
    "timezone": "Europe/London",
    "country": "GB",
    "subdivision": "ENG",
}
CASE = {
    "type": "case",
    "case": "C1",
    "at": "2026-12-24T14:50:00+00:00",
    "partner": "P-UK",
    "referral": "self",
    "case_type": "individual",
    "benefit_sessions": 6,
}
CALLBACK = {
    "type": "callback_requested",
    "case": "C1",
    "at": "2026-12-24T15:00:00+00:00",
    "id": "cb1",
}
ATTEMPT = {
    "type": "contact_attempt",
    "case": "C1",
    "at": "2026-12-29T10:00:00+00:00",
    "id": "a1",
    "target": "participant",
    "channel": "phone",
    "outcome": "not_reached",
    "message": "detailed",
    "summary": "Called, no answer; detailed voicemail with the access line.",
}
NOW = "2026-12-30T12:00:00+00:00"


def jsonl(*lines: dict[str, Any]) -> str:
    return "".join(json.dumps(line) + "\n" for line in lines)


def check(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "eapcase.policy.check", *args],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


@pytest.fixture
def met(tmp_path: Path) -> Path:
    """A history where the call back was attempted in time: nothing failing."""
    path = tmp_path / "met.jsonl"
    path.write_text(jsonl(PARTNER, CASE, CALLBACK, ATTEMPT), encoding="utf-8")
    return path


@pytest.fixture
def overdue(tmp_path: Path) -> Path:
    """A history whose call back is overdue on 30 December."""
    path = tmp_path / "overdue.jsonl"
    path.write_text(jsonl(PARTNER, CASE, CALLBACK), encoding="utf-8")
    return path


def test_exit_0_when_nothing_fails(met: Path) -> None:
    done = check(str(met), "--now", NOW)

    assert (done.returncode, done.stderr) == (0, "")
    document = json.loads(done.stdout)
    assert [ob["status"] for ob in document["cases"][0]["obligations"]] == ["met", "open"]
    assert document["now"] == NOW


def test_exit_1_when_something_is_overdue(overdue: Path) -> None:
    done = check(str(overdue), "--now", NOW)

    assert (done.returncode, done.stderr) == (1, "")
    statuses = [ob["status"] for ob in json.loads(done.stdout)["cases"][0]["obligations"]]
    assert statuses == ["overdue", "open"]


def test_exit_1_on_a_breach_finding(tmp_path: Path) -> None:
    undocumented = {**ATTEMPT, "summary": "  "}
    path = tmp_path / "h.jsonl"
    path.write_text(jsonl(PARTNER, CASE, CALLBACK, undocumented), encoding="utf-8")

    done = check(str(path), "--now", NOW)

    assert done.returncode == 1
    findings = json.loads(done.stdout)["cases"][0]["findings"]
    assert [(fd["rule"], fd["event"], fd["severity"]) for fd in findings] == [
        ("CM-DOCUMENTATION", "a1", "breach")
    ]


def test_exit_2_reports_every_bad_line_and_prints_nothing(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(
        jsonl(PARTNER, CASE)
        + "not json\n"
        + "\n"
        + jsonl(
            {**CALLBACK, "at": "2026-12-24T15:00:00"},
            {**ATTEMPT, "channel": "fax"},
            {**CALLBACK, "case": "C9"},
        ),
        encoding="utf-8",
    )

    done = check(str(path), "--now", NOW)

    assert (done.returncode, done.stdout) == (2, "")
    lines = done.stderr.splitlines()
    assert [line.split(":", 1)[0] for line in lines] == ["3", "5", "6", "7"]
    assert all(line.split(": ", 1)[1] for line in lines)
    assert "channel" in lines[2]


def test_non_utf8_line_is_reported_with_the_others(tmp_path: Path) -> None:
    path = tmp_path / "bytes.jsonl"
    path.write_bytes(jsonl(PARTNER, CASE).encode() + b'{"type": "\xff"}\n' + b"[]\n")

    done = check(str(path), "--now", NOW)

    assert (done.returncode, done.stdout) == (2, "")
    assert [line.split(":", 1)[0] for line in done.stderr.splitlines()] == ["3", "4"]


def test_standard_input(overdue: Path) -> None:
    from_file = check(str(overdue), "--now", NOW)
    from_stdin = check("-", "--now", NOW, stdin=overdue.read_text(encoding="utf-8"))

    assert (from_stdin.returncode, from_stdin.stdout) == (1, from_file.stdout)


def test_now_with_another_offset_is_the_same_instant(overdue: Path) -> None:
    utc = json.loads(check(str(overdue), "--now", NOW).stdout)
    tokyo = json.loads(check(str(overdue), "--now", "2026-12-30T21:00:00+09:00").stdout)

    assert tokyo == utc


def test_events_after_now_are_ignored(met: Path) -> None:
    done = check(str(met), "--now", "2026-12-29T09:00:00+00:00")

    assert done.returncode == 0
    obligations = json.loads(done.stdout)["cases"][0]["obligations"]
    assert [(ob["satisfied_at"], ob["status"]) for ob in obligations] == [
        (None, "open"),
        (None, "open"),
    ]


def test_text_format(overdue: Path) -> None:
    done = check(str(overdue), "--now", NOW, "--format", "text")

    assert done.returncode == 1
    assert "OVERDUE  CM-CALLBACK (cb1): due Tue 29 Dec 16:00 Europe/London" not in done.stdout
    assert (
        "OVERDUE  CM-CALLBACK (cb1): due Tue 29 Dec 15:00 Europe/London: 1 business day after "
        "Thu 24 Dec 15:00; 25 and 28 Dec are holidays" in done.stdout
    )
    assert "OPEN     CM-OUTREACH (cb1): no deadline; 0 of 2 attempts made; open" in done.stdout


def test_draft_policy_pack_changes_the_result(overdue: Path, tmp_path: Path) -> None:
    builtin = (PACKS / BUILTIN_PACK).read_text(encoding="utf-8")
    draft = tmp_path / "draft.toml"
    draft.write_text(
        builtin.replace("revision = 1", "revision = 2")
        .replace("valid_from = 2020-09-01", "valid_from = 2026-01-01")
        .replace("next_revision = 2021-03-01", "next_revision = 2027-01-01")
        .replace("[callback]\nbusiness_days = 1", "[callback]\nbusiness_days = 2"),
        encoding="utf-8",
    )

    done = check(str(overdue), "--now", NOW, "--policy", str(draft))

    assert done.returncode == 0
    document = json.loads(done.stdout)
    assert document["policy"] == {
        "id": "partner-case-management",
        "revision": 2,
        "valid_from": "2026-01-01",
        "next_revision": "2027-01-01",
        "review_overdue": False,
    }
    callback = document["cases"][0]["obligations"][0]
    assert (callback["due_at"], callback["status"]) == ("2026-12-30T15:00:00+00:00", "open")


def test_invalid_policy_pack_is_exit_2(overdue: Path, tmp_path: Path) -> None:
    draft = tmp_path / "draft.toml"
    draft.write_text("[policy]\nid = 'x'\n", encoding="utf-8")

    done = check(str(overdue), "--now", NOW, "--policy", str(draft))

    assert (done.returncode, done.stdout) == (2, "")
    assert "policy.revision is missing" in done.stderr


@pytest.mark.parametrize("now", ["2026-12-30T12:00:00", "yesterday"])
def test_now_without_offset_is_exit_2(overdue: Path, now: str) -> None:
    done = check(str(overdue), "--now", now)

    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.startswith("eapcase check: --now:")


def test_missing_file_is_exit_2(tmp_path: Path) -> None:
    done = check(str(tmp_path / "absent.jsonl"), "--now", NOW)

    assert (done.returncode, done.stdout) == (2, "")
    assert "cannot read" in done.stderr


def test_starting_it_imports_no_django(overdue: Path) -> None:
    program = (
        "import sys\n"
        "from eapcase.policy.check import main\n"
        f"code = main([{str(overdue)!r}, '--now', {NOW!r}])\n"
        "django = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "print(code, django, file=sys.stderr)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", program], capture_output=True, text=True, check=False
    )

    assert done.stderr == "1 []\n"


def test_import_time_shows_no_django(overdue: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "eapcase.policy.check", str(overdue)],
        capture_output=True,
        text=True,
        check=False,
    )

    imported = [line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()]
    assert "eapcase.policy.engine" in imported
    assert [name for name in imported if name.split(".")[0] == "django"] == []
