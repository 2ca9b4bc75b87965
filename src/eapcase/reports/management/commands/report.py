"""`eapcase report compliance --from DATE --to DATE [--partner ID] --format csv|json`: the
compliance report of every Partner (or one) for a period, by rule, Partner, client
organisation, clinician and month, on standard output. The command is run by an operator of
the installation, so it sees every Partner, as WPO does."""

from __future__ import annotations

from datetime import date
from typing import Any, TextIO, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser

from eapcase.core import clock
from eapcase.organisations.models import Partner
from eapcase.reports import selectors, services, tables
from eapcase.reports.forms import MAX_DAYS


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"not a date (YYYY-MM-DD): {text!r}") from exc


class Command(BaseCommand):
    help = "Print a report (compliance) for a period as CSV or JSON."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("report", choices=["compliance"])
        parser.add_argument("--from", dest="date_from", required=True, metavar="DATE")
        parser.add_argument("--to", dest="date_to", required=True, metavar="DATE")
        parser.add_argument("--partner", metavar="ID", help="a Partner's id or code")
        parser.add_argument("--format", choices=["csv", "json"], default="csv")

    def handle(self, *args: Any, **options: Any) -> None:
        start, end = _day(options["date_from"]), _day(options["date_to"])
        if end < start:
            raise CommandError("--to is before --from")
        if (end - start).days > MAX_DAYS:
            raise CommandError(f"a report covers at most {MAX_DAYS} days")
        partner_id = None
        if options["partner"]:
            raw = options["partner"]
            found = Partner.objects.filter(code=raw).first()
            if found is None and raw.isdigit():
                found = Partner.objects.filter(pk=int(raw)).first()
            if found is None:
                raise CommandError(f"no such Partner: {raw}")
            partner_id = found.pk
        now = clock.now()
        services.facts_catch_up(now=now)
        query = selectors.ReportQuery(
            date_from=start,
            date_to=end,
            partner_id=partner_id,
            by=tuple(selectors.DIMENSIONS),
        )
        scope = selectors.Scope(user=None, partner_ids=None)
        records = tables.figure_records(
            selectors.compliance_figures(scope=scope, query=query, now=now), query.by
        )
        out = cast(TextIO, self.stdout)
        if options["format"] == "csv":
            tables.write_csv(out, records)
            return
        findings = selectors.finding_counts(scope=scope, query=query)
        tables.write_json(
            out,
            {
                "from": start.isoformat(),
                "to": end.isoformat(),
                "partner": options["partner"],
                "now": now.isoformat(),
                "obligations": records,
                "findings": tables.finding_records(findings),
            },
        )
