"""Reference data of the demo network (operator, Partners and their calendars, clients with
benefits, access lines and procedures, practices and providers) and its users.

Reference data is admin-managed, so it is written with the ORM; everything about cases goes
through the services (see `execute`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from eapcase.accounts.choices import Role
from eapcase.accounts.models import Membership, User
from eapcase.organisations.choices import (
    BenefitPeriod,
    BenefitUnit,
    CheckinChannels,
    CheckinTrigger,
    WindowZone,
)
from eapcase.organisations.models import (
    AccessLine,
    Benefit,
    ClientOrganisation,
    ClientProcedure,
    Operator,
    Partner,
    PartnerClosedDate,
    Provider,
    ProviderPractice,
)
from eapcase.web.demo.clock import PartnerClock

DEMO_URL = "http://127.0.0.1:8000/"


@dataclass(frozen=True)
class PartnerSpec:
    code: str
    name: str
    timezone: str
    country: str
    subdivision: str
    opening: time
    closing: time
    email: str
    # (days relative to the reference date, reason): a past and a coming closure.
    closures: tuple[tuple[int, str], ...]
    share: float  # of the cases


PARTNERS = (
    PartnerSpec(
        "P-UK",
        "Thameside Wellbeing (England)",
        "Europe/London",
        "GB",
        "ENG",
        time(9, 0),
        time(17, 0),
        "cases@thameside.example",
        ((-44, "Staff training day"), (23, "Office move")),
        0.45,
    ),
    PartnerSpec(
        "P-NY",
        "Hudson Counselling Network (New York)",
        "America/New_York",
        "US",
        "NY",
        time(9, 0),
        time(17, 0),
        "cases@hudson-counselling.example",
        ((-61, "Clinical team away day"),),
        0.30,
    ),
    PartnerSpec(
        "P-NSW",
        "Harbourside EAP Services (New South Wales)",
        "Australia/Sydney",
        "AU",
        "NSW",
        time(8, 30),
        time(16, 30),
        "cases@harbourside-eap.example",
        ((-30, "Staff wellbeing day"),),
        0.25,
    ),
)


@dataclass(frozen=True)
class ClientSpec:
    code: str
    name: str
    sessions: int
    unit: str
    period: str
    lines: dict[str, str]
    checkins: bool


CLIENTS = (
    ClientSpec(
        "kestrel",
        "Kestrel Freight Group",
        6,
        BenefitUnit.PER_ISSUE,
        BenefitPeriod.CONTRACT_YEAR,
        {"GB": "+44 20 7946 0018", "US": "+1 212 555 0147", "AU": "+61 2 5550 1234"},
        checkins=True,
    ),
    ClientSpec(
        "alder-bay",
        "Alder Bay Software",
        8,
        BenefitUnit.PER_PERSON,
        BenefitPeriod.CALENDAR_YEAR,
        {"GB": "+44 20 7946 0925", "US": "+1 646 555 0182", "AU": "+61 2 5550 7788"},
        checkins=False,
    ),
)

CHECKIN_INSTRUCTIONS = (
    "Kestrel Freight Group asks for one clinical check-in 10 business days after a case "
    "closes, to confirm the participant connected with any onward referral. Make a single "
    "attempt: by phone, or by email only where the participant has consented to email. Do not "
    "report anything about the participant to the employer."
)
KESTREL_V1 = (
    "Kestrel Freight Group: sessions are counted per presenting issue per contract year "
    "(1 April). Drivers on shift may only take calls before 08:00 or after 18:00."
)
ALDER_BAY_INSTRUCTIONS = (
    "Alder Bay Software: 8 sessions per person per calendar year. Offer video sessions first; "
    "many staff work remotely. Manager consultations go to WPO, not the Partner."
)

# (code, name, practice index, partner codes, country, subdivision, modalities)
PROVIDERS = (
    ("prov-1", "Dr Helen Ashby", 0, ("P-UK",), "GB", "ENG", "CBT, EMDR"),
    ("prov-2", "Mark Pellow", 0, ("P-UK",), "GB", "ENG", "Person-centred, couples"),
    ("prov-3", "Sarah Quinlan", 0, ("P-UK",), "GB", "ENG", "Family therapy, young people"),
    ("prov-4", "Dr Kevin Moreau", 1, ("P-NY",), "US", "NY", "CBT, trauma-focused"),
    ("prov-5", "Rachel Stein", 1, ("P-NY",), "US", "NY", "Couples, solution-focused"),
    ("prov-6", "Andre Boyd", 1, ("P-NY",), "US", "NY", "Substance use, motivational"),
    ("prov-7", "Dr Fiona McKay", 1, ("P-NSW",), "AU", "NSW", "CBT, ACT"),
    ("prov-8", "Sam Patel", 1, ("P-NSW",), "AU", "NSW", "Family, adolescents"),
)
PRACTICES = (
    ("Riverside Counselling Partnership", "GB", "+44 20 7946 0400", "office@riverside.example"),
    ("Meridian Therapy Network", "US", "+1 212 555 0110", "network@meridian-therapy.example"),
)
# Which provider gets a Partner's referrals (prov-1 takes a good share of England's).
PROVIDER_WEIGHTS = {
    "P-UK": (("prov-1", 0.5), ("prov-2", 0.3), ("prov-3", 0.2)),
    "P-NY": (("prov-4", 0.4), ("prov-5", 0.35), ("prov-6", 0.25)),
    "P-NSW": (("prov-7", 0.55), ("prov-8", 0.45)),
}


@dataclass(frozen=True)
class UserSpec:
    username: str
    first: str
    last: str
    role: str
    partner: str | None = None
    provider: str | None = None
    login: bool = False  # a demo login (gets the demo password)
    weight: float = 0.0  # share of the Partner's cases assigned to this clinician


USERS = (
    UserSpec("wpo", "Hannah", "Price", Role.WPO_CLINICIAN, login=True),
    UserSpec("wpo-admin", "George", "Lyle", Role.WPO_ADMIN, login=True),
    UserSpec("wpo-nrossi", "Nadia", "Rossi", Role.WPO_CLINICIAN),
    UserSpec("wpo-bcarter", "Ben", "Carter", Role.WPO_CLINICIAN),
    UserSpec(
        "partner-uk", "Eleanor", "Marsh", Role.PARTNER_CLINICIAN, "P-UK", login=True, weight=0.40
    ),
    UserSpec("lead-uk", "Daniel", "Okoro", Role.PARTNER_LEAD, "P-UK", login=True, weight=0.12),
    UserSpec("uk-sbrennan", "Sophie", "Brennan", Role.PARTNER_CLINICIAN, "P-UK", weight=0.24),
    UserSpec("uk-rmehta", "Rahul", "Mehta", Role.PARTNER_CLINICIAN, "P-UK", weight=0.24),
    UserSpec(
        "partner-ny", "Maria", "Delgado", Role.PARTNER_CLINICIAN, "P-NY", login=True, weight=0.45
    ),
    UserSpec("ny-jkessler", "Jordan", "Kessler", Role.PARTNER_CLINICIAN, "P-NY", weight=0.30),
    UserSpec("ny-agrant", "Aisha", "Grant", Role.PARTNER_CLINICIAN, "P-NY", weight=0.25),
    UserSpec(
        "partner-nsw", "Liam", "Fraser", Role.PARTNER_CLINICIAN, "P-NSW", login=True, weight=0.45
    ),
    UserSpec("nsw-cnguyen", "Chloe", "Nguyen", Role.PARTNER_CLINICIAN, "P-NSW", weight=0.30),
    UserSpec("nsw-twhitaker", "Tom", "Whitaker", Role.PARTNER_CLINICIAN, "P-NSW", weight=0.25),
    UserSpec("provider-1", "Helen", "Ashby", Role.PROVIDER, provider="prov-1", login=True),
    *(
        UserSpec(f"provider-{n}", name.split()[-2], name.split()[-1], Role.PROVIDER, provider=code)
        for code, name, *_rest in PROVIDERS[1:]
        for n in [int(code.split("-")[1])]
    ),
)
LOGINS = tuple(u for u in USERS if u.login)
INTAKE = ("wpo", "wpo-nrossi", "wpo-bcarter")


def partner_clock(spec: PartnerSpec, today: date) -> PartnerClock:
    return PartnerClock(
        timezone=spec.timezone,
        country=spec.country,
        subdivision=spec.subdivision,
        opening=spec.opening,
        closing=spec.closing,
        closed=frozenset(closed_dates(spec, today)),
    )


def closed_dates(spec: PartnerSpec, today: date) -> list[date]:
    """The closures, moved to the nearest weekday so they close a day that would be open."""
    days = []
    for offset, _reason in spec.closures:
        day = today + timedelta(days=offset)
        while day.weekday() >= 5:
            day += timedelta(days=1)
        days.append(day)
    return days


@dataclass
class Reference:
    """The rows the rest of the load refers to, by code or username."""

    partners: dict[str, Partner]
    clients: dict[str, ClientOrganisation]
    providers: dict[str, Provider]
    users: dict[str, User]


def create_reference(*, now: datetime, password: str) -> Reference:
    today = now.date()
    Operator.objects.get_or_create(
        name="WPO",
        defaults={
            "escalation_email": "escalations@wpo.example",
            "staff_email_domains": "wpo.example",
        },
    )
    partners = {}
    for spec in PARTNERS:
        partner, created = Partner.objects.get_or_create(
            code=spec.code,
            defaults={
                "name": spec.name,
                "timezone": spec.timezone,
                "country": spec.country,
                "subdivision": spec.subdivision,
                "opening": spec.opening,
                "closing": spec.closing,
                "workdays": "Mon-Fri",
                "email": spec.email,
            },
        )
        if created:
            PartnerClosedDate.objects.bulk_create(
                PartnerClosedDate(partner=partner, date=day, reason=reason)
                for day, (_offset, reason) in zip(
                    closed_dates(spec, today), spec.closures, strict=True
                )
            )
        partners[spec.code] = partner
    clients = {spec.code: _client(spec, today) for spec in CLIENTS}
    practices = [
        ProviderPractice.objects.get_or_create(
            name=name, defaults={"country": country, "phone": phone, "email": email}
        )[0]
        for name, country, phone, email in PRACTICES
    ]
    providers = {}
    for number, (
        code,
        name,
        practice,
        partner_codes,
        country,
        subdivision,
        modalities,
    ) in enumerate(PROVIDERS, start=1):
        provider, created = Provider.objects.get_or_create(
            code=code,
            defaults={
                "practice": practices[practice],
                "name": name,
                "country": country,
                "subdivision": subdivision,
                "modalities": modalities,
                "phone": _provider_phone(country, number),
                "email": f"{code}@{'riverside' if practice == 0 else 'meridian-therapy'}.example",
            },
        )
        if created:
            provider.partners.set([partners[c] for c in partner_codes])
        providers[code] = provider
    users = {spec.username: _user(spec, partners, providers, password) for spec in USERS}
    return Reference(partners=partners, clients=clients, providers=providers, users=users)


def _provider_phone(country: str, number: int) -> str:
    if country == "GB":
        return f"+44 20 7946 05{number:02d}"
    if country == "US":
        return f"+1 212 555 01{60 + number:02d}"
    return f"+61 2 5550 30{number:02d}"


def _client(spec: ClientSpec, today: date) -> ClientOrganisation:
    client, created = ClientOrganisation.objects.get_or_create(
        code=spec.code, defaults={"name": spec.name, "countries": "GB,US,AU"}
    )
    if not created:
        return client
    year_ago = today - timedelta(days=365)
    Benefit.objects.create(
        client=client,
        sessions=spec.sessions,
        unit=spec.unit,
        period=spec.period,
        valid_from=year_ago,
    )
    AccessLine.objects.bulk_create(
        AccessLine(client=client, country=country, number=number)
        for country, number in spec.lines.items()
    )
    if spec.checkins:
        # Two versions: the check-ins were added to the contract a year ago.
        ClientProcedure.objects.create(
            client=client,
            version=1,
            effective_from=today - timedelta(days=730),
            instructions=KESTREL_V1,
        )
        ClientProcedure.objects.create(
            client=client,
            version=2,
            effective_from=year_ago,
            checkin_required=True,
            checkin_trigger=CheckinTrigger.CASE_CLOSED,
            checkin_after_business_days=10,
            checkin_due_business_days=1,
            checkin_channels=CheckinChannels.PHONE_OR_EMAIL,
            instructions=f"{KESTREL_V1}\n\n{CHECKIN_INSTRUCTIONS}",
            # Drivers on shift take calls only before 08:00 or after 18:00, their time.
            contact_window_start=time(18, 0),
            contact_window_end=time(8, 0),
            contact_window_zone=WindowZone.PARTICIPANT,
        )
    else:
        ClientProcedure.objects.create(
            client=client,
            version=1,
            effective_from=today - timedelta(days=540),
            instructions=ALDER_BAY_INSTRUCTIONS,
        )
    return client


def _user(
    spec: UserSpec, partners: dict[str, Partner], providers: dict[str, Provider], password: str
) -> User:
    domain = {
        None: "wpo.example",
        "P-UK": "thameside.example",
        "P-NY": "hudson-counselling.example",
        "P-NSW": "harbourside-eap.example",
    }.get(spec.partner, "meridian-therapy.example")
    user, created = User.objects.get_or_create(
        username=spec.username,
        defaults={
            "first_name": spec.first,
            "last_name": spec.last,
            "email": f"{spec.first}.{spec.last}@{domain}".lower(),
            "is_staff": spec.role == Role.WPO_ADMIN,
        },
    )
    if spec.login:
        user.set_password(password)
        user.save(update_fields=["password"])
    elif created:
        # Colleagues who make the assignment realistic; nobody logs in as them.
        user.set_unusable_password()
        user.save(update_fields=["password"])
    fields: dict[str, Any] = {
        "partner": partners.get(spec.partner or ""),
        "provider": providers.get(spec.provider or ""),
    }
    Membership.objects.get_or_create(user=user, role=spec.role, **fields)
    return user


def logins_table(password: str, url: str = DEMO_URL) -> str:
    """What `--logins` and the end of a load print."""
    labels = dict(Role.choices)
    rows = [("username", "role", "organisation")]
    for spec in LOGINS:
        where = spec.partner or (spec.provider and f"provider {spec.provider}") or "WPO"
        rows.append((spec.username, labels[spec.role], where))
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    lines = [f"Demo logins at {url}  (password for all: {password})", ""]
    lines += [
        "  " + "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows
    ]
    return "\n".join(lines)
