"""Choice lists of the provider side."""

from django.db import models


class ProviderTopic(models.TextChoices):
    QUERY = "query", "query"
    RISK = "risk", "risk situation"
    GOAL_SLIP = "goal_slip", "goal slip"
