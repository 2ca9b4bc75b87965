"""Search: the cases and participants a user may see, found by case reference, participant name,
phone, email or employee number (docs/adr/0039-search.md).

One box takes any of these; `read_query` decides what the text can be (a reference, a phone
number, an email address, an employee number, a name, often several) and each reading becomes a
condition on an indexed search key (core.searchkeys, filled when a participant is saved), never
a scan of the raw columns. Results start from the access gate: `cases_visible_to` for cases,
`participants_visible_to` for participants, so a Partner finds only its own, whatever is typed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet

from eapcase.accounts.standing import standing_of
from eapcase.cases.access import cases_visible_to, participants_visible_to
from eapcase.cases.models import Case, Participant
from eapcase.core import searchkeys

#: Shorter queries find too much to be useful and cannot use the name index.
MIN_LENGTH = 2
MAX_LENGTH = 100
#: Participants matched at most before the access gate; a broader query is asked to narrow.
MATCH_LIMIT = 500


@dataclass(frozen=True)
class Reading:
    """What a query was read as: the plain words for the page, and the conditions."""

    kinds: list[str] = field(default_factory=list)
    reference: Q | None = None  # on cases
    participant: list[Q] = field(default_factory=list)  # on participants, one per reading

    @property
    def empty(self) -> bool:
        return self.reference is None and not self.participant


def search_allowed(user: Any) -> bool:
    """Whoever reads case records: WPO clinicians and Partner staff. Providers (their portal)
    and WPO admins without a clinical role (no case content) have no search."""
    standing = standing_of(user)
    return standing.is_wpo or bool(standing.partner_roles)


_REFERENCE = re.compile(r"[A-Za-z]{1,6}-\d*|[A-Za-z]{1,6}\d+")


def _has_digit(text: str) -> bool:
    return any(c.isdigit() for c in text)


def read_query(text: str) -> Reading:
    query = " ".join(text.split())[:MAX_LENGTH]
    if len(query) < MIN_LENGTH:
        return Reading()
    kinds: list[str] = []
    reference: Q | None = None
    people: list[Q] = []
    if " " not in query:
        # References are stored upper-case ("EAP-10148"): exact or the start of one, which the
        # unique index on reference serves (a range, which SQLite's LIKE cannot use; on
        # PostgreSQL Django's pattern-ops index serves LIKE, and a range would follow the
        # collation, which may order punctuation differently).
        ref = query.upper()
        if connection.vendor == "postgresql":
            reference = Q(reference__startswith=ref)
        else:
            reference = Q(reference__gte=ref, reference__lt=ref + "\U0010ffff")
        kinds.append("case reference")
    if "@" in query:
        people.append(Q(email_key=searchkeys.email_key(query)))
        kinds.append("email")
    if searchkeys.looks_like_phone(query):
        tail, keys = searchkeys.phone_candidates(query)
        if tail:
            # The tail finds the rows through its index; the whole key decides: the same
            # number, or one with a country code the query lacks, or the other way round.
            same = Q(phone_digits__in=keys) | Q(phone_digits__endswith=keys[0])
            people.append(Q(phone_tail=tail) & same)
        else:
            people.append(Q(phone_tail=keys[0], phone_digits=keys[0]))
        kinds.append("phone")
    employee = searchkeys.employee_key(query)
    if employee and len(employee) <= 40 and "@" not in query and _has_digit(query):
        people.append(Q(employee_key=employee))
        kinds.append("employee number")
    words = searchkeys.name_key(query).split()
    # A reference ("EAP-10148", "eap-101") is not also read as a name: a name is the one
    # reading no index narrows on SQLite.
    if any(sum(c.isalpha() for c in w) >= 2 for w in words) and not (
        "@" in query or _REFERENCE.fullmatch(query)
    ):
        every_word = Q()
        for word in words:
            every_word &= Q(name_key__contains=word)
        people.append(every_word)
        kinds.append("name")
    return Reading(kinds=kinds, reference=reference, participant=people)


def matching_participants(reading: Reading) -> list[int]:
    """The ids of the participants any reading matches, whoever may see them: one query per
    reading, each through its own index (SQLite will not combine an OR of them). At most
    `MATCH_LIMIT` + 1: more means the query is too broad to list."""
    found: set[int] = set()
    for condition in reading.participant:
        rows = Participant.objects.filter(condition).values_list("pk", flat=True)
        found.update(rows[: MATCH_LIMIT + 1 - len(found)])
        if len(found) > MATCH_LIMIT:
            break
    return sorted(found)


def search_cases(user: Any, reading: Reading, participants: list[int]) -> QuerySet[Case]:
    """The cases the user may see whose reference matches or whose participant is one of
    `participants` (`matching_participants`), open ones first, then the most recently opened."""
    if reading.empty:
        return Case.objects.none()
    match = Q(participant_id__in=participants)
    if reading.reference is not None:
        match |= reading.reference
    # The matching cases first (each reading through its own index), then the access gate:
    # filtering by the gate first would read every case of the user's Partners.
    matching = Case.objects.filter(match).values("pk")
    return (
        cases_visible_to(user)
        .filter(pk__in=matching)
        .select_related("participant", "partner")
        .order_by("-status", "-opened_at", "pk")
    )


def search_participants(user: Any, participants: list[int]) -> QuerySet[Participant]:
    """Of `participants`, those the user may find (with a case at their Partner, or registered
    by it; every one for WPO), by name."""
    return (
        participants_visible_to(user, among=participants)
        .select_related("client")
        .order_by("full_name", "pk")
    )
