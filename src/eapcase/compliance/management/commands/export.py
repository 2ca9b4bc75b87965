"""`eapcase export [--case REF]`: write case histories as JSON Lines to standard output."""

from __future__ import annotations

from typing import Any, TextIO, cast

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from eapcase.cases.models import Case
from eapcase.cases.reads import cli_read_record
from eapcase.compliance.history_io import export_history


class Command(BaseCommand):
    help = "Export case histories in the history format (JSON Lines) to standard output."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--case",
            action="append",
            metavar="REF",
            help="a case reference; repeat for several (default: every case)",
        )
        parser.add_argument("--output", "-o", help="write to this file instead")
        parser.add_argument(
            "--fhir",
            action="store_true",
            help="write FHIR R4 Bundles, one per case and line, instead (eapcase.reports)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["fhir"]:
            # By name: the reports app sits above this one and is not imported from here.
            call_command(
                "export_fhir", case=options["case"], output=options["output"], stdout=self.stdout
            )
            return
        cases = Case.objects.select_related("partner").order_by("pk")
        if options["case"]:
            cases = cases.filter(reference__in=options["case"])
            missing = set(options["case"]) - set(cases.values_list("reference", flat=True))
            if missing:
                raise CommandError(f"no such case: {', '.join(sorted(missing))}")
        # An export is a read of case data: one audit row naming what was exported (ADR 0035).
        cli_read_record(
            action="export.history",
            data={"cases": sorted(options["case"] or []) or "all", "count": cases.count()},
        )
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8") as out:
                export_history(out, cases=cases.iterator())
        else:
            # OutputWrapper writes lines that already end in a newline unchanged.
            export_history(cast(TextIO, self.stdout), cases=cases.iterator())
