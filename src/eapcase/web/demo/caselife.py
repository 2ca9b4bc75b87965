"""The demo's start of a case's life, written through the same services as /cases/new/ and
/work/unallocated/ (compliance.opening.case_intake, cases.services.case_assign): WPO's routing
table, new cases waiting for allocation, a high-risk case at the top of a clinician's work, a
routed management referral (outside the policy), a returning participant's second episode and
a likely duplicate pair of participant records. Invented people only."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from eapcase.cases.choices import CaseStatus
from eapcase.cases.models import Case, Participant
from eapcase.cases.services import case_assign
from eapcase.compliance.opening import NewParticipant, case_intake, participant_register
from eapcase.organisations.models import PartnerRoute
from eapcase.web.demo.reference import PARTNERS, Reference

# How many of the demo's cases this module opens (the planner opens the rest).
EXTRA_CASES = 5


@dataclass(frozen=True)
class Caller:
    name: str
    born: date
    phone: str
    email: str
    region: str
    language: str = "English"


WAITING = (
    Caller("Morgan Ellis", date(1988, 4, 17), "+44 20 7946 0871", "", "England"),
    Caller("Priya Natarajan", date(1979, 11, 2), "", "priya.natarajan@example.org", "England"),
)
HIGH_RISK = Caller("Callum Reid", date(1993, 6, 9), "+44 20 7946 0872", "", "Scotland")
MANAGEMENT = Caller("Dana Whitfield", date(1970, 2, 23), "+44 20 7946 0873", "", "England")
SPARE = Caller("Alex Rowe", date(1990, 1, 12), "+44 20 7946 0875", "", "England")
# The same person registered twice (same name and date of birth), once by phone, once by email.
DUPLICATES = (
    Caller("Jamie Fletcher", date(1985, 9, 30), "+44 20 7946 0874", "", "England"),
    Caller("Jamie Fletcher", date(1985, 9, 30), "", "jamie.fletcher@example.net", "England"),
)


def routes_create(ref: Reference) -> None:
    """WPO's routing table: each Partner takes its country's new cases."""
    for spec in PARTNERS:
        PartnerRoute.objects.get_or_create(
            client=None,
            country=spec.country,
            region="",
            defaults={"partner": ref.partners[spec.code]},
        )


def _new(caller: Caller, ref: Reference) -> NewParticipant:
    return NewParticipant(
        full_name=caller.name,
        client=ref.clients["kestrel"],
        date_of_birth=caller.born,
        phone=caller.phone,
        email=caller.email,
        language=caller.language,
        country="GB",
        region=caller.region,
        preferences={"voicemail_ok": bool(caller.phone), "email_consent": bool(caller.email)},
    )


def caselife_load(ref: Reference, now: datetime) -> list[Case]:
    """The cases and participants above, opened in the hours before the reference time."""
    routes_create(ref)
    wpo, lead, clinician = ref.users["wpo"], ref.users["lead-uk"], ref.users["partner-uk"]
    opened: list[Case] = []
    for hours, caller in zip((5, 2), WAITING, strict=True):
        opened.append(
            case_intake(
                actor=wpo,
                now=now,
                at=now - timedelta(hours=hours),
                new_participant=_new(caller, ref),
                referral="self",
                case_type="individual",
                presenting_issue="Work stress and poor sleep",
                callback=True,
            )
        )
    risky = case_intake(
        actor=wpo,
        now=now,
        at=now - timedelta(hours=3),
        new_participant=_new(HIGH_RISK, ref),
        referral="self",
        case_type="individual",
        presenting_issue="Low mood after a bereavement",
        risk_level="high",
        risk_reason="Disclosed thoughts of self-harm; no plan; safety plan agreed on the call.",
        callback=True,
    )
    case_assign(
        actor=lead,
        case=risky,
        clinician=clinician,
        now=now - timedelta(hours=2, minutes=45),
        reason="High risk: allocated at once to the duty clinician",
    )
    opened.append(risky)
    opened.append(
        case_intake(
            actor=wpo,
            now=now,
            at=now - timedelta(hours=6),
            new_participant=_new(MANAGEMENT, ref),
            referral="management_referral",
            case_type="assessment_only",
            presenting_issue="Manager referral after repeated absence",
            callback=True,
        )
    )
    # A returning participant's second episode (in a load too small to have one, a third
    # new caller instead, so the load opens exactly EXTRA_CASES cases).
    returning = _returning(ref)
    opened.append(
        case_intake(
            actor=wpo,
            now=now,
            at=now - timedelta(hours=4),
            participant=returning,
            new_participant=None if returning is not None else _new(SPARE, ref),
            referral="self",
            case_type="individual",
            presenting_issue="Returning: anxiety about a restructure",
            callback=True,
        )
    )
    for caller in DUPLICATES:
        participant_register(actor=wpo, new=_new(caller, ref), now=now - timedelta(days=3))
    return opened


def _returning(ref: Reference) -> Participant | None:
    """A P-UK participant whose only case has closed: their second episode."""
    closed = (
        Participant.objects.filter(
            cases__partner=ref.partners["P-UK"], cases__status=CaseStatus.CLOSED
        )
        .exclude(cases__status=CaseStatus.OPEN)
        .exclude(client__isnull=True)
        .order_by("pk")
        .first()
    )
    return closed
