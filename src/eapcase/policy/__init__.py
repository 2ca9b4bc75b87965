"""The policy engine: pure Python, no Django.

The names below are what the application asks the engine instead of deciding a rule itself
(README.md, "Using it from the application"); the modules hold the rest."""

from eapcase.policy.consent import messages_allowed
from eapcase.policy.engine import evaluate
from eapcase.policy.sessions import sessions_remaining, transition_sessions
from eapcase.policy.whatif import closing_would_breach

__all__ = [
    "closing_would_breach",
    "evaluate",
    "messages_allowed",
    "sessions_remaining",
    "transition_sessions",
]
