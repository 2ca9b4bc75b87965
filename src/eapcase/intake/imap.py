"""Polling a real mailbox over IMAP (imap-tools): unseen messages are fetched without marking
them, stored through `message_ingest`, and marked seen only once that transaction committed,
so a crash in between means one more delivery, which deduplication absorbs.

Settings come from the environment: EAPCASE_IMAP_HOST, EAPCASE_IMAP_PORT, EAPCASE_IMAP_USER,
EAPCASE_IMAP_PASSWORD, EAPCASE_IMAP_FOLDER (INBOX), EAPCASE_IMAP_SECURITY (`ssl`, the
default: IMAPS; `starttls`; or `plain`, which sends the password in clear and is only for a
server on the loopback), EAPCASE_IMAP_ADDRESS (optional: the mailbox's own address, used as
the envelope recipient to find its Partner when the headers do not name it)."""

from __future__ import annotations

import logging
import os
import re
import ssl
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from imap_tools import AND, MailBox, MailBoxStartTls, MailBoxUnencrypted, MailMessageFlags

from eapcase.core.errors import ServiceError
from eapcase.intake.choices import Source
from eapcase.intake.services import message_ingest

log = logging.getLogger(__name__)

SECURITY = ("ssl", "starttls", "plain")
_DEFAULT_PORTS = {"ssl": 993, "starttls": 143, "plain": 143}
_INTERNALDATE = re.compile(rb'INTERNALDATE "([^"]+)"')
_MONTHS = {
    m: i + 1
    for i, m in enumerate(
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    )
}


@dataclass(frozen=True)
class ImapSettings:
    host: str
    user: str
    password: str = field(repr=False)
    port: int = 993
    folder: str = "INBOX"
    security: str = "ssl"
    address: str = ""


@dataclass
class PollResult:
    fetched: int = 0
    stored: int = 0
    duplicates: int = 0
    failed: list[str] = field(default_factory=list)


def settings_from_env(
    environ: Mapping[str, str] | None = None, *, security: str | None = None
) -> ImapSettings:
    """The IMAP settings from the environment; `security` overrides EAPCASE_IMAP_SECURITY."""
    env = os.environ if environ is None else environ
    missing = [
        name
        for name in ("EAPCASE_IMAP_HOST", "EAPCASE_IMAP_USER", "EAPCASE_IMAP_PASSWORD")
        if not env.get(name)
    ]
    if missing:
        raise ServiceError(f"set {', '.join(missing)}", field="environment")
    security = (security or env.get("EAPCASE_IMAP_SECURITY") or "ssl").lower()
    if security not in SECURITY:
        raise ServiceError(f"must be one of {', '.join(SECURITY)}", field="security")
    port = env.get("EAPCASE_IMAP_PORT") or str(_DEFAULT_PORTS[security])
    if not port.isdigit():
        raise ServiceError("must be a number", field="EAPCASE_IMAP_PORT")
    return ImapSettings(
        host=env["EAPCASE_IMAP_HOST"],
        user=env["EAPCASE_IMAP_USER"],
        password=env["EAPCASE_IMAP_PASSWORD"],
        port=int(port),
        folder=env.get("EAPCASE_IMAP_FOLDER") or "INBOX",
        security=security,
        address=env.get("EAPCASE_IMAP_ADDRESS", ""),
    )


def mailbox_open(settings: ImapSettings, *, ssl_context: ssl.SSLContext | None = None) -> Any:
    """An imap-tools mailbox for the settings (not yet logged in). TLS verifies the server's
    certificate against the system's trust store unless a context is given."""
    if settings.security == "ssl":
        context = ssl_context or ssl.create_default_context()
        return MailBox(settings.host, settings.port, ssl_context=context, timeout=60)
    if settings.security == "starttls":
        context = ssl_context or ssl.create_default_context()
        return MailBoxStartTls(settings.host, settings.port, ssl_context=context, timeout=60)
    return MailBoxUnencrypted(settings.host, settings.port, timeout=60)


def poll_once(
    settings: ImapSettings,
    *,
    now: Callable[[], datetime],
    ssl_context: ssl.SSLContext | None = None,
) -> PollResult:
    """Fetch every unseen message of the folder, store each, mark the stored ones seen."""
    result = PollResult()
    mailbox = mailbox_open(settings, ssl_context=ssl_context)
    with mailbox.login(settings.user, settings.password, initial_folder=settings.folder):
        for uid in mailbox.uids(AND(seen=False)):
            raw, internaldate = _fetch(mailbox, uid)
            if raw is None:
                continue
            result.fetched += 1
            try:
                # message_ingest commits before it returns (it is the outermost transaction
                # here), so the flag below is set only on mail that is safely stored.
                message = message_ingest(
                    raw=raw,
                    now=now(),
                    source=Source.IMAP,
                    rcpt_tos=[settings.address] if settings.address else [],
                    server_received_at=internaldate,
                )
            except ServiceError as exc:
                log.warning("IMAP message %s left unseen: %s", uid, exc)
                result.failed.append(f"{uid}: {exc}")
                continue
            mailbox.flag(uid, MailMessageFlags.SEEN, True)
            if message.duplicate:
                result.duplicates += 1
            else:
                result.stored += 1
    return result


def _fetch(mailbox: Any, uid: str) -> tuple[bytes | None, datetime | None]:
    """The exact bytes of one message (without setting \\Seen) and its INTERNALDATE."""
    status, data = mailbox.client.uid("FETCH", uid, "(BODY.PEEK[] INTERNALDATE)")
    if status != "OK":
        return None, None
    raw: bytes | None = None
    internaldate: datetime | None = None
    for item in data:
        pieces = [item[0]] if isinstance(item, tuple) else [item]
        if isinstance(item, tuple):
            raw = item[1]
        for piece in pieces:
            if isinstance(piece, bytes):
                found = _INTERNALDATE.search(piece)
                if found:
                    internaldate = internaldate_parse(found.group(1).decode())
    return raw, internaldate


def internaldate_parse(value: str) -> datetime | None:
    """`30-Nov-2026 13:18:36 +0000` (RFC 3501 date-time) as an aware datetime."""
    found = re.fullmatch(
        r"\s*(\d{1,2})-([A-Za-z]{3})-(\d{4}) (\d{2}):(\d{2}):(\d{2}) ([+-]\d{4})", value
    )
    if not found or found.group(2).title() not in _MONTHS:
        return None
    day, month, year, hh, mm, ss, zone = found.groups()
    return datetime.strptime(
        f"{year}-{_MONTHS[month.title()]:02d}-{int(day):02d} {hh}:{mm}:{ss} {zone}",
        "%Y-%m-%d %H:%M:%S %z",
    )
