"""The compliance app gives its models to the case record (ADR 0003); the tables stay."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('notifications', '0002_delivery_escalation_in_cases'),
        ('cases', '0006_record_models_from_compliance'),
        ('compliance', '0004_obligation_assigned_clinician'),
    ]

    operations = [
        # The tables stay as they are: only Django's idea of which app owns them changes.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='escalation',
                    name='acknowledged_by',
                ),
                migrations.RemoveField(
                    model_name='escalation',
                    name='case',
                ),
                migrations.RemoveField(
                    model_name='escalation',
                    name='raised_by',
                ),
                migrations.RemoveField(
                    model_name='finding',
                    name='case',
                ),
                migrations.RemoveField(
                    model_name='finding',
                    name='partner',
                ),
                migrations.RemoveField(
                    model_name='obligation',
                    name='assigned_clinician',
                ),
                migrations.RemoveField(
                    model_name='obligation',
                    name='case',
                ),
                migrations.RemoveField(
                    model_name='obligation',
                    name='partner',
                ),
                migrations.RemoveField(
                    model_name='override',
                    name='by',
                ),
                migrations.RemoveField(
                    model_name='override',
                    name='case',
                ),
                migrations.DeleteModel(
                    name='CaseEvent',
                ),
                migrations.DeleteModel(
                    name='Escalation',
                ),
                migrations.DeleteModel(
                    name='Finding',
                ),
                migrations.DeleteModel(
                    name='Obligation',
                ),
                migrations.DeleteModel(
                    name='Override',
                ),
            ],
            database_operations=[],
        ),
    ]
