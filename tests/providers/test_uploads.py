"""Uploading completed case notes: PDF, DOCX and plain text are accepted, told from the content;
anything else, and anything over 10 MB, is refused with a message naming the field."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.files.uploadhandler import SkipFile
from django.test import Client

from eapcase.accounts.choices import Role
from eapcase.providers.models import CaseNotesUpload
from eapcase.providers.uploads import (
    DOCX,
    MAX_NOTES_BYTES,
    PDF,
    TEXT,
    SizeLimitUploadHandler,
    case_notes_content_type,
)
from tests.factories import (
    ProviderFactory,
    db_state,
    obligations_of,
    open_case,
    user_with_role,
    utc,
)

pytestmark = pytest.mark.django_db

NOW = utc(2, 11)

PDF_BYTES = (
    b"%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n"
    b"2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"
)
EXE_BYTES = (
    b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48 + b"PE\x00\x00"
)
PNG_BYTES = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00"
    b"\x00\x00\x00IEND\xaeB`\x82"
)
TEXT_BYTES = (
    "Completed case notes\nSessions: 3\nOutcome: goals met — café visit planned.\n".encode()
)


def docx_bytes(*, with_document: bool = True) -> bytes:
    """A minimal Word document: [Content_Types].xml first, as Word writes it."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/word/document.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
            "</Types>",
        )
        archive.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
            'relationships/officeDocument" Target="word/document.xml"/></Relationships>',
        )
        archive.writestr(
            "word/document.xml" if with_document else "word/other.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            "<w:body><w:p><w:r><w:t>Completed case notes</w:t></w:r></w:p></w:body></w:document>",
        )
    return buffer.getvalue()


UNRECOGNISED = "this file is neither a recognised document"


def zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "not a Word document")
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Iterator[Path]:
    settings.MEDIA_ROOT = tmp_path
    with time_machine.travel(NOW, tick=False):
        yield tmp_path


# --- the content check on its own --------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("notes.pdf", PDF_BYTES, PDF),
        ("notes.docx", docx_bytes(), DOCX),
        ("notes.txt", TEXT_BYTES, TEXT),
        ("notes.bin", TEXT_BYTES, TEXT),  # the name says nothing
        ("bmi.txt", b"BMI 24; goals reviewed.\n", TEXT),  # "BM" is a bitmap's signature
        ("bom.txt", b"\xef\xbb\xbfNotes with a byte-order mark\n", TEXT),
    ],
)
def test_accepted_types_are_told_from_the_content(
    name: str, content: bytes, content_type: str
) -> None:
    assert case_notes_content_type(SimpleUploadedFile(name, content, "x/y")) == content_type


@pytest.mark.parametrize(
    ("name", "content", "found"),
    [
        ("notes.pdf", EXE_BYTES, "this file is application/x-msdownload (.exe)"),
        ("notes.pdf", PNG_BYTES, "this file is image/png (.png)"),
        (
            "notes.txt",
            b"Session one\x00Session two\n",
            "this file is neither a recognised document",
        ),
        ("notes.txt", "café".encode("latin-1"), "this file is neither a recognised document"),
        ("notes.docx", zip_bytes(), "this file is application/zip (.zip)"),
        ("notes.docx", docx_bytes(with_document=False), "this Word document is damaged"),
    ],
)
def test_other_content_is_refused_naming_the_field(name: str, content: bytes, found: str) -> None:
    with pytest.raises(ValidationError) as exc:
        case_notes_content_type(SimpleUploadedFile(name, content, "application/pdf"))
    (message,) = exc.value.messages
    assert message.startswith(f"Completed case notes: {found}")
    assert message.endswith("Upload a PDF, a Word document (DOCX) or plain text.")


def test_a_file_over_the_limit_is_refused_by_the_check() -> None:
    big = SimpleUploadedFile("notes.txt", b"a" * (MAX_NOTES_BYTES + 1))
    with pytest.raises(ValidationError) as exc:
        case_notes_content_type(big)
    assert exc.value.messages == [
        "Completed case notes: the file is larger than 10 MB. Upload a smaller file."
    ]


def test_the_handler_counts_the_bytes_read_not_the_declared_length() -> None:
    """A part that claims to be small is still dropped once its bytes pass the limit."""
    handler = SizeLimitUploadHandler(limit=10)
    handler.new_file("notes-file", "notes.txt", "text/plain", content_length=4)
    assert handler.receive_data_chunk(b"12345", 0) == b"12345"
    assert handler.receive_data_chunk(b"67890", 5) == b"67890"  # exactly at the limit
    with pytest.raises(SkipFile):
        handler.receive_data_chunk(b"1", 10)
    assert handler.too_large == {"notes-file"}


def test_the_handler_limits_the_files_of_a_request_together() -> None:
    handler = SizeLimitUploadHandler(limit=10)
    handler.new_file("first", "a.txt", "text/plain", content_length=None)
    assert handler.receive_data_chunk(b"123456", 0) == b"123456"
    handler.new_file("second", "b.txt", "text/plain", content_length=None)
    with pytest.raises(SkipFile):
        handler.receive_data_chunk(b"123456", 0)
    assert handler.too_large == {"second"}


