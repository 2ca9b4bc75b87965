"""Checks on the completed case notes a provider uploads: at most 10 MB, counted while the
request is read, and a PDF, a Word document (DOCX) or plain UTF-8 text, told from the content
(never from the name or the browser's content type).

A file must also be only what it says (ADR 0011): a DOCX that unpacks to more than
MAX_DOCX_UNPACKED or packs tighter than MAX_DOCX_RATIO (a zip bomb), a file that is two formats
at once (a PDF or text that is also a zip archive, a text that a PDF reader would open), and
anything holding HTML (a page posing as text, or HTML in the first kilobyte, where browsers
sniff) are refused."""

from __future__ import annotations

import codecs
import re
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

# A real document's parts unpack to a few times its size (text XML packs 5 to 20 times, media
# not at all); zip bombs pack hundreds to millions of times. The ratio is judged only once the
# parts pass a megabyte, where a tiny document's high ratio means nothing.
MAX_DOCX_UNPACKED = 100 * 1024 * 1024
MAX_DOCX_RATIO = 100
MAX_DOCX_PARTS = 1000
_RATIO_FLOOR = 1024 * 1024
_CHUNK = 64 * 1024

# Browsers sniff HTML in the first 512 bytes (WHATWG MIME Sniffing); a kilobyte is a margin.
_BROWSER_SNIFF = 1024
# PDF readers take a header anywhere in the first kilobyte.
_PDF_HEADER = re.compile(rb"%PDF-")
# Tags that make a browser render or run something, written as tags: closed at once (`<body>`)
# or with an attribute (`<svg onload=...`). Notes may say "<link to plan>" or "score <10".
_HTML = re.compile(
    rb"<\s*(?:!doctype\s+html\b|(?:html|head|body|script|iframe|frame|frameset|svg|object"
    rb"|embed|style|meta|link|base|form|img|video|audio|math)(?:\s*/?>|[\s/]+[\w:-]+\s*=))",
    re.IGNORECASE,
)


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


def _docx_unpacks_too_far(file: UploadedFile) -> bool:
    """Whether the archive's parts, unpacked, pass MAX_DOCX_UNPACKED or MAX_DOCX_RATIO, or
    there are more than MAX_DOCX_PARTS. The sizes the archive declares are checked first; then
    every part is unpacked for real, counting (a part that holds more or less than it declares
    fails zipfile's CRC or length check), and stopping at the limit."""
    stored = max(file.size or 0, 1)
    file.seek(0)
    try:
        with zipfile.ZipFile(file) as archive:
            parts = archive.infolist()
            declared = sum(p.file_size for p in parts)
            if len(parts) > MAX_DOCX_PARTS or _out_of_bounds(declared, stored):
                return True
            unpacked = 0
            for part in parts:
                with archive.open(part) as member:
                    while chunk := member.read(_CHUNK):
                        unpacked += len(chunk)
                        if _out_of_bounds(unpacked, stored):
                            return True
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        return True  # cannot be unpacked as it claims: not a document to keep
    finally:
        file.seek(0)
    return False


def _out_of_bounds(unpacked: int, stored: int) -> bool:
    if unpacked > MAX_DOCX_UNPACKED:
        return True
    return unpacked > _RATIO_FLOOR and unpacked > MAX_DOCX_RATIO * stored


def _is_zip(file: UploadedFile) -> bool:
    """Whether a zip reader would open the file (it looks for the archive's end record)."""
    file.seek(0)
    try:
        return zipfile.is_zipfile(file)
    finally:
        file.seek(0)


def _holds_html(file: UploadedFile, *, whole: bool) -> bool:
    """Whether the file holds HTML tags: in its first kilobyte (where browsers sniff), or
    anywhere (`whole`, for text, which a viewer may render as a page)."""
    file.seek(0)
    try:
        if not whole:
            return bool(_HTML.search(file.read(_BROWSER_SNIFF)))
        tail = b""
        for chunk in file.chunks():
            # The last few bytes of the previous chunk go first: a tag may straddle two.
            if _HTML.search(tail + chunk):
                return True
            tail = chunk[-256:]
        return False
    finally:
        file.seek(0)


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
    (naming the field) for anything but a PDF, a DOCX or plain text, for a file over 10 MB,
    and for a zip bomb, a polyglot or HTML (module docstring)."""
    size = file.size or 0
    if size > MAX_NOTES_BYTES:
        raise ValidationError(too_large_message(label), code="too_large")
    if size == 0:
        raise ValidationError(f"{label}: the file is empty.", code="empty")
    head = _head(file)
    kind = filetype.guess(head)
    if kind is not None and kind.mime == PDF:
        _refuse_polyglot(file, label, "a PDF")
        return PDF
    if kind is not None and kind.mime == DOCX and _is_docx(file):
        if _docx_unpacks_too_far(file):
            raise ValidationError(
                f"{label}: this Word document unpacks to far more than a document does (more "
                f"than {MAX_DOCX_UNPACKED // (1024 * 1024)} MB, or over {MAX_DOCX_RATIO} times "
                "its size), as harmful archives do. Save it again from Word, or as a PDF, and "
                "upload that.",
                code="zip_bomb",
            )
        return DOCX
    # Text has no magic number, and some signatures are as short as two letters ("BM" is a
    # bitmap to `filetype`): a file that is valid UTF-8 throughout, without NUL bytes, is
    # text whatever its first letters look like. Binary formats never pass this.
    if _is_plain_text(file):
        if _PDF_HEADER.search(head[:_BROWSER_SNIFF]):
            raise ValidationError(
                f"{label}: this text file would also open as a PDF. Upload the PDF itself, or "
                "plain text.",
                code="polyglot",
            )
        _refuse_polyglot(file, label, "a text file")
        if _holds_html(file, whole=True):
            raise ValidationError(_html_message(label), code="html")
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


def _html_message(label: str) -> str:
    return (
        f"{label}: this file holds web-page code (HTML tags), which case notes may not. Upload "
        "a PDF, a Word document (DOCX) or plain text."
    )


def _refuse_polyglot(file: UploadedFile, label: str, what: str) -> None:
    """A PDF or a text file must be nothing else: not also a zip archive (which a zip reader
    opens from its end), and without HTML where a browser sniffs."""
    if _is_zip(file):
        raise ValidationError(
            f"{label}: this file is {what} and a zip archive at once. Upload a plain PDF, Word "
            "document (DOCX) or text file.",
            code="polyglot",
        )
    if _holds_html(file, whole=False):
        raise ValidationError(_html_message(label), code="html")
