"""Search: the cases and participants a user may see, found by case reference, participant name,
phone, email or employee number (docs/adr/0039-search.md).

One box takes any of these; `read_query` decides what the text can be (a reference, a phone
number, an email address, an employee number, a name, often several) and each reading becomes a
condition on an indexed search key (core.searchkeys, filled when a participant is saved), never
a scan of the raw columns. Results start from the access gate: `cases_visible_to` for cases,
`participants_visible_to` for participants, so a Partner finds only its own, whatever is typed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet

from eapcase.accounts.standing import standing_of
from eapcase.cases.access import cases_visible_to, participants_visible_to
from eapcase.cases.models import Case, Participant
from eapcase.core import searchkeys

#: Shorter queries find too much to be useful and cannot use the name index.
MIN_LENGTH = 2
MAX_LENGTH = 100


@dataclass(frozen=True)
class Reading:
    """What a query was read as: the plain words for the page, and the conditions."""

    kinds: list[str] = field(default_factory=list)
    reference: Q | None = None  # on cases
    participant: Q | None = None  # on participants

    @property
    def empty(self) -> bool:
        return self.reference is None and self.participant is None


def search_allowed(user: Any) -> bool:
    """Whoever reads case records: WPO clinicians and Partner staff. Providers (their portal)
    and WPO admins without a clinical role (no case content) have no search."""
    standing = standing_of(user)
    return standing.is_wpo or bool(standing.partner_roles)


def _or(left: Q | None, right: Q) -> Q:
    return right if left is None else left | right


def read_query(text: str) -> Reading:
    query = " ".join(text.split())[:MAX_LENGTH]
    if len(query) < MIN_LENGTH:
        return Reading()
    kinds: list[str] = []
    reference: Q | None = None
    people: Q | None = None
    if " " not in query:
        # References are stored upper-case ("EAP-10148"): exact or the start of one, which the
        # unique index on reference serves.
        ref = query.upper()
        reference = Q(reference=ref) | Q(reference__startswith=ref)
        kinds.append("case reference")
    if "@" in query:
        people = _or(people, Q(email_key=searchkeys.email_key(query)))
        kinds.append("email")
    if searchkeys.looks_like_phone(query):
        tail, keys = searchkeys.phone_candidates(query)
        if tail:
            # The tail finds the rows through its index; the whole key decides: the same
            # number, or one with a country code the query lacks, or the other way round.
            same = Q(phone_digits__in=keys) | Q(phone_digits__endswith=keys[0])
            people = _or(people, Q(phone_tail=tail) & same)
        else:
            people = _or(people, Q(phone_tail=keys[0], phone_digits=keys[0]))
        kinds.append("phone")
    employee = searchkeys.employee_key(query)
    if employee and len(employee) <= 40 and "@" not in query:
        people = _or(people, Q(employee_key=employee))
        kinds.append("employee number")
    words = searchkeys.name_key(query).split()
    if words and any(c.isalpha() for c in "".join(words)) and "@" not in query:
        every_word = Q()
        for word in words:
            every_word &= Q(name_key__contains=word)
        people = _or(people, every_word)
        kinds.append("name")
    return Reading(kinds=kinds, reference=reference, participant=people)


def search_cases(user: Any, reading: Reading) -> QuerySet[Case]:
    """The cases the user may see whose reference matches or whose participant does, open ones
    first, then the most recently opened."""
    if reading.empty:
        return Case.objects.none()
    match = Q(pk__in=[])
    if reading.reference is not None:
        match |= reading.reference
    if reading.participant is not None:
        found = Participant.objects.filter(reading.participant).values("pk")
        match |= Q(participant_id__in=found)
    return (
        cases_visible_to(user)
        .filter(match)
        .select_related("participant", "partner")
        .order_by("-status", "-opened_at", "pk")
    )


def search_participants(user: Any, reading: Reading) -> QuerySet[Participant]:
    """The participants the user may find (with a case at their Partner, or registered by it;
    every one for WPO) who match, by name."""
    if reading.participant is None:
        return Participant.objects.none()
    return (
        participants_visible_to(user)
        .filter(reading.participant)
        .select_related("client")
        .order_by("full_name", "pk")
    )
