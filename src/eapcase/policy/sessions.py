"""The session ledger's two numbers that rules and forms share: how many sessions of the benefit
remain for a review to authorise, and how many a `transition_session` decision authorises under
the pack in force. CM-REVIEW-DECISION judges with these very functions."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from eapcase.policy.pack import PackSet, PolicyPack, as_pack_set

__all__ = ["sessions_remaining", "transition_sessions"]


def sessions_remaining(benefit_sessions: int, sessions_held: int) -> int:
    """Sessions of the benefit not yet held (never below zero): the most a review may still
    authorise (`authorise_remaining`). Give it `CaseState.sessions_held`."""
    return max(benefit_sessions - sessions_held, 0)


def transition_sessions(
    packs: PolicyPack | PackSet | Iterable[PolicyPack] | None, at: datetime
) -> int:
    """How many sessions a `transition_session` decision recorded at `at` must authorise:
    `review.transition_sessions` of the revision in force then (None: the built-in pack)."""
    return as_pack_set(packs).at(at).review.transition_sessions
