"""Policy packs (rules.md, "Policy document control"): the built-in revision 1 as data, the
checks on a pack file, and obligations judged by the revision in force when they opened."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from eapcase.policy.calendar import BusinessCalendar
from eapcase.policy.engine import evaluate
from eapcase.policy.events import make_event
from eapcase.policy.pack import (
    BUILTIN_PACK,
    PackError,
    PackSet,
    PolicyPack,
    as_pack_set,
    builtin_pack,
    load_pack,
    loads_pack,
)
from eapcase.policy.types import (
    CaseInfo,
    CaseType,
    Channel,
    EmailFrom,
    Referral,
    Rule,
    Status,
)

PACK_FILE = Path(__file__).resolve().parents[2] / "src/eapcase/policy/packs" / BUILTIN_PACK
TEXT = PACK_FILE.read_text(encoding="utf-8")
LONDON = BusinessCalendar("Europe/London", "GB", "ENG")


def draft(revision: int, valid_from: str, **replacements: str) -> PolicyPack:
    """The built-in pack as another revision, with some lines replaced."""
    text = TEXT.replace("revision = 1", f"revision = {revision}").replace(
        "valid_from = 2020-09-01", f"valid_from = {valid_from}"
    )
    text = text.replace("next_revision = 2021-03-01", "next_revision = 2030-01-01")
    for old, new in replacements.items():
        assert old in text
        text = text.replace(old, new)
    return loads_pack(text, f"r{revision}")


def test_builtin_pack_is_revision_1_with_every_parameter() -> None:
    pack = builtin_pack()

    assert (pack.id, pack.revision, pack.valid_from, pack.next_revision) == (
        "partner-case-management",
        1,
        date(2020, 9, 1),
        date(2021, 3, 1),
    )
    assert pack.referrals == {Referral.SELF}
    assert (pack.callback.business_days, pack.callback.outreach_attempts) == (1, 2)
    assert pack.email.senders == {EmailFrom.WPO, EmailFrom.PARTICIPANT}
    assert (pack.email.ack, pack.email.action, pack.email.inform_after) == (
        timedelta(hours=24),
        timedelta(hours=24),
        timedelta(hours=24),
    )
    assert pack.email.inform_due == timedelta(hours=1)
    assert pack.provider.response_business_days == 1
    assert (pack.checkin.default_business_days, pack.checkin.attempts) == (1, 1)
    assert pack.checkin.channels == {Channel.PHONE, Channel.EMAIL}
    assert (
        pack.outreach.attempts,
        pack.outreach.complaint_attempts,
        pack.outreach.max_attempts_with_risk,
    ) == (2, 3, 5)
    assert pack.review.case_types == {
        CaseType.COUPLES,
        CaseType.FAMILY,
        CaseType.MINOR,
        CaseType.TRANSITIONAL_SUPPORT,
        CaseType.ASSESSMENT_ONLY,
    }
    assert (pack.review.sessions_before_review, pack.review.transition_sessions) == (1, 1)


def test_load_pack_reads_the_same_pack_from_a_file() -> None:
    assert load_pack(PACK_FILE) == builtin_pack()


def test_fractional_hours_are_allowed() -> None:
    pack = draft(2, "2026-01-01", **{"ack_hours = 24": "ack_hours = 12.5"})

    assert pack.email.ack == timedelta(hours=12, minutes=30)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("revision = 1", "revision = 0", "r: policy.revision must be a whole number, 1 or more"),
        ("business_days = 1\n", "business_days = '1'\n", "callback.business_days must be"),
        ("\nattempts = 2\n", "\n", "outreach.attempts is missing"),
        (
            "complaint_attempts = 3",
            "complaint_attempts = 3\nextra = 1",
            "unknown key outreach.extra",
        ),
        ("ack_hours = 24", "ack_hours = 0", "email.ack_hours must be a number of hours above 0"),
        ('referrals = ["self"]', 'referrals = ["walk_in"]', "scope.referrals must be a list of"),
        ('channels = ["phone", "email"]', "channels = []", "checkin.channels must be a non-empty"),
        ("valid_from = 2020-09-01", 'valid_from = "1 Sept"', "policy.valid_from must be a date"),
        ("next_revision = 2021-03-01", "next_revision = 2020-01-01", "must be after"),
        ("[review]", "[reviews]", "unknown table [reviews]"),
        ("[policy]", "[policy", "not valid TOML"),
    ],
)
def test_invalid_pack_names_the_key(old: str, new: str, message: str) -> None:
    assert old in TEXT
    with pytest.raises(PackError, match=message.replace("[", r"\[").replace("]", r"\]")):
        loads_pack(TEXT.replace(old, new, 1), "r")


def test_unreadable_pack_file(tmp_path: Path) -> None:
    with pytest.raises(PackError, match="cannot read the pack"):
        load_pack(tmp_path / "absent.toml")


def test_pack_set_picks_the_revision_in_force() -> None:
    r1, r2 = builtin_pack(), draft(2, "2026-01-01")
    packs = PackSet([r2, r1])

    assert [p.revision for p in packs] == [1, 2]
    assert packs.on(date(2019, 1, 1)) is r1  # before the first revision: the first
    assert packs.on(date(2025, 12, 31)) is r1
    assert packs.on(date(2026, 1, 1)) is r2
    assert packs.at(datetime(2025, 12, 31, 23, 30, tzinfo=UTC)) is r1
    # 31 Dec 23:30 in New York is already 1 January in UTC: the UTC date decides.
    assert packs.at(datetime.fromisoformat("2025-12-31T23:30:00-05:00")) is r2


def test_pack_set_refuses_inconsistent_revisions() -> None:
    r1 = builtin_pack()
    with pytest.raises(PackError, match="both valid from"):
        PackSet([r1, draft(2, "2020-09-01")])
    with pytest.raises(PackError, match="must be later than revision"):
        PackSet([draft(3, "2020-01-01"), draft(2, "2026-01-01")])
    with pytest.raises(PackError, match="different policies"):
        PackSet([r1, draft(2, "2026-01-01", **{'id = "partner-case-management"': 'id = "x"'})])
    with pytest.raises(PackError, match="no policy pack"):
        PackSet([])


def test_as_pack_set_accepts_a_pack_packs_or_none() -> None:
    r1 = builtin_pack()

    assert as_pack_set(None).packs == (r1,)
    assert as_pack_set(r1).packs == (r1,)
    assert as_pack_set([r1]).packs == (r1,)


@pytest.mark.parametrize(
    ("now", "overdue"),
    [("2021-03-01T23:59:59+00:00", False), ("2021-03-02T00:00:00+00:00", True)],
)
def test_review_overdue_after_the_next_revision_date(now: str, overdue: bool) -> None:
    assert builtin_pack().review_overdue(datetime.fromisoformat(now)) is overdue


def test_each_obligation_is_judged_by_the_revision_in_force_when_it_opened() -> None:
    r2 = draft(
        2, "2026-03-04", **{"[callback]\nbusiness_days = 1": "[callback]\nbusiness_days = 3"}
    )
    case = CaseInfo(
        "C1",
        datetime(2026, 3, 2, 9, tzinfo=UTC),
        "P-UK",
        Referral.SELF,
        CaseType.INDIVIDUAL,
        6,
    )
    events = [
        make_event("C1", "cb1", "callback_requested", "2026-03-03T10:00:00+00:00", None, {}, 1),
        make_event("C1", "cb2", "callback_requested", "2026-03-04T10:00:00+00:00", None, {}, 2),
    ]

    result = evaluate(case, events, [builtin_pack(), r2], LONDON, datetime(2026, 3, 5, tzinfo=UTC))

    callbacks = [ob for ob in result.obligations if ob.rule is Rule.CALLBACK]
    assert [(ob.trigger, ob.revision, ob.due_at) for ob in callbacks] == [
        ("cb1", 1, datetime(2026, 3, 4, 10, tzinfo=UTC)),
        ("cb2", 2, datetime(2026, 3, 9, 10, tzinfo=UTC)),
    ]
    assert [ob.status for ob in callbacks] == [Status.OVERDUE, Status.OPEN]
    assert result.revision == 1  # the case opened under revision 1
