"""Parsing inbound email with the standard library's `email` package (policy.default).

Django-free and side-effect free: bytes in, a `ParsedMessage` out. Nothing here raises on a
bad message: what could be read is returned, and `error` says why the message is malformed
(the service stores it and sends it to triage)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from datetime import datetime
from email import errors as email_errors
from email import policy
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr
from html.parser import HTMLParser

# Structural defects after which the parts of the message cannot be trusted.
_FATAL_DEFECTS: tuple[type[email_errors.MessageDefect], ...] = (
    email_errors.StartBoundaryNotFoundDefect,
    email_errors.MultipartInvariantViolationDefect,
    email_errors.NoBoundaryInMultipartDefect,
    email_errors.MissingHeaderBodySeparatorDefect,
)

# Charsets senders mislabel: browsers and mail clients read Latin-1 as Windows-1252 (WHATWG),
# which decodes the same bytes except that 0x80-0x9F become curly quotes, dashes and the euro.
_CHARSET_SUPERSETS = {
    "iso-8859-1": "cp1252",
    "latin-1": "cp1252",
    "latin1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "iso-8859-9": "cp1254",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "ks_c_5601-1987": "cp949",
    "shift_jis": "cp932",
}

AUTO_REPLY = "auto_reply"
BOUNCE = "bounce"

_NULL_SENDERS = ("mailer-daemon", "postmaster")


@dataclass(frozen=True)
class ParsedAttachment:
    """One attachment: its name as sent (sanitised), content type and bytes."""

    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class ParsedMessage:
    """What intake needs from one message. Addresses are lower-cased bare addresses."""

    message_id: str = ""
    subject: str = ""
    from_address: str = ""
    from_name: str = ""
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    delivered_to: tuple[str, ...] = ()
    date: datetime | None = None
    in_reply_to: str = ""
    references: tuple[str, ...] = ()
    body: str = ""
    body_is_html: bool = False
    attachments: tuple[ParsedAttachment, ...] = ()
    urgent: bool = False
    automatic: str = ""  # "", AUTO_REPLY or BOUNCE
    return_path: str | None = None  # None when absent; "" for the null sender <>
    defects: tuple[str, ...] = ()
    error: str = ""  # non-empty: the message is malformed

    @property
    def recipients(self) -> tuple[str, ...]:
        return self.delivered_to + self.to + self.cc


def parse_message(raw: bytes, *, envelope_sender: str | None = None) -> ParsedMessage:
    """Parse one message. `envelope_sender` is SMTP's MAIL FROM when known ("" for <>)."""
    try:
        msg = BytesParser(policy=policy.default).parsebytes(raw)
    except Exception as exc:  # the parser is lenient; this is a last resort
        return ParsedMessage(error=f"unreadable message: {exc}")
    assert isinstance(msg, EmailMessage)
    errors: list[str] = []
    defects = [type(d).__name__ for d in _all_defects(msg)]

    from_name, from_address = _address(msg, "from", errors)
    if not from_address:
        # A Sender header stands in for a missing or broken From.
        from_name, from_address = _address(msg, "sender", errors)
    if not from_address:
        errors.append("no sender address (From)")
    fatal = sorted({type(d).__name__ for d in _all_defects(msg) if isinstance(d, _FATAL_DEFECTS)})
    if fatal:
        errors.append("broken structure: " + ", ".join(fatal))

    body, body_is_html, attachments = _contents(msg, errors)
    return_path = _return_path(msg, envelope_sender)
    return ParsedMessage(
        message_id=normalise_message_id(_header(msg, "message-id", errors)),
        subject=_one_line(_header(msg, "subject", errors))[:500],
        from_address=from_address,
        from_name=from_name,
        to=_addresses(msg, "to", errors),
        cc=_addresses(msg, "cc", errors),
        delivered_to=_addresses(msg, "delivered-to", errors)
        + _addresses(msg, "x-original-to", errors),
        date=_date(msg),
        in_reply_to=normalise_message_id(_header(msg, "in-reply-to", errors)),
        references=tuple(
            normalise_message_id(m)
            for m in re.findall(r"<[^<>]+>", _header(msg, "references", errors))
        ),
        body=body,
        body_is_html=body_is_html,
        attachments=tuple(attachments),
        urgent=_urgent(msg, errors),
        automatic=_automatic(msg, from_address, return_path, errors),
        return_path=return_path,
        defects=tuple(defects),
        error="; ".join(errors),
    )


def normalise_message_id(value: str) -> str:
    """`<abc@host>` from any spelling: surrounding space, comments, missing brackets."""
    value = value.strip()
    found = re.search(r"<([^<>\s]+)>", value)
    if found:
        return f"<{found.group(1)}>"
    value = value.split()[0] if value.split() else ""
    return f"<{value}>" if value else ""


# --- headers -----------------------------------------------------------------------------------


