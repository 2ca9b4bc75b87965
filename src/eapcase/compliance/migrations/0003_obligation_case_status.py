# The work queue reads a clinician's cases, then their unsatisfied obligations (perf, issue #7).

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("compliance", "0002_override"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="obligation",
            index=models.Index(fields=["case", "status"], name="obligation_case_status"),
        ),
    ]
