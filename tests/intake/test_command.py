"""`eapcase intake eml FILE...`: a line per file, non-zero exit when any file failed."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.core.management import CommandError, call_command

from eapcase.intake.models import InboundMessage
from eapcase.outreach.models import Email
from tests.factories import utc
from tests.intake.conftest import FIXTURES, World

pytestmark = pytest.mark.django_db


def _run(*files: Path) -> str:
    out = StringIO()
    with time_machine.travel(utc(2, 11), tick=False):
        call_command("intake", "eml", *map(str, files), stdout=out)
    return out.getvalue()


def test_every_fixture_imports_and_each_file_gets_a_line(world: World) -> None:
    files = sorted(FIXTURES.glob("*.eml"))
    lines = _run(*files).splitlines()
    assert [line.split(": ", 1)[0] for line in lines] == [str(f) for f in files]
    outcome = {Path(line.split(": ", 1)[0]).name: line.split(": ", 1)[1] for line in lines}
    assert outcome["plain_participant.eml"].endswith(", on its case (EAP-10001)")
    assert outcome["duplicate_b.eml"].startswith("duplicate of message ")
    assert outcome["malformed.eml"].endswith(", waiting in triage (malformed message)")
    assert outcome["bounce.eml"].endswith(", auto-reply or bounce (no case)")
    assert outcome["auto_reply.eml"].endswith(", auto-reply or bounce (EAP-10001)")
    assert outcome["unknown_sender.eml"].endswith(", waiting in triage (no case reference)")
    assert InboundMessage.objects.count() == len(files) - 1
    # Alex's plain email, the PDF, the duplicate pair's one email, and WPO's forward.
    assert Email.objects.filter(case=world.case).count() == 4


def test_a_missing_file_fails_the_command_after_the_others(world: World, tmp_path: Path) -> None:
    out = StringIO()
    with pytest.raises(CommandError, match="1 of 2 files failed"):
        call_command(
            "intake",
            "eml",
            str(tmp_path / "missing.eml"),
            str(FIXTURES / "plain_participant.eml"),
            stdout=out,
        )
    first, second = out.getvalue().splitlines()
    assert first.startswith(f"{tmp_path / 'missing.eml'}: failed: ")
    assert second.endswith("on its case (EAP-10001)")


def test_an_oversized_file_is_refused(world: World, tmp_path: Path) -> None:
    big = tmp_path / "big.eml"
    big.write_bytes(b"x" * (25 * 1024 * 1024 + 1))
    with pytest.raises(CommandError):
        _run(big)
    assert InboundMessage.objects.count() == 0
