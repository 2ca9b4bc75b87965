"""Hot queries compiled once per process instead of at every request.

Django builds and compiles a queryset to SQL each time it runs: for a query with correlated
subqueries (the work queue's) that costs several times what the database takes to answer it
(issue #16: a quarter of the work queue's time went to compiling its annotated query).
`PreparedQuery` builds the queryset once per *shape* (the database, and how many values each
list parameter has), with stand-in values for the parameters, finds where those stand-ins went
in the compiled SQL's parameters, and from then on only substitutes the real values and runs the
SQL. The rows come back as `values_list` tuples, through the same converters Django applies (a
SQLite datetime becomes an aware `datetime`), so callers get what `list(queryset)` would give.

A stand-in that does not turn up exactly once among the compiled parameters (a value the ORM
transformed or folded into the SQL text) makes that shape compile at every call instead: slower,
never wrong. Parameters may be integers or lists of integers (ids), the values a page's access
predicate and owner filters need, or a text compared as it is (a case's reference: the access
gate's `cases.access.access_case`).

`PreparedObjects` does the same for a queryset of model instances (with `select_related`):
`objects(**params)` gives what `list(queryset)` gives, the instances built as Django's own
iterator builds them, without the compilation (the case page's dozen reads of one case's
rows, issue #16).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import EmptyResultSet, FullResultSet
from django.db import connections
from django.db.models import QuerySet
from django.db.models.query import ModelIterable, get_related_populators  # type: ignore[attr-defined]

#: Stand-ins for ids: negative and far from any real id, each used once per compilation.
_STAND_IN_BASE = -7_300_000_000
#: A stand-in for a text parameter (a case's reference) starts with a NUL, which no reference,
#: username or code holds; the number after it makes each one unique.
_TEXT_STAND_IN = "\x00prepared stand-in "

#: A parameter: an id, a list of ids, or a text compared as it is (`field=text`).
Param = int | str | Sequence[int]


@dataclass(frozen=True)
class _Compiled:
    sql: str
    params: tuple[Any, ...]  # the compiled parameters, stand-ins included
    slots: dict[int, tuple[str, int | None]]  # parameter position -> (name, index in a list)
    converters: dict[int, Any]  # column -> (converters, expression), as the compiler has them
    compiler: Any
    instances: _Instances | None = None  # how rows become model instances (PreparedObjects)


@dataclass(frozen=True)
class _Instances:
    """What Django's `ModelIterable` works out from a compiled query, kept for every run."""

    model: Any
    start: int
    end: int
    attnames: list[str]
    populators: list[Any]  # select_related: one per related model, reusable across rows


