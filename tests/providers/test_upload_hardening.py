"""The upload checker refuses files that are more than they say (issue #13 item 8c, ADR 0011):
a DOCX that unpacks too far (a zip bomb, by declared size, by ratio, or by lying about its
sizes), a polyglot (a PDF that is also a zip archive, a text file a PDF reader would open, a
PDF with HTML where browsers sniff), and HTML posing as text. Every file is generated here."""

from __future__ import annotations

import io
import os
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from eapcase.providers.uploads import (
    DOCX,
    MAX_DOCX_PARTS,
    MAX_DOCX_UNPACKED,
    PDF,
    TEXT,
    case_notes_content_type,
)
from tests.providers.test_uploads import PDF_BYTES, docx_bytes


def _with_parts(parts: dict[str, bytes], *, lie: dict[str, int] | None = None) -> bytes:
    """The minimal Word document with more parts; `lie` makes the archive's directory declare
    another unpacked size for a part than it really has."""
    buffer = io.BytesIO(docx_bytes())
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
        for name, size in (lie or {}).items():
            archive.getinfo(name).file_size = size  # written to the central directory on close
    return buffer.getvalue()


def _refusal(content: bytes, name: str = "notes") -> ValidationError:
    with pytest.raises(ValidationError) as raised:
        case_notes_content_type(SimpleUploadedFile(name, content))
    return raised.value


def _accepts(content: bytes) -> str:
    return case_notes_content_type(SimpleUploadedFile("notes", content))


# --- zip bombs ---------------------------------------------------------------------------------


def test_a_docx_packed_over_the_ratio_is_a_zip_bomb() -> None:
    bomb = _with_parts({"word/media/pad.bin": b"\x00" * (20 * 1024 * 1024)})
    assert len(bomb) < 100 * 1024  # twenty megabytes of zeros pack into kilobytes
    refusal = _refusal(bomb)
    assert refusal.code == "zip_bomb"
    assert refusal.messages == [
        "Completed case notes: this Word document unpacks to far more than a document does "
        "(more than 100 MB, or over 100 times its size), as harmful archives do. Save it again "
        "from Word, or as a PDF, and upload that."
    ]


def test_a_docx_unpacking_past_the_size_limit_under_the_ratio_is_a_zip_bomb() -> None:
    noise = os.urandom(1200 * 1024)  # does not pack: keeps the ratio under 100
    zeros = b"\x00" * (MAX_DOCX_UNPACKED - len(noise) + 1024)
    bomb = _with_parts({"word/media/a.bin": noise, "word/media/b.bin": zeros})
    unpacked = len(noise) + len(zeros)
    assert unpacked > MAX_DOCX_UNPACKED and unpacked < 100 * len(bomb)
    assert _refusal(bomb).code == "zip_bomb"


def test_a_docx_lying_about_its_sizes_is_refused() -> None:
    """The directory says 1 KB; the part really unpacks to 5 MB: unpacking for real finds it."""
    liar = _with_parts(
        {"word/media/pad.bin": b"\x00" * (5 * 1024 * 1024)}, lie={"word/media/pad.bin": 1024}
    )
    assert _refusal(liar).code == "zip_bomb"


def test_a_docx_of_too_many_parts_is_refused() -> None:
    crowded = _with_parts({f"word/media/{i}.xml": b"<a/>" for i in range(MAX_DOCX_PARTS)})
    assert _refusal(crowded).code == "zip_bomb"


def test_a_real_sized_docx_with_media_and_much_text_is_accepted() -> None:
    text = ("<w:p><w:r><w:t>Session notes, goals reviewed.</w:t></w:r></w:p>" * 40_000).encode()
    document = _with_parts(
        {"word/media/photo.jpg": os.urandom(2 * 1024 * 1024), "word/x.xml": text}
    )
    assert _accepts(document) == DOCX


# --- polyglots ---------------------------------------------------------------------------------


def _zip_of(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(name, data)
    return buffer.getvalue()


def test_a_pdf_that_is_also_a_zip_archive_is_refused() -> None:
    polyglot = PDF_BYTES + _zip_of("payload.html", b"<script>alert(1)</script>")
    refusal = _refusal(polyglot, "notes.pdf")
    assert (refusal.code, refusal.messages) == (
        "polyglot",
        [
            "Completed case notes: this file is a PDF and a zip archive at once. Upload a plain "
            "PDF, Word document (DOCX) or text file."
        ],
    )


def test_a_pdf_behind_an_html_prefix_is_refused() -> None:
    """Not a PDF to us (no header at byte 0), but a PDF reader finds the header in the first
    kilobyte and a browser sniffs the HTML: two formats in one."""
    polyglot = b"<html><body><script>fetch('/x')</script></body></html>\n" + PDF_BYTES
    refusal = _refusal(polyglot, "notes.pdf")
    assert (refusal.code, refusal.messages) == (
        "polyglot",
        [
            "Completed case notes: this text file would also open as a PDF. Upload the PDF "
            "itself, or plain text."
        ],
    )


def test_a_pdf_with_html_where_browsers_sniff_is_refused() -> None:
    polyglot = PDF_BYTES[:9] + b"%<html><script>alert(1)</script>\n" + PDF_BYTES[9:]
    assert _refusal(polyglot, "notes.pdf").code == "html"


def test_a_plain_pdf_is_still_a_pdf() -> None:
    assert _accepts(PDF_BYTES) == PDF


# --- HTML posing as text -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        b"<!DOCTYPE html><html><body>Notes</body></html>\n",
        b"  \n<HTML>\n<p>Notes</p>\n",
        b"<svg onload=alert(1)>\n",
        b"Notes " * 2000 + b"\n<script src=//evil.example/x.js></script>\n",  # past the sniff
        b"\xef\xbb\xbf<iframe src=x></iframe>",
    ],
    ids=["doctype", "html-after-space", "svg", "script-late", "bom-iframe"],
)
def test_html_posing_as_text_is_refused(content: bytes) -> None:
    refusal = _refusal(content, "notes.txt")
    assert (refusal.code, refusal.messages) == (
        "html",
        [
            "Completed case notes: this file holds web-page code (HTML tags), which case notes "
            "may not. Upload a PDF, a Word document (DOCX) or plain text."
        ],
    )


@pytest.mark.parametrize(
    "content",
    [
        b"PHQ-9 score <10, GAD-7 >5; plan: review.\n",
        b"Use <name> placeholders; a<b and b>c.\n",
        b"Goal: <= 2 missed sessions; <3 in total; see <link to plan>.\n",
    ],
)
def test_text_with_angle_brackets_is_still_text(content: bytes) -> None:
    assert _accepts(content) == TEXT
