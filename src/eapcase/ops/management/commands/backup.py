"""`eapcase backup DEST`: write a verified backup of the database, the uploaded files and the
audit checkpoint to the new folder DEST (README, "Backup and restore")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from eapcase.core import clock
from eapcase.ops.backup import BackupError, backup_create


class Command(BaseCommand):
    help = "Back up the database, the uploaded files and the audit checkpoint to DEST."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("dest", type=Path, help="a new folder to write the backup to")

    def handle(self, *args: Any, **options: Any) -> None:
        verbosity = int(options["verbosity"])

        def say(text: str) -> None:
            if verbosity >= 2:
                self.stdout.write(text)

        try:
            report = backup_create(dest=options["dest"], now=clock.now(), say=say)
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        if verbosity >= 1:
            self.stdout.write(str(report))
