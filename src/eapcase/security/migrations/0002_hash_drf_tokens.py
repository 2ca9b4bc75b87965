"""DRF's `authtoken` kept keys in the clear. Each one becomes an ApiToken holding only the key's
SHA-256 (integrations keep working with the same key, read-write as before, for the usual
lifetime from today), and the clear keys are deleted. The authtoken app is no longer installed,
so its table is read with plain SQL when an older database has it."""

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import migrations


def hash_drf_tokens(apps: Any, schema_editor: Any) -> None:
    connection = schema_editor.connection
    if "authtoken_token" not in connection.introspection.table_names():
        return
    ApiToken = apps.get_model("security", "ApiToken")
    now = datetime.now(UTC)
    expires = now + timedelta(days=settings.EAPCASE_API_TOKEN_DAYS)
    with connection.cursor() as cursor:
        cursor.execute("SELECT key, user_id FROM authtoken_token")
        rows = cursor.fetchall()
        for key, user_id in rows:
            ApiToken.objects.create(
                user_id=user_id,
                name="Token from before hashing",
                prefix=key[:8],
                digest=hashlib.sha256(key.encode()).hexdigest(),
                read_only=False,
                created_at=now,
                expires_at=expires,
            )
        cursor.execute("DELETE FROM authtoken_token")


class Migration(migrations.Migration):
    dependencies = [("security", "0001_initial")]

    operations = [migrations.RunPython(hash_drf_tokens, migrations.RunPython.noop)]
