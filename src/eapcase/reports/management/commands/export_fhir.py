"""`eapcase export --fhir [--case REF]` lands here (the export command hands over by name, so
that the compliance app does not import the reports): one FHIR R4 Bundle per case, a JSON
document per line (NDJSON, as FHIR bulk data writes them)."""

from __future__ import annotations

import json
from typing import Any, TextIO, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser

from eapcase.cases.models import Case
from eapcase.cases.reads import cli_read_record
from eapcase.reports.fhir import fhir_cases


def write_bundles(out: TextIO, cases: Any) -> None:
    for bundle in fhir_cases(cases):
        out.write(json.dumps(bundle, ensure_ascii=False, separators=(",", ":")) + "\n")


class Command(BaseCommand):
    help = "Export cases as FHIR R4 Bundles (one JSON document per line); see `export --fhir`."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--case", action="append", metavar="REF")
        parser.add_argument("--output", "-o")

    def handle(self, *args: Any, **options: Any) -> None:
        cases = Case.objects.select_related("partner", "participant").order_by("pk")
        if options["case"]:
            cases = cases.filter(reference__in=options["case"])
            missing = set(options["case"]) - set(cases.values_list("reference", flat=True))
            if missing:
                raise CommandError(f"no such case: {', '.join(sorted(missing))}")
        # An export is a read of case data: one audit row naming what was exported (ADR 0035).
        cli_read_record(
            action="export.fhir",
            data={"cases": sorted(options["case"] or []) or "all", "count": cases.count()},
        )
        if options["output"]:
            with open(options["output"], "w", encoding="utf-8") as out:
                write_bundles(out, cases.iterator(chunk_size=200))
        else:
            write_bundles(cast(TextIO, self.stdout), cases.iterator(chunk_size=200))
