"""WPO's information-only mail (ADR 0033): marked `[info only]` in the subject, or at triage,
it is filed with `needs_contact: false`, so not reaching the participant within 24 hours opens
no CM-EMAIL-INFORM and nothing is escalated back to WPO; the same mail unmarked does. Only
WPO's mail can be information only. `eapcase check` on the exported history agrees."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client

from eapcase.cases.models import Escalation, Obligation
from eapcase.compliance.worker import Worker
from eapcase.core.errors import ServiceError
from eapcase.intake.linking import info_only_in_subject
from eapcase.intake.services import message_ingest, triage_link
from eapcase.outreach.models import Email
from tests.factories import events_of, utc
from tests.intake.conftest import MAILBOX, World, eml

pytestmark = pytest.mark.django_db

RECEIVED = utc(2, 10)
LATER = RECEIVED + timedelta(hours=25)


def _wpo_mail(subject: str, message_id: str) -> bytes:
    raw = eml("forwarded_thread.eml")
    raw = raw.replace(b"Subject: Fwd: [EAP-10001] Need to talk to someone", subject.encode(), 1)
    return raw.replace(b"<fwd-2@wpo.example.test>", f"<{message_id}>".encode(), 1)


def _ingest(raw: bytes) -> Any:
    return message_ingest(raw=raw, now=RECEIVED, source="smtp", rcpt_tos=[MAILBOX])


def _sweep(at: Any) -> None:
    with time_machine.travel(at, tick=False):
        Worker(say=lambda _: None, hooks=[]).run_once()


def _rules(case: Any) -> list[str]:
    return sorted(Obligation.objects.filter(case=case).values_list("rule", flat=True))


@pytest.mark.parametrize(
    "subject",
    [
        "Subject: FYI [EAP-10001] [info only] the client's manager called",
        "Subject: [EAP-10001] [Information Only] leave dates",
        "Subject: [EAP-10001] [INFO-ONLY] leave dates",
    ],
)
def test_marked_wpo_mail_opens_no_inform_and_is_not_escalated(world: World, subject: str) -> None:
    _ingest(_wpo_mail(subject, "info-1@wpo.example.test"))
    email = Email.objects.get()
    assert (email.sender_kind, email.needs_contact) == ("wpo", False)
    assert events_of(world.case)[0][5] == {"from": "wpo", "needs_contact": False}
    _sweep(LATER)
    # Acknowledging and actioning are still due; informing WPO is not.
    assert _rules(world.case) == ["CM-EMAIL-ACK", "CM-EMAIL-ACTION"]
    assert not Escalation.objects.exists()


def test_the_same_wpo_mail_unmarked_is_escalated_after_24_hours(world: World) -> None:
    _ingest(_wpo_mail("Subject: [EAP-10001] the client's manager called", "plain-1@wpo.test"))
    assert Email.objects.get().needs_contact is True
    _sweep(LATER)
    assert _rules(world.case) == ["CM-EMAIL-ACK", "CM-EMAIL-ACTION", "CM-EMAIL-INFORM"]
    assert list(Escalation.objects.values_list("reason", flat=True)) == ["no_contact"]


def test_a_participant_cannot_mark_their_own_mail_information_only(world: World) -> None:
    raw = eml("plain_participant.eml").replace(b"Subject: ", b"Subject: [info only] ", 1)
    _ingest(raw)
    assert Email.objects.get().needs_contact is True


def test_triage_files_wpo_mail_as_information_only(world: World) -> None:
    raw = _wpo_mail("Subject: leave dates for the participant", "triage-1@wpo.example.test")
    message = _ingest(raw)
    assert message.status == "triage"
    triage_link(
        actor=world.clinician,
        message=message,
        case=world.case,
        now=utc(2, 11),
        information_only=True,
    )
    assert Email.objects.get().needs_contact is False
    _sweep(LATER)
    assert "CM-EMAIL-INFORM" not in _rules(world.case)
    assert not Escalation.objects.exists()


def test_triage_refuses_information_only_for_a_participants_mail(world: World) -> None:
    message = _ingest(eml("unknown_sender.eml"))
    with pytest.raises(ServiceError) as refused:
        triage_link(
            actor=world.clinician,
            message=message,
            case=world.case,
            now=utc(2, 11),
            information_only=True,
        )
    assert refused.value.field == "information_only"
    assert not Email.objects.exists()


def test_eapcase_check_agrees_on_the_exported_history(
    world: World, capsys: pytest.CaptureFixture[str], tmp_path: Any
) -> None:
    _ingest(_wpo_mail("Subject: [EAP-10001] [info only] note", "info-2@wpo.example.test"))
    call_command("export", "--case", world.case.reference)
    history = tmp_path / "case.jsonl"
    history.write_text(capsys.readouterr().out)
    done = subprocess.run(
        [
            str(Path(sys.executable).with_name("eapcase")),
            "check",
            str(history),
            "--now",
            LATER.isoformat(),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    rules = [o["rule"] for o in json.loads(done.stdout)["cases"][0]["obligations"]]
    assert rules == ["CM-EMAIL-ACK", "CM-EMAIL-ACTION"]


def test_the_marker_is_read_whole() -> None:
    assert [
        info_only_in_subject(s)
        for s in ("[info only]", "[ info  only ]", "info only", "[information]", "[only info]")
    ] == [True, True, False, False, False]


def test_the_triage_page_files_wpo_mail_as_information_only(world: World) -> None:
    message = _ingest(_wpo_mail("Subject: leave dates", "triage-2@wpo.example.test"))
    client = Client()
    client.force_login(world.clinician)
    assert 'name="information_only"' in client.get(f"/email/triage/{message.pk}/").text
    response = client.post(
        f"/email/triage/{message.pk}/link/",
        {"case_reference": world.case.reference, "information_only": "on"},
    )
    assert response.status_code == 302
    assert Email.objects.get().needs_contact is False
