"""The case history, obligations, findings, overrides and escalations move from the compliance
app to the case record (ADR 0003). Their tables keep their names (`compliance_*`), so no data
moves; their content types are relabelled so permissions and admin history follow them."""

from typing import Any

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

MOVED = ["caseevent", "obligation", "finding", "override", "escalation"]


def _relabel(apps: Any, old: str, new: str) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.filter(app_label=old, model__in=MOVED).update(app_label=new)


def content_types_to_cases(apps: Any, schema_editor: Any) -> None:
    _relabel(apps, "compliance", "cases")


def content_types_to_compliance(apps: Any, schema_editor: Any) -> None:
    _relabel(apps, "cases", "compliance")


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('compliance', '0004_obligation_assigned_clinician'),
        ('cases', '0005_case_engine_state_fill'),
        ('organisations', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The tables stay as they are: only Django's idea of which app owns them changes.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Escalation',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('reason', models.CharField(choices=[('dissatisfaction', 'participant dissatisfied'), ('no_contact', 'no contact within 24 hours of an email'), ('complaint', 'complaint'), ('risk', 'risk'), ('other', 'other')], max_length=20)),
                        ('summary', models.TextField()),
                        ('raised_at', models.DateTimeField()),
                        ('acknowledged_at', models.DateTimeField(blank=True, null=True)),
                        ('acknowledgement_note', models.TextField(blank=True)),
                        ('event_id', models.CharField(max_length=60)),
                        ('acknowledged_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='escalations_acknowledged', to=settings.AUTH_USER_MODEL)),
                        ('case', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='escalations', to='cases.case')),
                        ('raised_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='escalations_raised', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'compliance_escalation',
                    },
                ),
                migrations.AlterField(
                    model_name='dissatisfaction',
                    name='escalation',
                    field=models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, to='cases.escalation'),
                ),
                migrations.CreateModel(
                    name='Finding',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('rule', models.CharField(max_length=40)),
                        ('event_id', models.CharField(max_length=60)),
                        ('at', models.DateTimeField()),
                        ('severity', models.CharField(choices=[('breach', 'breach'), ('warning', 'warning')], max_length=10)),
                        ('detail', models.CharField(max_length=500)),
                        ('position', models.PositiveSmallIntegerField()),
                        ('case', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='findings', to='cases.case')),
                        ('partner', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='organisations.partner')),
                    ],
                    options={
                        'db_table': 'compliance_finding',
                        'ordering': ['case', 'position'],
                    },
                ),
                migrations.CreateModel(
                    name='Obligation',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('rule', models.CharField(max_length=40)),
                        ('trigger', models.CharField(max_length=60)),
                        ('opened_at', models.DateTimeField()),
                        ('due_at', models.DateTimeField(blank=True, null=True)),
                        ('satisfied_at', models.DateTimeField(blank=True, null=True)),
                        ('satisfied_by', models.CharField(blank=True, max_length=60)),
                        ('status', models.CharField(choices=[('open', 'open'), ('overdue', 'overdue'), ('met', 'met'), ('late', 'late'), ('breached', 'breached')], max_length=10)),
                        ('target', models.CharField(blank=True, max_length=12)),
                        ('attempts_made', models.PositiveSmallIntegerField(blank=True, null=True)),
                        ('attempts_required', models.PositiveSmallIntegerField(blank=True, null=True)),
                        ('reason', models.CharField(blank=True, max_length=500)),
                        ('revision', models.PositiveSmallIntegerField()),
                        ('position', models.PositiveSmallIntegerField(help_text='Order of opening within the case.')),
                        ('evaluated_at', models.DateTimeField()),
                        ('assigned_clinician', models.ForeignKey(blank=True, help_text="The case's clinician, kept in step by the services.", null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('case', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='obligations', to='cases.case')),
                        ('partner', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, to='organisations.partner')),
                    ],
                    options={
                        'db_table': 'compliance_obligation',
                        'ordering': ['case', 'position'],
                    },
                ),
                migrations.CreateModel(
                    name='Override',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('event_ids', models.JSONField(default=list)),
                        ('findings', models.JSONField(default=list, help_text='What the engine found, in words.')),
                        ('reason', models.TextField()),
                        ('at', models.DateTimeField()),
                        ('by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, to=settings.AUTH_USER_MODEL)),
                        ('case', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='overrides', to='cases.case')),
                    ],
                    options={
                        'db_table': 'compliance_override',
                        'ordering': ['case', 'at', 'id'],
                    },
                ),
                migrations.CreateModel(
                    name='CaseEvent',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('seq', models.PositiveIntegerField(help_text='Order of recording within the case.')),
                        ('event_id', models.CharField(max_length=60)),
                        ('type', models.CharField(max_length=40)),
                        ('at', models.DateTimeField(help_text='When it happened.')),
                        ('by', models.CharField(blank=True, help_text='Who did it (username).', max_length=150)),
                        ('fields', models.JSONField(default=dict, help_text="The type's fields, as in the history.")),
                        ('recorded_at', models.DateTimeField(help_text='When it was written down.')),
                        ('case', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='events', to='cases.case')),
                    ],
                    options={
                        'db_table': 'compliance_caseevent',
                        'ordering': ['case', 'at', 'seq'],
                        'indexes': [models.Index(fields=['case', 'at', 'seq'], name='compliance__case_id_fe2740_idx')],
                        'constraints': [models.UniqueConstraint(fields=('case', 'seq'), name='case_event_seq_once'), models.UniqueConstraint(fields=('case', 'event_id'), name='case_event_id_once')],
                    },
                ),
                migrations.AddIndex(
                    model_name='escalation',
                    index=models.Index(fields=['acknowledged_at', 'raised_at'], name='compliance__acknowl_659ba6_idx'),
                ),
                migrations.AddConstraint(
                    model_name='escalation',
                    constraint=models.CheckConstraint(condition=models.Q(('acknowledged_at__isnull', True), ('acknowledged_by__isnull', False), _connector='OR'), name='escalation_acknowledged_by_someone'),
                ),
                migrations.AddIndex(
                    model_name='finding',
                    index=models.Index(fields=['partner', 'severity', 'at'], name='compliance__partner_6f2efb_idx'),
                ),
                migrations.AddConstraint(
                    model_name='finding',
                    constraint=models.UniqueConstraint(fields=('case', 'rule', 'event_id'), name='finding_once'),
                ),
                migrations.AddIndex(
                    model_name='obligation',
                    index=models.Index(fields=['partner', 'status', 'due_at'], name='obligation_queue'),
                ),
                migrations.AddIndex(
                    model_name='obligation',
                    index=models.Index(fields=['assigned_clinician', 'status', 'due_at'], name='obligation_my_queue'),
                ),
                migrations.AddIndex(
                    model_name='obligation',
                    index=models.Index(fields=['case', 'status'], name='obligation_case_status'),
                ),
                migrations.AddIndex(
                    model_name='obligation',
                    index=models.Index(condition=models.Q(('status__in', ['open', 'overdue'])), fields=['status', 'due_at'], name='obligation_unsatisfied'),
                ),
                migrations.AddConstraint(
                    model_name='obligation',
                    constraint=models.UniqueConstraint(fields=('case', 'rule', 'trigger'), name='obligation_once'),
                ),
                migrations.AddConstraint(
                    model_name='override',
                    constraint=models.CheckConstraint(condition=models.Q(('reason', ''), _negated=True), name='override_has_reason'),
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(content_types_to_cases, content_types_to_compliance),
    ]
