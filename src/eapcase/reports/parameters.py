"""Every parameter of a policy pack in plain words, for the policy page. The words describe
the pack's keys (policy/README.md, "Pack format"); the values are read from the pack."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from eapcase.policy.pack import PolicyPack


@dataclass(frozen=True)
class Parameter:
    key: str
    words: str
    value: str
    rules: str


@dataclass(frozen=True)
class Section:
    title: str
    parameters: list[Parameter]


def _days(n: int) -> str:
    return f"{n} business day{'s' if n != 1 else ''}"


def _hours(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    text = f"{hours:g}"
    return f"{text} hour{'s' if text != '1' else ''}"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'s' if n != 1 else ''}"


def _list(values: object) -> str:
    items = sorted(str(v).replace("_", " ") for v in values)  # type: ignore[attr-defined]
    return ", ".join(items)


def pack_parameters(pack: PolicyPack) -> list[Section]:
    return [
        Section(
            "Which cases the policy covers",
            [Parameter("scope.referrals", "Cases referred by", _list(pack.referrals), "all")],
        ),
        Section(
            "Call backs",
            [
                Parameter(
                    "callback.business_days",
                    "First attempt to call the participant back within",
                    _days(pack.callback.business_days),
                    "CM-CALLBACK",
                ),
                Parameter(
                    "callback.outreach_attempts",
                    "Attempts to make before a call back's outreach is complete",
                    _count(pack.callback.outreach_attempts, "attempt"),
                    "CM-OUTREACH",
                ),
            ],
        ),
        Section(
            "Emails",
            [
                Parameter(
                    "email.senders",
                    "Emails the Partner must acknowledge and action, from",
                    _list(pack.email.senders),
                    "CM-EMAIL-ACK, CM-EMAIL-ACTION",
                ),
                Parameter(
                    "email.ack_hours",
                    "Acknowledge an email within",
                    _hours(pack.email.ack),
                    "CM-EMAIL-ACK",
                ),
                Parameter(
                    "email.action_hours",
                    "Action an email within",
                    _hours(pack.email.action),
                    "CM-EMAIL-ACTION",
                ),
                Parameter(
                    "email.inform_after_hours",
                    "Inform WPO when the participant is not reached within",
                    _hours(pack.email.inform_after),
                    "CM-EMAIL-INFORM",
                ),
                Parameter(
                    "email.inform_due_hours",
                    "and do so within a further",
                    _hours(pack.email.inform_due),
                    "CM-EMAIL-INFORM",
                ),
            ],
        ),
        Section(
            "Providers",
            [
                Parameter(
                    "provider.response_business_days",
                    "Answer a provider's contact within",
                    _days(pack.provider.response_business_days),
                    "CM-PROVIDER-RESPONSE",
                )
            ],
        ),
        Section(
            "Clinical check-ins",
            [
                Parameter(
                    "checkin.default_business_days",
                    "Check in, when no date is set, within",
                    _days(pack.checkin.default_business_days),
                    "CM-CHECKIN",
                ),
                Parameter(
                    "checkin.attempts",
                    "Check-in attempts to make",
                    _count(pack.checkin.attempts, "attempt"),
                    "CM-CHECKIN-SINGLE",
                ),
                Parameter(
                    "checkin.channels",
                    "Check in by",
                    _list(pack.checkin.channels),
                    "CM-CHECKIN-CHANNEL",
                ),
            ],
        ),
        Section(
            "Outreach",
            [
                Parameter(
                    "outreach.attempts",
                    "Attempts to reach the participant or provider",
                    _count(pack.outreach.attempts, "attempt"),
                    "CM-OUTREACH",
                ),
                Parameter(
                    "outreach.complaint_attempts",
                    "Attempts after a complaint",
                    _count(pack.outreach.complaint_attempts, "attempt"),
                    "CM-OUTREACH",
                ),
                Parameter(
                    "outreach.max_attempts_with_risk",
                    "Most attempts when a risk is identified",
                    _count(pack.outreach.max_attempts_with_risk, "attempt"),
                    "CM-OUTREACH-EXCESS",
                ),
            ],
        ),
        Section(
            "First-session review",
            [
                Parameter(
                    "review.case_types",
                    "Cases reviewed after their first session",
                    _list(pack.review.case_types),
                    "CM-REVIEW",
                ),
                Parameter(
                    "review.sessions_before_review",
                    "Sessions allowed before the review",
                    _count(pack.review.sessions_before_review, "session"),
                    "CM-SESSION-UNAUTHORISED",
                ),
                Parameter(
                    "review.transition_sessions",
                    "Sessions authorised for a transition",
                    _count(pack.review.transition_sessions, "session"),
                    "CM-REVIEW-DECISION",
                ),
            ],
        ),
    ]
