"""The SMTP intake server on the loopback: a real aiosmtpd server in its thread, a real
smtplib client in another, and the message's storing run in the test's own thread (on the
test's database connection and transaction, so no committed rows outlive the test: the
append-only triggers refuse the DELETE a transactional flush would need)."""

from __future__ import annotations

import concurrent.futures
import queue
import smtplib
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import time_machine

from eapcase.intake.models import MAX_MESSAGE_BYTES, InboundMessage
from eapcase.intake.smtp import IntakeHandler, ingest_message, intake_controller
from eapcase.outreach.models import Email
from tests.factories import obligation, utc
from tests.intake.conftest import MAILBOX, World, eml

pytestmark = pytest.mark.django_db

NOW = utc(2, 10)


class TestThreadSubmit:
    """Runs the handler's calls in the test's thread, which pumps them while it waits."""

    __test__ = False

    def __init__(self) -> None:
        self.calls: queue.Queue[tuple[Callable[[], str], concurrent.futures.Future[str]]] = (
            queue.Queue()
        )

    def __call__(self, call: Callable[[], str]) -> concurrent.futures.Future[str]:
        future: concurrent.futures.Future[str] = concurrent.futures.Future()
        self.calls.put((call, future))
        return future

    def pump_until(self, done: concurrent.futures.Future[Any], timeout: float = 30) -> Any:
        """Serve calls until `done` finishes; its result (or exception)."""
        waited = 0.0
        while not done.done():
            try:
                call, future = self.calls.get(timeout=0.05)
            except queue.Empty:
                waited += 0.05
                if waited > timeout:
                    raise TimeoutError("the SMTP exchange did not finish") from None
                continue
            try:
                future.set_result(call())
            except Exception as exc:
                future.set_exception(exc)
        return done.result()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def server() -> Iterator[tuple[int, TestThreadSubmit]]:
    """The intake server on a free loopback port (64 KiB limit for the size test)."""
    submit = TestThreadSubmit()
    handler = IntakeHandler(ingest=ingest_message, submit=submit)
    port = _free_port()
    controller = intake_controller(handler, host="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, submit
    finally:
        controller.stop()


@pytest.fixture
def client_thread() -> Iterator[concurrent.futures.ThreadPoolExecutor]:
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        yield pool


def _send(port: int, raw: bytes, to: list[str]) -> dict[str, tuple[int, bytes]]:
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as smtp:
        return smtp.sendmail("relay@mx.example.test", to, raw)


def test_a_message_sent_to_the_server_appears_on_its_case_with_its_deadlines(
    world: World,
    server: tuple[int, TestThreadSubmit],
    client_thread: concurrent.futures.ThreadPoolExecutor,
) -> None:
    port, submit = server
    with time_machine.travel(NOW, tick=False):
        refused = submit.pump_until(
            client_thread.submit(_send, port, eml("plain_participant.eml"), [MAILBOX])
        )
    assert refused == {}
    message = InboundMessage.objects.get()
    email = Email.objects.get()
    assert (message.source, message.mail_from, message.rcpt_tos, message.status) == (
        "smtp",
        "relay@mx.example.test",
        [MAILBOX],
        "linked",
    )
    assert bytes(message.raw) == eml("plain_participant.eml")
    assert (email.case_id, email.received_at, email.sender_kind) == (
        world.case.pk,
        NOW,
        "participant",
    )
    ack = obligation(world.case, "CM-EMAIL-ACK", email.event_id)
    action = obligation(world.case, "CM-EMAIL-ACTION", email.event_id)
    assert (ack.due_at, action.due_at) == (utc(3, 10), utc(3, 10))


def test_the_same_message_relayed_three_times_is_one_email(
    world: World,
    server: tuple[int, TestThreadSubmit],
    client_thread: concurrent.futures.ThreadPoolExecutor,
) -> None:
    port, submit = server
    with time_machine.travel(NOW, tick=False):
        for name in ("duplicate_a.eml", "duplicate_b.eml", "duplicate_a.eml"):
            assert submit.pump_until(client_thread.submit(_send, port, eml(name), [MAILBOX])) == {}
    assert (InboundMessage.objects.count(), Email.objects.count()) == (1, 1)


def _send_without_size(port: int, raw: bytes) -> tuple[int, bytes]:
    """MAIL FROM without the SIZE parameter, so that the limit is met during DATA."""
    with smtplib.SMTP("127.0.0.1", port, timeout=60) as smtp:
        smtp.ehlo()
        smtp.mail("relay@mx.example.test")
        smtp.rcpt(MAILBOX)
        return smtp.data(raw)  # the reply to the end of DATA


def test_a_message_over_25_mb_is_refused_during_data_with_552(
    world: World,
    server: tuple[int, TestThreadSubmit],
    client_thread: concurrent.futures.ThreadPoolExecutor,
) -> None:
    port, submit = server
    line = b"x" * 998 + b"\r\n"
    raw = eml("plain_participant.eml") + line * (MAX_MESSAGE_BYTES // len(line) + 1)
    assert len(raw) > MAX_MESSAGE_BYTES
    result = submit.pump_until(client_thread.submit(_send_without_size, port, raw), timeout=120)
    assert result == (552, b"5.3.4 Message too big")
    assert InboundMessage.objects.count() == 0


def test_a_message_announced_over_the_limit_is_refused_at_mail_from(
    world: World,
    server: tuple[int, TestThreadSubmit],
    client_thread: concurrent.futures.ThreadPoolExecutor,
) -> None:
    """smtplib announces the size (SIZE=) because the server advertises its limit."""
    port, submit = server
    raw = b"x" * (MAX_MESSAGE_BYTES + 1)
    with pytest.raises(smtplib.SMTPSenderRefused) as refused:
        submit.pump_until(client_thread.submit(_send, port, raw, [MAILBOX]), timeout=60)
    assert (refused.value.smtp_code, refused.value.smtp_error) == (552, b"5.3.4 Message too big")


def test_a_failure_to_store_asks_the_relay_to_try_again(
    world: World, client_thread: concurrent.futures.ThreadPoolExecutor
) -> None:
    def broken(raw: bytes, mail_from: str, rcpt_tos: Any) -> str:
        raise RuntimeError("disk full")

    submit = TestThreadSubmit()
    port = _free_port()
    controller = intake_controller(
        IntakeHandler(ingest=broken, submit=submit), host="127.0.0.1", port=port
    )
    controller.start()
    try:
        with pytest.raises(smtplib.SMTPDataError) as failed:
            submit.pump_until(
                client_thread.submit(_send, port, eml("plain_participant.eml"), [MAILBOX])
            )
    finally:
        controller.stop()
    assert failed.value.smtp_code == 451
