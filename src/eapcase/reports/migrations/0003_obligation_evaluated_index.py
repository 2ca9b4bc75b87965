"""An index on compliance_obligation.evaluated_at, which the facts' catch-up reads to find the
cases re-evaluated since its mark. Created here by SQL rather than on the Obligation model, so
that the reports' needs stay in the reports app (ADR 0017); the same statement works on SQLite
and PostgreSQL."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0002_compliance_day"),
        ("compliance", "0004_obligation_assigned_clinician"),
    ]

    operations = [
        migrations.RunSQL(
            "CREATE INDEX IF NOT EXISTS reports_obligation_evaluated "
            "ON compliance_obligation (evaluated_at)",
            "DROP INDEX IF EXISTS reports_obligation_evaluated",
        )
    ]
