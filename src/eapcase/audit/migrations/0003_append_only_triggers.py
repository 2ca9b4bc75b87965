"""Database triggers that make the audit trail and the case history append-only: UPDATE and
DELETE are refused by the database itself, on SQLite and on PostgreSQL. TRUNCATE stays
possible (PostgreSQL test databases are flushed with it)."""

from typing import Any

from django.db import migrations

TABLES = ["audit_auditevent", "compliance_caseevent"]


def forwards(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "sqlite":
            for op in ("UPDATE", "DELETE"):
                schema_editor.execute(
                    f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
                    f"BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;"
                )
        elif vendor == "postgresql":
            schema_editor.execute(
                f"""
                CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$
                BEGIN RAISE EXCEPTION '{table} is append-only'; END; $$ LANGUAGE plpgsql;
                CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
                FOR EACH ROW EXECUTE FUNCTION {table}_append_only();
                """
            )


def backwards(apps: Any, schema_editor: Any) -> None:
    vendor = schema_editor.connection.vendor
    for table in TABLES:
        if vendor == "sqlite":
            for op in ("update", "delete"):
                schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_no_{op}")
        elif vendor == "postgresql":
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
            schema_editor.execute(f"DROP FUNCTION IF EXISTS {table}_append_only()")


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_initial"),
        ("compliance", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
