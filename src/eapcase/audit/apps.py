"""Append-only, hash-chained audit trail written by the services."""

from typing import Any

from django.apps import AppConfig
from django.db.models.signals import pre_migrate


def _key_before_migrate(sender: Any, **kwargs: Any) -> None:
    # The first `migrate` of an installation (and so the first `make run`) makes the key the
    # chain is signed with, before any migration can write a row (ADR 0035).
    from eapcase.audit.keys import audit_key_create

    audit_key_create()


class AuditConfig(AppConfig):
    name = "eapcase.audit"
    label = "audit"

    def ready(self) -> None:
        pre_migrate.connect(
            _key_before_migrate, sender=self, dispatch_uid="eapcase.audit.key_before_migrate"
        )
