"""Invented participants: Faker names with a fixed seed, numbers in fictional ranges, example.*
addresses, and a realistic mix of contact preferences and consents."""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from faker import Faker

LOCALES = {"GB": "en_GB", "US": "en_US", "AU": "en_AU"}


@dataclass
class ParticipantSpec:
    index: int
    full_name: str
    partner: str
    country: str
    client: str
    phone: str
    email: str
    date_of_birth: date
    prefs: dict[str, bool]


def _fictional_phone(country: str, n: int) -> str:
    # Ofcom's drama range, the US 555-01xx block and ACMA's 02 5550 block.
    if country == "GB":
        return f"+44 20 7946 {n % 1000:04d}"
    if country == "US":
        return f"+1 {(212, 646, 718, 917)[n // 100 % 4]} 555 01{n % 100:02d}"
    return f"+61 2 5550 {n % 10000:04d}"


def _ascii(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z]", "", plain.lower())


def make_participants(
    *,
    count: int,
    seed: int,
    partners: list[tuple[str, str, float]],
    clients: list[str],
    today: date,
) -> list[ParticipantSpec]:
    """`partners` are (code, country, share of participants)."""
    rng = random.Random(f"participants:{seed}")
    fakers: dict[str, Any] = {}
    for country, locale in LOCALES.items():
        fake = Faker(locale)
        fake.seed_instance(seed + len(country) * 7 + ord(country[0]))
        fakers[country] = fake
    seen: set[str] = set()
    result = []
    quotas = _quotas(count, [(code, share) for code, _c, share in partners])
    countries = dict((code, country) for code, country, _s in partners)
    for index, code in enumerate(quotas):
        country = countries[code]
        fake = fakers[country]
        while True:
            first, last = fake.first_name(), fake.last_name()
            if f"{first} {last}" not in seen:
                break
        seen.add(f"{first} {last}")
        prefs = _preferences(rng)
        phone = _fictional_phone(country, 100 + index) if prefs["phone"] else ""
        domain = rng.choice(("example.com", "example.org", "example.net"))
        email = f"{_ascii(first)}.{_ascii(last)}{index}@{domain}" if prefs["email"] else ""
        age_days = rng.randint(22 * 365, 63 * 365)
        result.append(
            ParticipantSpec(
                index=index,
                full_name=f"{first} {last}",
                partner=code,
                country=country,
                client=clients[rng.random() < 0.45],
                phone=phone,
                email=email,
                date_of_birth=today - timedelta(days=age_days),
                prefs=prefs,
            )
        )
    return result


def _quotas(count: int, shares: list[tuple[str, float]]) -> list[str]:
    out: list[str] = []
    for code, share in shares[:-1]:
        out += [code] * round(count * share)
    out += [shares[-1][0]] * (count - len(out))
    # Interleaved rather than shuffled: each Partner's people spread evenly over the list.
    return _interleave(out)


def _interleave(codes: list[str]) -> list[str]:
    groups: dict[str, list[str]] = {}
    for code in codes:
        groups.setdefault(code, []).append(code)
    total = len(codes)
    keyed = []
    for _code, items in groups.items():
        step = total / len(items)
        keyed += [(i * step + step / 2, item) for i, item in enumerate(items)]
    return [item for _pos, item in sorted(keyed)]


def _preferences(rng: random.Random) -> dict[str, bool]:
    """Mostly everything allowed; some no voicemail, some no email messages, a few email only,
    some without email consent, a few without a phone or without an email address."""
    has_phone = rng.random() > 0.05
    has_email = rng.random() < 0.85 or not has_phone
    email_only = has_email and has_phone and rng.random() < 0.05
    email_consent = has_email and (email_only or not has_phone or rng.random() < 0.82)
    return {
        "phone": has_phone,
        "email": has_email,
        "voicemail_ok": rng.random() < 0.8,
        "email_messages_ok": rng.random() < 0.82,
        "email_only": email_only,
        "email_consent": email_consent,
    }
