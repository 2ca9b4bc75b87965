"""Checks on the completed case notes a provider uploads: at most 10 MB, counted while the
request is read, and a PDF, a Word document (DOCX) or plain UTF-8 text, told from the content
(never from the name or the browser's content type)."""

from __future__ import annotations

import codecs
import zipfile
from typing import Any

import filetype
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, SkipFile

MAX_NOTES_BYTES = 10 * 1024 * 1024
MAX_NOTES_LABEL = "10 MB"

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TEXT = "text/plain"
ACCEPTED = {PDF: "PDF", DOCX: "Word document (DOCX)", TEXT: "plain text"}

FIELD_LABEL = "Completed case notes"
_SNIFF_BYTES = 8192


def too_large_message(label: str = FIELD_LABEL) -> str:
    return f"{label}: the file is larger than {MAX_NOTES_LABEL}. Upload a smaller file."


class SizeLimitUploadHandler(FileUploadHandler):
    """Counts the bytes of the uploaded files as the request is read (what arrives, not what
    a Content-Length header claims) and drops a file the moment the request's files together
    pass the limit: the rest of it is read and thrown away, nothing of it is kept. The names
    of the dropped fields are left on `request.upload_too_large`."""

    def __init__(self, request: Any = None, limit: int = MAX_NOTES_BYTES) -> None:
        super().__init__(request)
        self.limit = limit
        self.received = 0
        self.too_large: set[str] = set()
        if request is not None:
            request.upload_too_large = self.too_large

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            self.too_large.add(str(self.field_name))
            raise SkipFile()
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None  # the next handlers keep the file


def _head(file: UploadedFile) -> bytes:
    file.seek(0)
    head = file.read(_SNIFF_BYTES)
    file.seek(0)
    return bytes(head)


def _is_docx(file: UploadedFile) -> bool:
    """A real Word document: a zip archive that holds the main document part."""
    file.seek(0)
    try:
        with zipfile.ZipFile(file) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return False
    finally:
        file.seek(0)
    return "[Content_Types].xml" in names and "word/document.xml" in names


def _is_plain_text(file: UploadedFile) -> bool:
    """Valid UTF-8 from the first byte to the last, without NUL bytes."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    file.seek(0)
    try:
        for chunk in file.chunks():
            if b"\x00" in chunk:
                return False
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    finally:
        file.seek(0)
    return True


def case_notes_content_type(file: UploadedFile, *, label: str = FIELD_LABEL) -> str:
    """The content type of an uploaded case-notes file, told from its content; ValidationError
    (naming the field) for anything but a PDF, a DOCX or plain text, or a file over 10 MB."""
    size = file.size or 0
    if size > MAX_NOTES_BYTES:
        raise ValidationError(too_large_message(label), code="too_large")
    if size == 0:
        raise ValidationError(f"{label}: the file is empty.", code="empty")
    kind = filetype.guess(_head(file))
    if kind is not None and kind.mime == PDF:
        return PDF
    if kind is not None and kind.mime == DOCX and _is_docx(file):
        return DOCX
    # Text has no magic number, and some signatures are as short as two letters ("BM" is a
    # bitmap to `filetype`): a file that is valid UTF-8 throughout, without NUL bytes, is
    # text whatever its first letters look like. Binary formats never pass this.
    if _is_plain_text(file):
        return TEXT
    if kind is None:
        found = "this file is neither a recognised document nor plain UTF-8 text"
    elif kind.mime == DOCX:
        found = "this Word document is damaged (its document part cannot be read)"
    else:
        found = f"this file is {kind.mime} (.{kind.extension})"
    raise ValidationError(
        f"{label}: {found}. Upload a PDF, a Word document (DOCX) or plain text.", code="type"
    )
