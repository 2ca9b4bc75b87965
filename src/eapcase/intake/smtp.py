"""The SMTP intake server (aiosmtpd): the mail system relays the Partners' mailboxes to it.

Each message is stored through `message_ingest` in a worker thread (Django's database access
is synchronous), and the SMTP reply says whether it was: 250 once committed, 451 (try again
later) when storing failed, 552 for a message over the size limit, announced in EHLO as SIZE."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Callable, Sequence
from typing import Any, AnyStr

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from eapcase.core import clock
from eapcase.intake.choices import Source
from eapcase.intake.models import MAX_MESSAGE_BYTES
from eapcase.intake.services import message_ingest

log = logging.getLogger(__name__)

TOO_BIG = "552 5.3.4 Message too big"
TRY_LATER = "451 4.3.0 Message not stored, try again later"

# ingest(raw, mail_from, rcpt_tos) -> a short id of what was stored
Ingest = Callable[[bytes, str, Sequence[str]], str]
# Runs a call somewhere Django may use the database and gives its future.
Submit = Callable[[Callable[[], str]], "concurrent.futures.Future[str]"]


def ingest_message(raw: bytes, mail_from: str, rcpt_tos: Sequence[str]) -> str:
    """Store and file the message, received now."""
    message = message_ingest(
        raw=raw,
        now=clock.now(),
        source=Source.SMTP,
        mail_from=mail_from,
        rcpt_tos=list(rcpt_tos),
    )
    return f"{message.pk}{' (duplicate)' if message.duplicate else ''}"


def _in_worker(call: Callable[[], str]) -> str:
    """Run a call in a worker thread with fresh database connections, and let go of them
    afterwards as Django's request cycle would (the thread may then idle for long)."""
    from django.db import close_old_connections

    close_old_connections()
    try:
        return call()
    finally:
        close_old_connections()


class IntakeHandler:
    """aiosmtpd handler: every recipient is accepted (the relay decides which mailboxes come
    here); DATA is stored through `ingest`, run by `submit` away from the event loop."""

    def __init__(
        self,
        *,
        ingest: Ingest = ingest_message,
        submit: Submit | None = None,
        max_bytes: int = MAX_MESSAGE_BYTES,
    ) -> None:
        self.ingest = ingest
        self.max_bytes = max_bytes
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        if submit is None:
            self._executor = concurrent.futures.ThreadPoolExecutor(
                max_workers=4, thread_name_prefix="intake"
            )
            executor = self._executor

            def submit(call: Callable[[], str]) -> concurrent.futures.Future[str]:
                return executor.submit(_in_worker, call)

        self.submit = submit

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        if len(raw) > self.max_bytes:
            return TOO_BIG
        mail_from = envelope.mail_from or ""
        rcpt_tos = list(envelope.rcpt_tos)
        try:
            future = self.submit(lambda: self.ingest(raw, mail_from, rcpt_tos))
            stored = await asyncio.wrap_future(future)
        except Exception:
            log.exception("an inbound message could not be stored")
            return TRY_LATER
        return f"250 2.0.0 OK stored as {stored}"

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)


class IntakeSMTP(SMTP):
    """aiosmtpd's server with the enhanced status code for a message over the size limit."""

    async def push(self, status: AnyStr) -> None:
        text = status.decode() if isinstance(status, bytes) else status
        if text.startswith("552 Error"):
            text = TOO_BIG
        await super().push(text)


class IntakeController(Controller):
    """A threaded aiosmtpd controller serving IntakeSMTP."""

    def factory(self) -> SMTP:
        return IntakeSMTP(self.handler, **self.SMTP_kwargs)


def intake_controller(
    handler: IntakeHandler, *, host: str = "127.0.0.1", port: int = 2525, **kwargs: Any
) -> IntakeController:
    """The controller of the intake server (started with .start(), stopped with .stop())."""
    return IntakeController(
        handler,
        hostname=host,
        port=port,
        data_size_limit=handler.max_bytes,
        enable_SMTPUTF8=True,
        decode_data=False,
        ident="eapcase intake",
        **kwargs,
    )
