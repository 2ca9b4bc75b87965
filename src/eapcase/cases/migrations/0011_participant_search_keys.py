"""Search keys of participants (ADR 0039): the columns, their indexes, the keys of the rows
already there, and on PostgreSQL a trigram index that lets a partial name be found without
reading every row (skipped where the pg_trgm extension cannot be created)."""

from typing import Any

from django.db import DatabaseError, migrations, models, transaction

from eapcase.core import searchkeys

BATCH = 2000


def fill_keys(apps: Any, schema_editor: Any) -> None:
    Participant = apps.get_model("cases", "Participant")
    rows = Participant.objects.using(schema_editor.connection.alias).order_by("pk")
    last = 0
    while True:
        batch = list(rows.filter(pk__gt=last)[:BATCH])
        if not batch:
            return
        for p in batch:
            p.name_key = searchkeys.name_key(p.full_name, p.preferred_name)[:320]
            p.phone_digits = searchkeys.phone_key(p.phone)[:40]
            p.phone_tail = searchkeys.phone_tail(p.phone)
            p.email_key = searchkeys.email_key(p.email)[:254]
            p.employee_key = searchkeys.employee_key(p.employee_number)[:40]
        Participant.objects.using(schema_editor.connection.alias).bulk_update(
            batch, ["name_key", "phone_digits", "phone_tail", "email_key", "employee_key"]
        )
        last = batch[-1].pk


def trigram_index(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
        if cursor.fetchone() is None:
            return
    try:
        # A role that may not create extensions keeps the plain scan (still correct).
        with transaction.atomic(using=schema_editor.connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except DatabaseError:
        return
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS participant_name_key_trgm "
        "ON cases_participant USING gin (name_key gin_trgm_ops)"
    )


def drop_trigram_index(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS participant_name_key_trgm")


class Migration(migrations.Migration):

    dependencies = [
        ("cases", "0010_case_version"),
        ('organisations', '0002_caselife'),
    ]

    operations = [
        migrations.AddField(
            model_name='participant',
            name='email_key',
            field=models.CharField(blank=True, db_default='', editable=False, max_length=254),
        ),
        migrations.AddField(
            model_name='participant',
            name='employee_key',
            field=models.CharField(blank=True, db_default='', editable=False, max_length=40),
        ),
        migrations.AddField(
            model_name='participant',
            name='name_key',
            field=models.CharField(blank=True, db_default='', editable=False, max_length=320),
        ),
        migrations.AddField(
            model_name='participant',
            name='phone_digits',
            field=models.CharField(blank=True, db_default='', editable=False, max_length=40),
        ),
        migrations.AddField(
            model_name='participant',
            name='phone_tail',
            field=models.CharField(blank=True, db_default='', editable=False, max_length=9),
        ),
        migrations.AddIndex(
            model_name='participant',
            index=models.Index(fields=['phone_tail'], name='participant_phone_tail'),
        ),
        migrations.AddIndex(
            model_name='participant',
            index=models.Index(fields=['email_key'], name='participant_email_key'),
        ),
        migrations.AddIndex(
            model_name='participant',
            index=models.Index(fields=['employee_key'], name='participant_employee_key'),
        ),
        migrations.RunPython(fill_keys, migrations.RunPython.noop, elidable=True),
        migrations.RunPython(trigram_index, drop_trigram_index),
    ]
