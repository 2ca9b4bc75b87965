"""`eapcase intake smtp|imap|eml`: receive inbound mail (the work is in intake.services)."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from eapcase.core import clock
from eapcase.core.errors import ServiceError
from eapcase.intake.choices import Source
from eapcase.intake.imap import poll_once, settings_from_env
from eapcase.intake.services import message_ingest
from eapcase.intake.smtp import IntakeHandler, intake_controller


class Command(BaseCommand):
    help = "Receive inbound mail: an SMTP server, an IMAP poller, or .eml files."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="mode", required=True)
        smtp = sub.add_parser("smtp", help="Run the SMTP intake server (Ctrl-C stops).")
        smtp.add_argument("--host", default="127.0.0.1")
        smtp.add_argument("--port", type=int, default=2525)
        imap = sub.add_parser(
            "imap", help="Poll the mailbox of EAPCASE_IMAP_HOST/USER/PASSWORD (IMAPS)."
        )
        imap.add_argument("--once", action="store_true", help="Poll once and exit.")
        imap.add_argument("--interval", type=int, default=60, help="Seconds between polls.")
        imap.add_argument(
            "--security",
            choices=["ssl", "starttls", "plain"],
            default=None,
            help="Overrides EAPCASE_IMAP_SECURITY (default ssl); plain is for a loopback "
            "server only.",
        )
        eml = sub.add_parser("eml", help="Import saved messages (.eml files).")
        eml.add_argument("files", nargs="+", metavar="FILE")

    def handle(self, *args: Any, **options: Any) -> None:
        mode = options["mode"]
        if mode == "smtp":
            self._smtp(options["host"], options["port"])
        elif mode == "imap":
            self._imap(
                once=options["once"], interval=options["interval"], security=options["security"]
            )
        else:
            self._eml([Path(f) for f in options["files"]])

    def _smtp(self, host: str, port: int) -> None:
        handler = IntakeHandler()
        controller = intake_controller(handler, host=host, port=port)
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        controller.start()
        self.stdout.write(f"SMTP intake listening on {host}:{port} (Ctrl-C stops)")
        try:
            while not stop.wait(1):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            controller.stop()
            handler.close()

    def _imap(self, *, once: bool, interval: int, security: str | None) -> None:
        try:
            settings = settings_from_env(security=security)
        except ServiceError as exc:
            raise CommandError(str(exc)) from exc
        while True:
            try:
                result = poll_once(settings, now=clock.now)
            except Exception as exc:
                if once:
                    raise CommandError(f"IMAP poll failed: {exc}") from exc
                self.stderr.write(f"IMAP poll failed: {exc}")
            else:
                self.stdout.write(
                    f"{result.fetched} fetched, {result.stored} stored, "
                    f"{result.duplicates} duplicates, {len(result.failed)} failed"
                )
                for failure in result.failed:
                    self.stderr.write(f"  {failure}")
                if once:
                    if result.failed:
                        raise CommandError("some messages were not stored")
                    return
            time.sleep(max(interval, 1))

    def _eml(self, paths: list[Path]) -> None:
        failed = 0
        for path in paths:
            try:
                raw = path.read_bytes()
                message = message_ingest(raw=raw, now=clock.now(), source=Source.EML)
            except (OSError, ServiceError) as exc:
                failed += 1
                self.stdout.write(f"{path}: failed: {exc}")
                continue
            what = "duplicate of" if message.duplicate else "stored as"
            where = message.case.reference if message.case is not None else "no case"
            detail = message.triage_reason if message.status == "triage" else where
            self.stdout.write(
                f"{path}: {what} message {message.pk}, {message.get_status_display()} ({detail})"
            )
        if failed:
            raise CommandError(f"{failed} of {len(paths)} files failed")