class PreparedQuery:
    """`build(**params)` returns a `values_list` queryset; `rows(**params)` runs it with those
    parameters, compiling the SQL only the first time a shape is seen."""

    def __init__(self, build: Callable[..., QuerySet[Any]]) -> None:
        self._build = build
        self._cache: dict[tuple[Any, ...], _Compiled | None] = {}
        self._lock = threading.Lock()

    def rows(self, using: str = "default", **params: Param) -> list[tuple[Any, ...]]:
        compiled = self._prepared(using, params)
        if compiled is None:  # this shape cannot be prepared: the ORM, every time
            return list(self._build(**params).using(using))
        return self._run(compiled, using, params)

    def _prepared(self, using: str, params: dict[str, Param]) -> _Compiled | None:
        """The compiled query of this shape (compiled now if new), or None to use the ORM."""
        connection = connections[using]
        shape = (
            using,
            connection.vendor,
            tuple(
                (name, len(value) if isinstance(value, list | tuple) else None)
                for name, value in sorted(params.items())
            ),
        )
        compiled = self._cache.get(shape)
        if compiled is None and shape not in self._cache:
            compiled = self._compile(using, params)
            with self._lock:
                self._cache[shape] = compiled
        return compiled

    def _run(
        self, compiled: _Compiled, using: str, params: dict[str, Param]
    ) -> list[tuple[Any, ...]]:
        values = list(compiled.params)
        for position, (name, index) in compiled.slots.items():
            value = params[name]
            values[position] = value[index] if index is not None else value  # type: ignore[index]
        with connections[using].cursor() as cursor:
            cursor.execute(compiled.sql, values)
            found = cursor.fetchall()
        if compiled.converters:
            return [
                tuple(row) for row in compiled.compiler.apply_converters(found, compiled.converters)
            ]
        return [tuple(row) for row in found]

    def _compile(self, using: str, params: dict[str, Param]) -> _Compiled | None:
        counter = itertools.count()
        stand_ins: dict[int | str, tuple[str, int | None]] = {}
        fake: dict[str, Any] = {}
        for name, value in sorted(params.items()):
            if isinstance(value, list | tuple):
                fake[name] = []
                for index in range(len(value)):
                    marker = _STAND_IN_BASE - next(counter)
                    stand_ins[marker] = (name, index)
                    fake[name].append(marker)
            elif isinstance(value, str):
                text = f"{_TEXT_STAND_IN}{next(counter)}"
                stand_ins[text] = (name, None)
                fake[name] = text
            else:
                marker = _STAND_IN_BASE - next(counter)
                stand_ins[marker] = (name, None)
                fake[name] = marker
        queryset = self._build(**fake)
        compiler = queryset.query.get_compiler(using)
        try:
            sql, compiled_params = compiler.as_sql()
        except (EmptyResultSet, FullResultSet):
            # A stand-in the field refuses (out of its range) folds the filter away: the ORM.
            return None
        slots: dict[int, tuple[str, int | None]] = {}
        for position, value in enumerate(compiled_params):
            if isinstance(value, int | str) and value in stand_ins:
                if position in slots or stand_ins[value] in slots.values():
                    return None
                slots[position] = stand_ins[value]
        if len(slots) != len(stand_ins):
            return None
        columns = [select[0] for select in compiler.select[: compiler.col_count]]
        converters = compiler.get_converters(columns)
        return _Compiled(
            sql=sql,
            params=tuple(compiled_params),
            slots=slots,
            converters=converters,
            compiler=compiler,
            instances=self._instances(queryset, compiler, using),
        )

    def _instances(self, queryset: Any, compiler: Any, using: str) -> _Instances | None:
        return None  # rows stay tuples


class PreparedObjects(PreparedQuery):
    """`build(**params)` returns a queryset of model instances (`select_related`, `only` and
    `defer` allowed; not annotations, `prefetch_related` nor a related manager's queryset:
    those run through the ORM every time); `objects(**params)` gives what `list(queryset)`
    would. A field left out is deferred, as Django's own iterator leaves it."""

    def objects(self, using: str = "default", **params: Param) -> list[Any]:
        compiled = self._prepared(using, params)
        if compiled is None or compiled.instances is None:
            return list(self._build(**params).using(using))
        made = compiled.instances
        found = []
        for row in self._run(compiled, using, params):
            obj = made.model.from_db(using, made.attnames, row[made.start : made.end])
            for populator in made.populators:
                populator.populate(row, obj)
            found.append(obj)
        return found

    def _instances(self, queryset: Any, compiler: Any, using: str) -> _Instances | None:
        """The layout `ModelIterable` would use, or None for a queryset it cannot repeat."""
        if (
            queryset._iterable_class is not ModelIterable
            or queryset._prefetch_related_lookups
            or queryset._known_related_objects
            or compiler.annotation_col_map
        ):
            return None
        klass_info, select = compiler.klass_info, compiler.select
        fields = klass_info["select_fields"]
        start, end = fields[0], fields[-1] + 1
        return _Instances(
            model=klass_info["model"],
            start=start,
            end=end,
            attnames=[f[0].target.attname for f in select[start:end]],
            populators=get_related_populators(klass_info, select, using),
        )