def _header(msg: Message, name: str, errors: list[str]) -> str:
    try:
        value = msg.get(name)
    except Exception as exc:  # a header the policy cannot parse at all
        errors.append(f"unreadable {name} header: {exc}")
        return ""
    return str(value) if value is not None else ""


def _one_line(value: str) -> str:
    return " ".join(value.split())


def _address(msg: Message, name: str, errors: list[str]) -> tuple[str, str]:
    try:
        header = msg.get(name)
        addresses = getattr(header, "addresses", None)
        if addresses:
            first = addresses[0]
            if first.addr_spec and "@" in first.addr_spec:
                return _one_line(first.display_name), first.addr_spec.lower()
        if header is not None:
            display, address = parseaddr(str(header))
            if "@" in address:
                return _one_line(display), address.lower()
    except Exception as exc:
        errors.append(f"unreadable {name} header: {exc}")
    return "", ""


def _addresses(msg: Message, name: str, errors: list[str]) -> tuple[str, ...]:
    try:
        values = [str(v) for v in msg.get_all(name, [])]
    except Exception as exc:
        errors.append(f"unreadable {name} header: {exc}")
        return ()
    return tuple(a.lower() for _, a in getaddresses(values) if "@" in a)


def _date(msg: Message) -> datetime | None:
    try:
        header = msg.get("date")
        value = getattr(header, "datetime", None)
    except Exception:
        return None
    if value is None or value.tzinfo is None:
        return None
    return value  # type: ignore[no-any-return]


def _urgent(msg: Message, errors: list[str]) -> bool:
    importance = _header(msg, "importance", errors).strip().lower()
    x_priority = _header(msg, "x-priority", errors).strip()
    priority = _header(msg, "priority", errors).strip().lower()
    return importance == "high" or x_priority.startswith("1") or priority == "urgent"


def _return_path(msg: Message, envelope_sender: str | None) -> str | None:
    if envelope_sender is not None:
        return envelope_sender.strip().strip("<>").lower()
    value = msg.get("return-path")
    if value is None:
        return None
    return str(value).strip().strip("<>").strip().lower()


def _automatic(msg: Message, from_address: str, return_path: str | None, errors: list[str]) -> str:
    """BOUNCE for delivery status notifications, AUTO_REPLY for RFC 3834 and vendor auto
    replies, else ""."""
    content_type = msg.get_content_type()
    report_type = str(msg.get_param("report-type", "") or "").lower()
    if content_type == "multipart/report" and report_type == "delivery-status":
        return BOUNCE
    if any(part.get_content_type() == "message/delivery-status" for part in msg.walk()):
        return BOUNCE
    local = from_address.split("@")[0]
    if local in _NULL_SENDERS or (return_path == "" and local.startswith(_NULL_SENDERS)):
        return BOUNCE
    auto_submitted = _header(msg, "auto-submitted", errors).split(";")[0].strip().lower()
    if auto_submitted and auto_submitted != "no":
        return AUTO_REPLY
    if _header(msg, "x-autoreply", errors) or _header(msg, "x-autorespond", errors):
        return AUTO_REPLY
    if _header(msg, "precedence", errors).strip().lower() in {"auto_reply", "bulk", "junk"}:
        return AUTO_REPLY
    if return_path == "":
        # The null sender is kept for notifications (RFC 5321 4.5.5): nobody to answer.
        return AUTO_REPLY
    return ""


def _all_defects(msg: Message) -> list[email_errors.MessageDefect]:
    found: list[email_errors.MessageDefect] = []
    for part in msg.walk():
        found.extend(part.defects)
    return found


# --- body and attachments ----------------------------------------------------------------------


def _contents(msg: EmailMessage, errors: list[str]) -> tuple[str, bool, list[ParsedAttachment]]:
    """The text body (plain preferred, else text from the HTML), extra inline text parts
    appended, and every attachment."""
    try:
        body_part = msg.get_body(preferencelist=("plain", "html"))
    except Exception:
        body_part = None
    texts: list[str] = []
    body_is_html = False
    if body_part is not None:
        body_is_html = body_part.get_content_type() == "text/html"
        text = _text(body_part, errors)
        texts.append(html_to_text(text) if body_is_html else text)
    attachments: list[ParsedAttachment] = []
    for part, in_alternative in _leaves(msg, in_alternative=False):
        if part is body_part:
            continue
        if _is_attachment(part):
            attachments.append(_attachment(part, len(attachments) + 1))
            if (
                part.get_content_type() == "message/rfc822"
                and part.get_content_disposition() != "attachment"
            ):
                texts.append(_forwarded_text(part, errors))
        elif in_alternative:
            continue  # another rendering of the body
        elif part.get_content_type() == "text/plain":
            texts.append(_text(part, errors))
        elif part.get_content_type() == "text/html" and body_part is None:
            texts.append(html_to_text(_text(part, errors)))
            body_is_html = True
    body = "\n\n".join(t.strip("\n") for t in texts if t.strip())
    return body, body_is_html, attachments


