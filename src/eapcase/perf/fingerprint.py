"""A digest of the generated benchmark data by natural keys: the row count and a SHA-256 of
each table the generator bulk-loads, with every foreign key read as the referenced row's
natural key (a case's reference, a user's username, a Partner's code...) and no surrogate id.
Two generations with the same seed and reference time have the same fingerprint on SQLite
and PostgreSQL, whatever order or ids the loader gave the rows. For small data sets (tests,
comparing two versions of the generator): it reads every row."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

from django.db import models

from eapcase.accounts.models import User
from eapcase.cases.models import (
    Case,
    CaseEvent,
    Escalation,
    Finding,
    Note,
    Obligation,
    Participant,
    ParticipantQuery,
    Session,
)
from eapcase.organisations.models import ClientOrganisation, Partner, Provider
from eapcase.outreach.models import ContactAttempt, Email, OutreachRequest

#: The tables the generator writes in bulk.
MODELS: tuple[type[models.Model], ...] = (
    Participant, Case, CaseEvent, ContactAttempt, OutreachRequest, Email, Escalation, Note,
    Session, ParticipantQuery, Obligation, Finding,
)  # fmt: skip
#: The field that names a row of each model a foreign key can point at.
NATURAL_KEY: dict[type[models.Model], str] = {
    Case: "reference",
    Participant: "full_name",
    User: "username",
    Partner: "code",
    ClientOrganisation: "code",
    Provider: "code",
}


def _lookups(model: type[models.Model]) -> list[str]:
    names = []
    for f in model._meta.concrete_fields:
        if f.primary_key:
            continue
        if f.is_relation:
            target = f.related_model
            if target not in NATURAL_KEY:
                raise LookupError(f"{model.__name__}.{f.name}: no natural key for {target}")
            names.append(f"{f.name}__{NATURAL_KEY[target]}")  # type: ignore[index]
        else:
            names.append(f.name)
    return names


def _text(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return repr(value)


def fingerprint() -> dict[str, tuple[int, str]]:
    """{table: (rows, sha256 of its rows in sorted order)} of the default database."""
    result = {}
    for model in MODELS:
        rows = sorted(
            "\x1f".join(_text(v) for v in row)
            for row in model.objects.values_list(*_lookups(model))  # type: ignore[attr-defined]
        )
        digest = hashlib.sha256("\x1e".join(rows).encode()).hexdigest()
        result[model._meta.db_table] = (len(rows), digest)
    return result
