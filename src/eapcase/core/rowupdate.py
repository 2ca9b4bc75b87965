"""Rows of one model written in one statement run once a row (`executemany`): updated by
primary key (`rows_update`), or inserted (`rows_insert`).

Django's `bulk_update` writes the same columns but builds a `CASE WHEN id = ... THEN ...` for
every column and row, and resolving and compiling those expressions costs far more than the
database's work: a contact attempt that changed two obligations spent 40% of its time there
(issue #16 item 4). Here the SQL is one plain `UPDATE ... SET col = %s, ... WHERE pk = %s`,
built from the model's columns, and each value is prepared for the database exactly as
`bulk_update` prepares it (`Field.get_db_prep_save`, what a `Value` with that output field
compiles to), so the stored values are the same.

`bulk_create` compiles every value of every row through the insert compiler (its pre-save
hook, expression checks and placeholders, a quarter of an import's CPU: ADR 0043's addendum of
branch import3) and reads the new keys back. `rows_insert` prepares each value the same way
(`Field.get_db_prep_save`) into one plain `INSERT ... VALUES (%s, ...)`, and reads nothing back.

What `bulk_update` and `bulk_create` do and these do not: no signals, no `pre_save` (no
`auto_now`, no `auto_now_add`: refused), no field validation, no expressions as values, and
`rows_insert` leaves the rows' primary keys unset (a caller that needs them uses `bulk_create`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connections, router
from django.db.models import Field, Model


def rows_update(model: type[Model], rows: Sequence[Model], fields: Sequence[str]) -> int:
    """Write `fields` of each of `rows` (saved instances of `model`) to its row; returns how
    many rows were given. One statement, executed once a row."""
    if not rows:
        return 0
    meta = model._meta
    concrete: list[Field[Any, Any]] = []
    for name in fields:
        field = meta.get_field(name)
        if not isinstance(field, Field) or not field.concrete or field.primary_key:
            raise ValueError("rows_update writes concrete, non-key columns only")
        concrete.append(field)
    using = router.db_for_write(model)
    connection = connections[using]
    quote = connection.ops.quote_name
    columns = ", ".join(f"{quote(str(field.column))} = %s" for field in concrete)
    pk = meta.pk
    assert pk is not None
    table, key = quote(meta.db_table), quote(str(pk.column))
    sql = f"UPDATE {table} SET {columns} WHERE {key} = %s"  # noqa: S608 (the model's names)
    params = [
        [
            *(
                field.get_db_prep_save(getattr(row, field.attname), connection)
                for field in concrete
            ),
            pk.get_db_prep_value(row.pk, connection),
        ]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
    return len(params)


def rows_insert(model: type[Model], rows: Sequence[Model]) -> int:
    """Insert `rows` (new instances of `model`, their primary key left to the database) with
    every concrete column but the key; returns how many rows were given. One statement,
    executed once a row. The instances' keys stay unset."""
    if not rows:
        return 0
    meta = model._meta
    if meta.auto_field is None or meta.auto_field is not meta.pk:
        raise ValueError("rows_insert leaves the key to the database: an automatic key only")
    concrete: list[Field[Any, Any]] = []
    for field in meta.concrete_fields:
        if field.primary_key:
            continue
        if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
            # Their value is made by `pre_save`, which is not run here.
            raise ValueError("rows_insert does not fill auto_now columns")
        concrete.append(field)
    using = router.db_for_write(model)
    connection = connections[using]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(str(field.column)) for field in concrete)
    marks = ", ".join(["%s"] * len(concrete))
    sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({marks})"  # noqa: S608
    params = [
        [field.get_db_prep_save(getattr(row, field.attname), connection) for field in concrete]
        for row in rows
    ]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)
    return len(params)
