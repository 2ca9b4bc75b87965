"""What may be left as a message on a channel, given the target's consent as the engine tracks
it: the one answer that CM-MESSAGE-CONSENT judges attempts by and the application offers in its
forms, so that the two can never disagree."""

from __future__ import annotations

from typing import Final

from eapcase.policy.types import Channel, MessageLeft, ParticipantPrefs, Target

__all__ = ["messages_allowed"]

#: In the order a form offers them: the most useful first.
_ANY_MESSAGE: Final = (MessageLeft.DETAILED, MessageLeft.GENERIC, MessageLeft.NONE)
_NO_MESSAGE: Final = (MessageLeft.NONE,)
_PROVIDER: Final = Target.PROVIDER
_PHONE: Final = Channel.PHONE


def messages_allowed(
    prefs: ParticipantPrefs, target: Target | str, channel: Channel | str
) -> tuple[MessageLeft, ...]:
    """The messages (`detailed`, `generic`, `none`) that may be left for `target` on `channel`.

    `prefs` are the participant's preferences as they stand (`CaseState.participant`, or the
    engine's replay at the attempt). A participant who does not accept messages on a channel
    (`voicemail_ok` for phone, `email_messages_ok` for email) gets none of any kind; providers
    are taken to accept messages (rules.md, CM-MESSAGE-CONSENT and "Phone")."""
    if target == _PROVIDER:
        return _ANY_MESSAGE
    accepted = prefs.voicemail_ok if channel == _PHONE else prefs.email_messages_ok
    return _ANY_MESSAGE if accepted else _NO_MESSAGE
