"""A delivery's escalation now lives in the cases app (ADR 0003); the column is unchanged."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('cases', '0006_record_models_from_compliance'),
        ('notifications', '0001_initial'),
    ]

    operations = [
        # The tables stay as they are: only Django's idea of which app owns them changes.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='delivery',
                    name='escalation',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='deliveries', to='cases.escalation'),
                ),
            ],
            database_operations=[],
        ),
    ]
