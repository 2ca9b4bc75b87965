"""The instant the sweep next has something to send for an obligation (ADR 0042), indexed.

Existing rows: every unsatisfied obligation gets its opening instant, the earliest its next
notice can be, so the first sweep after the migration reads each of them once (as every sweep
did before), plans it exactly, and moves it on; from then on a sweep reads only what is due.
One UPDATE: no history is replayed and no application code runs in the migration."""

from typing import Any

from django.db import migrations, models
from django.db.models import F, Q


def fill(apps: Any, schema_editor: Any) -> None:
    Obligation = apps.get_model("cases", "Obligation")
    Obligation.objects.filter(status__in=["open", "overdue"]).update(next_notice_at=F("opened_at"))


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0013_caseevent_hash"),
    ]

    operations = [
        migrations.AddField(
            model_name="obligation",
            name="next_notice_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name="obligation",
            index=models.Index(
                condition=Q(next_notice_at__isnull=False),
                fields=["next_notice_at"],
                name="obligation_next_notice",
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
