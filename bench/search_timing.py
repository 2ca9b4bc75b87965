"""How long search takes on a benchmark database (ADR 0039): each kind of query, as a Partner
clinician and as WPO, through `cases.search` (the page's two queries), median and worst of K
runs after one warm-up.

    .venv/bin/python bench/search_timing.py --database-url sqlite:///var/bench.sqlite3 [-k 7]

The database is one `eapcase bench generate` made (participants "Participant 0000042",
phone "+44 7700 000042", email "p42@example.org").
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from typing import Any


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("-k", type=int, default=7)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "eapcase.config.settings")
    import django

    django.setup()
    from eapcase.accounts.choices import Role
    from eapcase.accounts.models import Membership
    from eapcase.cases.models import Case, Participant
    from eapcase.cases.search import (
        matching_participants,
        read_query,
        search_cases,
        search_participants,
    )
    from eapcase.core.lists import window_page
    from eapcase.perf import database

    database.use(args.database_url)
    partner_user = Membership.objects.filter(role=Role.PARTNER_CLINICIAN).first()
    wpo = Membership.objects.filter(role=Role.WPO_CLINICIAN).first()
    case = Case.objects.order_by("-pk").first()
    assert partner_user is not None and case is not None, "not a benchmark database"
    person = Participant.objects.get(pk=case.participant_id)
    number = person.full_name.split()[-1]
    queries = {
        "reference, exact": case.reference.lower(),
        "reference, prefix": case.reference[:-2],
        "phone, national form": "0" + person.phone_digits.removeprefix("44"),
        "phone, international": person.phone,
        "email": person.email.upper(),
        "name, partial": f"ticipant {number[-5:]}",
    }
    print(f"{Case.objects.count():,} cases, {Participant.objects.count():,} participants")
    users: list[tuple[str, Any]] = [("Partner clinician", partner_user.user)]
    if wpo is not None:
        users.append(("WPO clinician", wpo.user))
    for who, user in users:
        for label, text in queries.items():
            reading = read_query(text)
            timings = []
            for _ in range(args.k + 1):
                start = time.perf_counter()
                matched = matching_participants(reading)
                found = window_page(search_cases(user, reading, matched), 1, 25)
                window_page(search_participants(user, matched), 1, 25)
                timings.append((time.perf_counter() - start) * 1000)
            timings = timings[1:]
            print(
                f"{who:18} {label:22} {found.count:6} cases  "
                f"median {statistics.median(timings):7.1f} ms  worst {max(timings):7.1f} ms"
            )


if __name__ == "__main__":
    main()