def _leaves(part: Message, *, in_alternative: bool) -> list[tuple[Message, bool]]:
    """The non-multipart parts in order; a forwarded message (message/rfc822) is one leaf."""
    if part.get_content_maintype() == "multipart" and part.is_multipart():
        inside = in_alternative or part.get_content_type() == "multipart/alternative"
        leaves: list[tuple[Message, bool]] = []
        for sub in part.get_payload():
            if isinstance(sub, Message):
                leaves.extend(_leaves(sub, in_alternative=inside))
        return leaves
    return [(part, in_alternative)]


def _is_attachment(part: Message) -> bool:
    if part.get_content_disposition() == "attachment" or part.get_filename():
        return True
    return part.get_content_maintype() != "text" or part.get_content_type() not in {
        "text/plain",
        "text/html",
    }


def _attachment(part: Message, number: int) -> ParsedAttachment:
    content_type = part.get_content_type()
    inner = part.get_payload() if part.is_multipart() else None
    if content_type in {"message/rfc822", "message/global"} and isinstance(inner, list) and inner:
        first = inner[0]
        content = first.as_bytes() if isinstance(first, Message) else part.as_bytes()
        default_name = f"forwarded-message-{number}.eml"
    elif isinstance(inner, list):  # message/delivery-status: blocks of fields
        content = b"\n".join(block.as_bytes() for block in inner if isinstance(block, Message))
        default_name = f"attachment-{number}.txt"
    else:
        try:
            payload = part.get_payload(decode=True)
        except Exception:
            payload = None
        content = payload if isinstance(payload, bytes) else b""
        default_name = f"attachment-{number}{_extension(content_type)}"
    try:
        filename = part.get_filename() or ""
    except Exception:
        filename = ""
    return ParsedAttachment(
        filename=safe_filename(filename) or default_name,
        content_type=content_type,
        content=content,
    )


def _forwarded_text(part: Message, errors: list[str]) -> str:
    """An inline forwarded message as text: its main headers and its body."""
    inner = part.get_payload()
    if not isinstance(inner, list) or not inner or not isinstance(inner[0], EmailMessage):
        return ""
    forwarded = inner[0]
    lines = ["---------- Forwarded message ----------"]
    for name in ("from", "date", "subject", "to"):
        value = _one_line(_header(forwarded, name, errors))
        if value:
            lines.append(f"{name.title()}: {value}")
    body, _, _ = _contents(forwarded, errors)
    return "\n".join(lines) + "\n\n" + body


def _extension(content_type: str) -> str:
    return {
        "application/pdf": ".pdf",
        "text/plain": ".txt",
        "text/html": ".html",
        "image/png": ".png",
        "image/jpeg": ".jpg",
        "message/delivery-status": ".txt",
        "text/rfc822-headers": ".txt",
    }.get(content_type, ".bin")


def safe_filename(name: str) -> str:
    """A file name with no directory part, control characters or leading dots."""
    name = name.replace("\\", "/").split("/")[-1]
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip().lstrip(".")
    return name[:200]


def _text(part: Message, errors: list[str]) -> str:
    """The part's text in its declared charset, read as the superset senders really mean;
    undeclared or unknown charsets fall back to UTF-8, then Windows-1252."""
    try:
        payload = part.get_payload(decode=True)
    except Exception as exc:
        errors.append(f"undecodable part: {exc}")
        return ""
    if not isinstance(payload, bytes):
        return ""
    return _decode(payload, (part.get_content_charset() or "").lower())


def _decode(payload: bytes, charset: str) -> str:
    charset = _CHARSET_SUPERSETS.get(charset, charset)
    text: str | None = None
    if charset:
        try:
            text = payload.decode(charset)
        except LookupError:
            pass  # unknown charset name: guess below
        except UnicodeDecodeError:
            text = payload.decode(charset, errors="replace")
    if text is None:
        try:
            text = payload.decode("utf-8")
        except UnicodeDecodeError:
            text = payload.decode("cp1252", errors="replace")
    return text.replace("\r\n", "\n").replace("\r", "\n")


class _TextExtractor(HTMLParser):
    _BLOCKS = frozenset(
        {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table"}
    )
    _SKIP = frozenset({"script", "style", "head", "title"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._SKIP:
            self._skipping += 1
        elif tag in self._BLOCKS:
            self.parts.append("\n")
        if tag == "li":
            self.parts.append("- ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self._SKIP and self._skipping:
            self._skipping -= 1
        elif tag in self._BLOCKS and tag != "li":
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    """Readable plain text from an HTML body: tags dropped, blocks on their own lines."""
    extractor = _TextExtractor()
    try:
        extractor.feed(markup)
        extractor.close()
    except Exception:
        return html.unescape(re.sub(r"<[^>]+>", " ", markup))
    lines = [" ".join(line.split()) for line in "".join(extractor.parts).splitlines()]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()
