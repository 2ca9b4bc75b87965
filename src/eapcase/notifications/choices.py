"""Choice lists of the notifications app."""

from django.db import models


class Level(models.TextChoices):
    """What a delivery is about; with the obligation's identity it forms the delivery key."""

    REMINDER = "reminder", "reminder before the deadline"
    DEADLINE = "deadline", "deadline reached"
    ESCALATION = "escalation", "escalation to WPO"
    ESCALATION_REMINDER = "escalation-reminder", "unacknowledged escalation"
    PROVIDER_FLAG = "provider-flag", "provider flagged risk or goal slip"
    AUDIT_BREAK = "audit-break", "audit trail failed its check"


# The `rule` part of a key about an escalation that no obligation names (any escalation
# raised, by a person or by the system, is mailed to the WPO inbox under this key).
ESCALATION_RULE = "WPO-ESCALATION"


# The `rule` part of a key about a provider's risk or goal-slip flag: the case's clinician and
# the Partner's clinical leads are told at once, whatever the hour.
PROVIDER_FLAG_RULE = "PROVIDER-FLAG"
