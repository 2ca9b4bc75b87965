"""`eapcase import FILE`: validate a whole case history, then write it through the services case
by case in short transactions; run again after a stop, it skips what it already wrote."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from eapcase.compliance.history_io import ImportFailed, import_history
from eapcase.core import clock
from eapcase.policy.events import parse_instant


class Command(BaseCommand):
    help = (
        "Import a case history (JSON Lines). Nothing is written unless every line is valid; "
        "run again after a stop, it skips the cases and events already written."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="path of the history, or - for standard input")
        parser.add_argument(
            "--now",
            help="instant to record the import at (ISO 8601 with offset); "
            "events after it are refused. Default: the current time.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        now: datetime = parse_instant(options["now"]) if options["now"] else clock.now()
        path = options["file"]
        try:
            if path == "-":
                lines = sys.stdin.read().splitlines()
            else:
                with open(path, encoding="utf-8") as fh:
                    lines = fh.read().splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"cannot read {path}: {exc}") from exc
        events = sum(1 for line in lines if line.strip())
        with tqdm(
            total=events,
            unit="line",
            file=sys.stderr,
            disable=events < 2000 or not sys.stderr.isatty(),
        ) as bar:
            try:
                result = import_history(lines, now=now, progress=bar.update)
            except ImportFailed as exc:
                for error in exc.errors:
                    self.stderr.write(error)
                raise CommandError(
                    f"{len(exc.errors)} bad line(s) in {path}; nothing was imported"
                ) from exc
        self.stdout.write(
            f"imported {result.cases} case(s) with {result.events} event(s)"
            f" and {result.partners} partner line(s)"
            + (f"; {result.skipped} line(s) were already written" if result.skipped else "")
        )
