"""The first-session review and the sessions it authorises (policy, Policy section):
CM-REVIEW, CM-REVIEW-DECISION and CM-SESSION-UNAUTHORISED (rules.md, "Sessions")."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from eapcase.policy.events import Event, ReviewCompleted, SessionHeld
from eapcase.policy.sessions import sessions_remaining, transition_sessions
from eapcase.policy.state import CaseRun, Handler
from eapcase.policy.types import EventType, ReviewDecision, Rule, Severity

RULES: Final = (Rule.REVIEW, Rule.REVIEW_DECISION, Rule.SESSION_UNAUTHORISED)
# Enum members bound once: attribute access on an Enum class is slow on Python 3.11.
_REVIEW_DECISION_AUTHORISE_REMAINING: Final = ReviewDecision.AUTHORISE_REMAINING
_REVIEW_DECISION_TRANSITION_SESSION: Final = ReviewDecision.TRANSITION_SESSION
_RULE_REVIEW: Final = Rule.REVIEW
_RULE_REVIEW_DECISION: Final = Rule.REVIEW_DECISION
_RULE_SESSION_UNAUTHORISED: Final = Rule.SESSION_UNAUTHORISED
_SEVERITY_BREACH: Final = Severity.BREACH


def on_session(run: CaseRun, event: Event[SessionHeld]) -> None:
    run.sessions_held += 1
    held = run.sessions_held
    if held > run.sessions_authorised:
        run.find(
            _RULE_SESSION_UNAUTHORISED,
            event,
            _SEVERITY_BREACH,
            f"session {held} held with {run.sessions_authorised} authorised",
        )
    if run.first_session is None:
        run.first_session = event
        if run.review_case:
            run.review = run.open(_RULE_REVIEW, event, None, run.packs.at(event.at))
    elif run.review is not None:
        # A second session before the review; a breach stays a breach (breach() is a no-op
        # once the review is settled).
        run.review.breach(event)


def on_review(run: CaseRun, event: Event[ReviewCompleted]) -> None:
    review = event.fields
    held = run.sessions_held
    benefit = run.case.benefit_sessions
    remaining = sessions_remaining(benefit, held)
    transition = transition_sessions(run.packs, event.at)
    problem: str | None = None
    if review.decision is _REVIEW_DECISION_AUTHORISE_REMAINING:
        if review.sessions > remaining:
            problem = f"authorises {review.sessions} sessions; {remaining} remain of the benefit"
    elif review.decision is _REVIEW_DECISION_TRANSITION_SESSION:
        if review.sessions != transition:
            problem = f"a transition session authorises {transition}, not {review.sessions}"
    elif review.sessions > 0 or not any(item.strip() for item in review.resources):
        problem = "deny must offer resources and no sessions"
    if problem is not None:
        run.find(_RULE_REVIEW_DECISION, event, _SEVERITY_BREACH, problem)
    if run.first_session is None:
        # Only a review after the first session is the first-session review: one recorded
        # earlier neither authorises sessions nor satisfies CM-REVIEW.
        return
    if review.decision is _REVIEW_DECISION_AUTHORISE_REMAINING:
        run.sessions_authorised = min(held + review.sessions, benefit)
    elif review.decision is _REVIEW_DECISION_TRANSITION_SESSION:
        run.sessions_authorised = held + transition
    else:
        run.sessions_authorised = held
    if run.review is not None:
        run.review.satisfy(event)


HANDLERS: Final[Mapping[EventType, Handler]] = {
    EventType.SESSION_HELD: on_session,
    EventType.REVIEW_COMPLETED: on_review,
}
