"""Files written by a write that rolls back do not stay behind; the daily sweep removes the
orphans that a killed process leaves."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.files.base import ContentFile

from eapcase.accounts.choices import Role
from eapcase.cases import record
from eapcase.core.errors import ServiceError
from eapcase.intake import services as intake_services
from eapcase.intake.models import Attachment, InboundMessage
from eapcase.ops.files import orphans_remove
from eapcase.providers import services as provider_services
from eapcase.providers.models import CaseNotesUpload
from tests.factories import MONDAY, ProviderFactory, open_case, user_with_role
from tests.intake.conftest import eml

pytestmark = pytest.mark.django_db


class Interrupted(BaseException):
    """Stands for SIGINT/SIGTERM arriving mid-write: nothing catches it on the way out."""


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Iterator[Path]:
    settings.MEDIA_ROOT = tmp_path / "media"
    with time_machine.travel(MONDAY, tick=False):
        yield tmp_path / "media"


def _files(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def _upload(**kwargs: Any) -> CaseNotesUpload:
    provider = ProviderFactory(code="pr-1")
    case = open_case(provider=provider)
    return provider_services.case_notes_upload(
        actor=user_with_role(Role.PROVIDER, provider=provider),
        case=case,
        now=MONDAY,
        file=ContentFile(b"notes", name="notes.txt"),
        original_name="notes.txt",
        content_type="text/plain",
        **kwargs,
    )


def test_a_refused_upload_leaves_no_file(media: Path, monkeypatch: Any) -> None:
    def refuses(**kwargs: Any) -> None:
        raise ServiceError("refused at the end of the write")

    # The end of every case write (cases.record.case_write) refuses: the write rolls back.
    monkeypatch.setattr(record, "case_write_finish", refuses)
    with pytest.raises(ServiceError):
        _upload()
    assert (CaseNotesUpload.objects.count(), _files(media)) == (0, [])


def test_a_committed_upload_keeps_its_file(media: Path) -> None:
    upload = _upload()
    assert _files(media) == [upload.file.name]


def test_an_interrupted_email_intake_leaves_no_attachment(media: Path, monkeypatch: Any) -> None:
    def interrupted(*args: Any, **kwargs: Any) -> None:
        raise Interrupted

    monkeypatch.setattr(intake_services, "_file", interrupted)
    with pytest.raises(Interrupted):
        intake_services.message_ingest(raw=eml("attachment_pdf.eml"), now=MONDAY)
    assert (InboundMessage.objects.count(), Attachment.objects.count()) == (0, 0)
    assert _files(media) == []


def test_the_sweep_removes_old_orphans_only(media: Path) -> None:
    upload = _upload()
    old = media / "case-notes" / "left-by-a-killed-process"
    recent = media / "intake" / "being-written-now"
    for path in (old, recent):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * 10)
    kept_for_an_hour = (MONDAY - timedelta(minutes=59)).timestamp()
    os.utime(recent, (kept_for_an_hour, kept_for_an_hour))
    older = (MONDAY - timedelta(hours=2)).timestamp()
    os.utime(old, (older, older))
    os.utime(media / upload.file.name, (older, older))
    report = orphans_remove(now=MONDAY)
    assert (report.removed, report.bytes) == (1, 10)
    assert _files(media) == sorted([upload.file.name, "intake/being-written-now"])
