"""`eapcase restore SRC`: load the backup in SRC into an EMPTY database and MEDIA_ROOT, then
verify the audit chain against the backup's checkpoint (README, "Backup and restore")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from eapcase.ops.backup import BackupError, backup_restore


class Command(BaseCommand):
    help = "Restore a backup made by `eapcase backup` into an empty database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("src", type=Path, help="the backup's folder")

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity = int(options["verbosity"])

        def say(text: str) -> None:
            if verbosity >= 2:
                self.stdout.write(text)

        try:
            report = backup_restore(source=options["src"], say=say)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        if verbosity >= 1:
            self.stdout.write(str(report))