# --- through HTTP ------------------------------------------------------------------------------


def _referred() -> tuple[Any, Client]:
    provider = ProviderFactory()
    case = open_case(provider=provider)
    client = Client()
    client.force_login(user_with_role(Role.PROVIDER, provider=provider))
    return case, client


def _post(client: Client, case: Any, name: str, content: bytes, content_type: str) -> Any:
    return client.post(
        f"/provider/cases/{case.reference}/notes/",
        {"notes-file": SimpleUploadedFile(name, content, content_type)},
    )


@pytest.mark.parametrize(
    ("name", "content", "declared", "stored"),
    [
        ("Notes final.pdf", PDF_BYTES, "application/pdf", PDF),
        ("Notes final.docx", docx_bytes(), "application/octet-stream", DOCX),
        ("../../Notes final.txt", TEXT_BYTES, "application/pdf", TEXT),
    ],
)
def test_the_provider_uploads_case_notes(
    media_root: Path, name: str, content: bytes, declared: str, stored: str
) -> None:
    case, client = _referred()
    response = _post(client, case, name, content, declared)
    assert (response.status_code, response["Location"]) == (
        302,
        f"/provider/cases/{case.reference}/#notes",
    )
    upload = CaseNotesUpload.objects.get(case=case)
    assert (upload.provider_id, upload.content_type, upload.original_name, upload.size) == (
        case.provider_id,
        stored,
        name.rsplit("/", 1)[-1],
        len(content),
    )
    # The name on disk is made by the service, never the provider's.
    assert upload.file.name == f"case-notes/2026/03/{case.reference}-{upload.event_id}"
    assert (media_root / upload.file.name).read_bytes() == content
    assert ("CM-NOTES-REVIEW", upload.event_id) in [(o[0], o[1]) for o in obligations_of(case)]
    page = client.get(f"/provider/cases/{case.reference}/")
    assert name.rsplit("/", 1)[-1] in page.content.decode()


def test_uploaded_notes_satisfy_the_notes_due_after_the_end_of_the_intervention() -> None:
    case, client = _referred()
    client.post(
        f"/provider/cases/{case.reference}/intervention-end/", {"end-at": "2026-03-02T10:00"}
    )
    _post(client, case, "notes.txt", TEXT_BYTES, "text/plain")
    upload = CaseNotesUpload.objects.get(case=case)
    (notes_upload,) = [o for o in obligations_of(case) if o[0] == "CM-NOTES-UPLOAD"]
    assert (notes_upload[5], notes_upload[6]) == (upload.event_id, "met")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "setup.pdf",
            EXE_BYTES,
            "Completed case notes: this file is application/x-msdownload (.exe).",
        ),
        ("scan.png", PNG_BYTES, "Completed case notes: this file is image/png (.png)."),
        (
            "notes.txt",
            b"a" * (MAX_NOTES_BYTES + 1),
            "Completed case notes: the file is larger than 10 MB.",
        ),
        (
            "notes.txt",
            b"Session one\x00Session two\n",
            "Completed case notes: this file is neither a recognised document nor plain UTF-8",
        ),
    ],
)
def test_refused_uploads_write_nothing_and_say_why(
    media_root: Path, name: str, content: bytes, message: str
) -> None:
    case, client = _referred()
    before = db_state()
    response = _post(client, case, name, content, "application/pdf")
    assert response.status_code == 400
    (error,) = response.context["notes_form"].errors["file"]
    assert error.startswith(message)
    assert db_state() == before
    assert list(media_root.rglob("*")) == []
    html = response.content.decode()
    assert 'id="id_notes-file_error"' in html
    assert 'aria-invalid="true"' in html


def test_a_file_over_the_limit_is_dropped_while_the_request_is_read() -> None:
    case, client = _referred()
    response = _post(client, case, "notes.txt", b"a" * (MAX_NOTES_BYTES + 1), "text/plain")
    assert response.wsgi_request.upload_too_large == {"notes-file"}
    assert "notes-file" not in response.wsgi_request.FILES


def test_exactly_ten_megabytes_is_accepted() -> None:
    case, client = _referred()
    response = _post(client, case, "notes.txt", b"a" * MAX_NOTES_BYTES, "text/plain")
    assert response.status_code == 302
    assert CaseNotesUpload.objects.get(case=case).size == MAX_NOTES_BYTES


def test_uploading_without_a_file_is_refused() -> None:
    case, client = _referred()
    response = client.post(f"/provider/cases/{case.reference}/notes/", {})
    assert response.status_code == 400
    assert response.context["notes_form"].errors == {"file": ["This field is required."]}


def test_the_upload_checks_the_csrf_token() -> None:
    case, _client = _referred()
    client = Client(enforce_csrf_checks=True)
    client.force_login(case.provider.memberships.get().user)
    before = db_state()
    response = _post(client, case, "notes.txt", TEXT_BYTES, "text/plain")
    assert response.status_code == 403
    assert db_state() == before
