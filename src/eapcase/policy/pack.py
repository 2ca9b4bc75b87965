"""Policy packs: a policy revision as data (ids, dates, every deadline and count), read from
TOML and checked, and the set of revisions an obligation is judged by."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from importlib import resources
from itertools import pairwise
from pathlib import Path
from typing import Final, TypeVar

from eapcase.policy.types import CaseType, Channel, EmailFrom, Referral

__all__ = [
    "BUILTIN_PACK",
    "CallbackParams",
    "CheckinParams",
    "EmailParams",
    "OutreachParams",
    "PackError",
    "PackSet",
    "PolicyPack",
    "ProviderParams",
    "ReviewParams",
    "as_pack_set",
    "builtin_pack",
    "load_pack",
    "loads_pack",
    "pack_summary",
    "parse_pack",
]

E = TypeVar("E", bound=StrEnum)

#: File name of the built-in pack, inside the `eapcase.policy.packs` package.
BUILTIN_PACK: Final = "partner-case-management-r1.toml"


class PackError(ValueError):
    """An invalid policy pack; the message names the file and the key."""


@dataclass(frozen=True, slots=True)
class CallbackParams:
    business_days: int
    outreach_attempts: int


@dataclass(frozen=True, slots=True)
class EmailParams:
    senders: frozenset[EmailFrom]
    ack: timedelta
    action: timedelta
    inform_after: timedelta
    inform_due: timedelta


@dataclass(frozen=True, slots=True)
class ProviderParams:
    response_business_days: int


@dataclass(frozen=True, slots=True)
class CheckinParams:
    default_business_days: int
    attempts: int
    channels: frozenset[Channel]


@dataclass(frozen=True, slots=True)
class OutreachParams:
    attempts: int
    complaint_attempts: int
    max_attempts_with_risk: int


@dataclass(frozen=True, slots=True)
class ReviewParams:
    case_types: frozenset[CaseType]
    sessions_before_review: int
    transition_sessions: int


@dataclass(frozen=True, slots=True)
class PolicyPack:
    """One revision of a policy, with the parameters of its rules."""

    id: str
    revision: int
    valid_from: date
    next_revision: date
    title: str
    referrals: frozenset[Referral]
    callback: CallbackParams
    email: EmailParams
    provider: ProviderParams
    checkin: CheckinParams
    outreach: OutreachParams
    review: ReviewParams

    def review_overdue(self, now: datetime) -> bool:
        """Whether the (UTC) date of `now` is after the next-revision date."""
        return _utc_date(now) > self.next_revision


def _utc_date(instant: datetime) -> date:
    offset = instant.utcoffset()
    if offset is None:
        raise ValueError(f"{instant!r} is not timezone-aware")
    return (instant.replace(tzinfo=None) - offset).date()


class PackSet:
    """The revisions of one policy. An obligation is judged by the revision in force on the
    (UTC) date it opened: the latest whose `valid_from` is on or before that date. Dates
    before the first revision are judged by the first, so that a single pack (a draft given
    to `eapcase check --policy`) applies to a whole history."""

    __slots__ = ("_first", "_single", "packs")

    def __init__(self, packs: Iterable[PolicyPack]) -> None:
        ordered = sorted(packs, key=lambda pack: pack.valid_from)
        if not ordered:
            raise PackError("no policy pack given")
        for earlier, later in pairwise(ordered):
            if later.id != earlier.id:
                raise PackError(f"packs of different policies: {earlier.id!r}, {later.id!r}")
            if later.valid_from == earlier.valid_from:
                raise PackError(
                    f"revisions {earlier.revision} and {later.revision} are both valid from "
                    f"{later.valid_from}"
                )
            if later.revision <= earlier.revision:
                raise PackError(
                    f"revision {later.revision} (valid from {later.valid_from}) must be later "
                    f"than revision {earlier.revision} (valid from {earlier.valid_from})"
                )
        self.packs: tuple[PolicyPack, ...] = tuple(ordered)
        self._first = ordered[0]
        self._single = len(ordered) == 1

    def on(self, day: date) -> PolicyPack:
        """The revision in force on `day`."""
        if self._single:
            return self._first
        found = self._first
        for pack in self.packs:
            if pack.valid_from > day:
                break
            found = pack
        return found

    def at(self, instant: datetime) -> PolicyPack:
        """The revision in force at `instant` (by its UTC date)."""
        return self._first if self._single else self.on(_utc_date(instant))

    def __iter__(self) -> Iterator[PolicyPack]:
        return iter(self.packs)

    def __len__(self) -> int:
        return len(self.packs)


def as_pack_set(packs: PolicyPack | PackSet | Iterable[PolicyPack] | None) -> PackSet:
    """A PackSet from a pack, packs, or None (the built-in pack)."""
    if packs is None:
        return PackSet([builtin_pack()])
    if isinstance(packs, PackSet):
        return packs
    if isinstance(packs, PolicyPack):
        return PackSet([packs])
    return PackSet(packs)


# --- reading ----------------------------------------------------------------------------------


class _Section:
    """One TOML table being read; remembers the keys taken so that extra keys are errors."""

    def __init__(self, source: str, name: str, table: object) -> None:
        if not isinstance(table, Mapping):
            raise PackError(f"{source}: [{name}] is missing or not a table")
        self.source, self.name, self.table = source, name, table
        self.taken: set[str] = set()

    def _raw(self, key: str) -> object:
        self.taken.add(key)
        if key not in self.table:
            raise PackError(f"{self.source}: {self.name}.{key} is missing")
        return self.table[key]

    def fail(self, key: str, wanted: str, value: object) -> PackError:
        return PackError(f"{self.source}: {self.name}.{key} must be {wanted}, not {value!r}")

    def text(self, key: str, default: str | None = None) -> str:
        if default is not None and key not in self.table:
            self.taken.add(key)
            return default
        value = self._raw(key)
        if not isinstance(value, str) or not value.strip():
            raise self.fail(key, "a non-empty string", value)
        return value

    def count(self, key: str, minimum: int = 1) -> int:
        value = self._raw(key)
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            raise self.fail(key, f"a whole number, {minimum} or more", value)
        return value

    def hours(self, key: str) -> timedelta:
        value = self._raw(key)
        if isinstance(value, bool) or not isinstance(value, int | float) or not value > 0:
            raise self.fail(key, "a number of hours above 0", value)
        return timedelta(hours=value)

    def day(self, key: str) -> date:
        value = self._raw(key)
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        raise self.fail(key, "a date (YYYY-MM-DD)", value)

    def choices(self, key: str, enum: type[E]) -> frozenset[E]:
        value = self._raw(key)
        members = {member.value: member for member in enum}
        if not isinstance(value, list) or not value:
            raise self.fail(key, f"a non-empty list of {', '.join(members)}", value)
        found: set[E] = set()
        for item in value:
            member = members.get(item) if isinstance(item, str) else None
            if member is None:
                raise self.fail(key, f"a list of {', '.join(members)}", item)
            found.add(member)
        return frozenset(found)

    def done(self) -> None:
        extra = sorted(set(self.table) - self.taken)
        if extra:
            raise PackError(f"{self.source}: unknown key {self.name}.{extra[0]}")


class _Sections(dict[str, _Section]):
    """The tables of a pack, each checked when first read, so that errors come in order."""

    def __init__(self, source: str, data: Mapping[str, object]) -> None:
        super().__init__()
        self.source, self.data = source, data

    def __missing__(self, name: str) -> _Section:
        section = self[name] = _Section(self.source, name, self.data.get(name))
        return section


_SECTIONS: Final = (
    "policy",
    "scope",
    "callback",
    "email",
    "provider",
    "checkin",
    "outreach",
    "review",
)


def parse_pack(data: Mapping[str, object], source: str = "<pack>") -> PolicyPack:
    """Build a PolicyPack from parsed TOML. Raises PackError naming `source` and the key."""
    extra = sorted(set(data) - set(_SECTIONS))
    if extra:
        raise PackError(f"{source}: unknown table [{extra[0]}]")
    s = _Sections(source, data)
    policy = s["policy"]
    pack = PolicyPack(
        id=policy.text("id"),
        revision=policy.count("revision"),
        valid_from=policy.day("valid_from"),
        next_revision=policy.day("next_revision"),
        title=policy.text("title", default="(untitled)"),
        referrals=s["scope"].choices("referrals", Referral),
        callback=CallbackParams(
            business_days=s["callback"].count("business_days"),
            outreach_attempts=s["callback"].count("outreach_attempts"),
        ),
        email=EmailParams(
            senders=s["email"].choices("senders", EmailFrom),
            ack=s["email"].hours("ack_hours"),
            action=s["email"].hours("action_hours"),
            inform_after=s["email"].hours("inform_after_hours"),
            inform_due=s["email"].hours("inform_due_hours"),
        ),
        provider=ProviderParams(
            response_business_days=s["provider"].count("response_business_days")
        ),
        checkin=CheckinParams(
            default_business_days=s["checkin"].count("default_business_days"),
            attempts=s["checkin"].count("attempts"),
            channels=s["checkin"].choices("channels", Channel),
        ),
        outreach=OutreachParams(
            attempts=s["outreach"].count("attempts"),
            complaint_attempts=s["outreach"].count("complaint_attempts"),
            max_attempts_with_risk=s["outreach"].count("max_attempts_with_risk"),
        ),
        review=ReviewParams(
            case_types=s["review"].choices("case_types", CaseType),
            sessions_before_review=s["review"].count("sessions_before_review", minimum=0),
            transition_sessions=s["review"].count("transition_sessions"),
        ),
    )
    for section in s.values():
        section.done()
    if pack.next_revision <= pack.valid_from:
        raise PackError(
            f"{source}: policy.next_revision ({pack.next_revision}) must be after "
            f"policy.valid_from ({pack.valid_from})"
        )
    return pack


def loads_pack(text: str, source: str = "<pack>") -> PolicyPack:
    """Parse a pack from TOML text."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PackError(f"{source}: not valid TOML: {exc}") from None
    return parse_pack(data, source)


def load_pack(path: str | Path) -> PolicyPack:
    """Read a pack file. Raises PackError (also when the file cannot be read)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PackError(f"{path}: cannot read the pack: {exc}") from None
    return loads_pack(text, str(path))


@lru_cache(maxsize=1)
def builtin_pack() -> PolicyPack:
    """The pack shipped with eapcase: Partner Case Management, revision 1."""
    text = resources.files("eapcase.policy.packs").joinpath(BUILTIN_PACK).read_text("utf-8")
    return loads_pack(text, BUILTIN_PACK)


def pack_summary(pack: PolicyPack, now: datetime) -> dict[str, object]:
    """The `policy` object of `eapcase check` output."""
    return {
        "id": pack.id,
        "revision": pack.revision,
        "valid_from": pack.valid_from.isoformat(),
        "next_revision": pack.next_revision.isoformat(),
        "review_overdue": pack.review_overdue(now),
    }
