"""Choice lists of the notifications app."""

from django.db import models


class Level(models.TextChoices):
    """What a delivery is about; with the obligation's identity it forms the delivery key."""

    REMINDER = "reminder", "reminder"
    DEADLINE = "deadline", "past the deadline or target"
    ESCALATION = "escalation", "escalation to WPO"
    ESCALATION_REMINDER = "escalation-reminder", "unacknowledged escalation"
    PROVIDER_FLAG = "provider-flag", "provider flagged risk or goal slip"
    PARTICIPANT_MAIL = "participant-mail", "mail to the participant"
    ESCALATION_ANSWER = "escalation-answer", "WPO acknowledged an escalation"
    PROVIDER_ANSWER = "provider-answer", "the Partner answered"
    AUDIT_BREAK = "audit-break", "audit trail failed its check"


# The `rule` part of a key about an escalation that no obligation names (any escalation
# raised, by a person or by the system, is mailed to the WPO inbox under this key).
ESCALATION_RULE = "WPO-ESCALATION"


# The `rule` part of a key about a provider's risk or goal-slip flag: the case's clinician and
# the Partner's clinical leads are told at once, whatever the hour.
PROVIDER_FLAG_RULE = "PROVIDER-FLAG"


# The `rule` parts of the keys of mail a clinician sends the participant from the case (ADR
# 0031): the reply acknowledging their email (trigger: the email's event) and the detailed
# message after an unsuccessful attempt (trigger: the attempt's event).
ACKNOWLEDGEMENT_RULE = "MAIL-ACKNOWLEDGEMENT"
DETAILED_MESSAGE_RULE = "MAIL-DETAILED"
# The `rule` part of a key about the Partner's answer to a provider's contact or query: the
# provider is told in the app and by mail.
PROVIDER_ANSWER_RULE = "PROVIDER-ANSWER"
