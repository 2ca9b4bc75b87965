"""`eapcase audit checkpoint`: print the head of the audit chain (row count and hash) as one
line of JSON, to keep somewhere the database's owner cannot rewrite (another machine, a
ticket, paper). `eapcase audit verify [--checkpoint FILE]`: walk the chain and the case
history, name the first row or event that does not hold, and with a checkpoint also find a
chain cut short or emptied. Exit status 0 when intact, 1 when not (ADR 0035)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from eapcase.audit.services import audit_head
from eapcase.ops.trail import checkpoint_read, trail_verify


class Command(BaseCommand):
    help = "Print the audit chain's checkpoint, or verify the chain and the case history."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="what", required=True)
        sub.add_parser("checkpoint", help="Print the chain's head (count and hash) as JSON.")
        verify = sub.add_parser("verify", help="Verify the chain and the case history.")
        verify.add_argument(
            "--checkpoint",
            type=Path,
            help="A file holding what `eapcase audit checkpoint` printed earlier.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["what"] == "checkpoint":
            self.stdout.write(json.dumps(audit_head().as_json()))
            return
        checkpoint = None
        if options.get("checkpoint") is not None:
            try:
                checkpoint = checkpoint_read(options["checkpoint"])
            except ValueError as exc:
                raise CommandError(str(exc)) from exc
        report = trail_verify(checkpoint)
        if not report.intact:
            raise CommandError(
                f"the audit trail is broken: {report.problem}. {report.checked} rows before it "
                "hold. Keep the database as it is and compare with the newest good backup."
            )
        against = (
            f", and ends where the checkpoint ({checkpoint.count} rows) says" if checkpoint else ""
        )
        self.stdout.write(
            f"audit trail intact: {report.checked} rows, the case history as they recorded it"
            f"{against}"
        )
