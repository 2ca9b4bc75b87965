"""Long lists on the pages: sorting by a column the page allows, and paging, both kept in the URL
so that a view of a list can be bookmarked and shared (docs/adr/0017-lists.md).

- `Sort.from_query(value, columns, default)` reads `?sort=raised` (ascending) or
  `?sort=-raised` (descending) against a whitelist of columns; anything else falls back to the
  default, so a hand-edited URL never reaches the ORM. `sort.order_by` is the ORDER BY, ending
  in the primary key so that paging is stable; `sort.headers[key]` tells a template how to
  draw that column's header (its `aria-sort`, the value a click asks for, an arrow).
- `window_page(rows, number, per_page)` is one page of a queryset and the total, read in ONE
  query (a window count beside each row) rather than Django's Paginator's two: pages that
  assert a fixed number of queries keep it. Only a page number past the end costs a second
  query, to find the last page.

- `open_page(rows, number, per_page)` is one page of a queryset without the total: it reads
  one row more than the page, to know whether there is a next one. For lists that only grow
  and are read from their newest end (WPO's acknowledged escalations, 152,858 at 1,000,000
  cases), where counting them all at every view cost more than the rest of the list. Its
  pager says "Newer" and "Older" and the page's number, not how many pages there are.

Templates draw sortable headers with `web/partials/sort_th.html` and the pager with
`web/partials/pager.html`; both build their links with Django's `{% querystring %}`, which
keeps every other parameter (filters) of the current URL.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from math import ceil
from typing import Any

from django.core.exceptions import EmptyResultSet
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL


@dataclass(frozen=True)
class Header:
    """How to draw one sortable column's header."""

    aria: str  # "ascending", "descending" or "none" (aria-sort)
    next: str  # the `sort` value a click on the header asks for
    arrow: str  # "▲", "▼" or ""


@dataclass(frozen=True)
class Sort:
    key: str
    descending: bool
    columns: Mapping[str, Sequence[str]] = field(repr=False)

    @classmethod
    def from_query(
        cls, value: str | None, columns: Mapping[str, Sequence[str]], default: str
    ) -> Sort:
        """`value` as `key` or `-key` when `key` is one of `columns`, else `default`."""
        for candidate in (value or "", default):
            key = candidate.removeprefix("-")
            if key in columns:
                return cls(key=key, descending=candidate.startswith("-"), columns=columns)
        raise ValueError(f"the default sort {default!r} is not one of the columns")

    @property
    def param(self) -> str:
        return f"-{self.key}" if self.descending else self.key

    @property
    def order_by(self) -> list[str]:
        """The column's fields in the chosen direction, then the primary key."""
        fields = list(self.columns[self.key])
        if self.descending:
            fields = [f.removeprefix("-") if f.startswith("-") else f"-{f}" for f in fields]
        return [*fields, "-pk" if self.descending else "pk"]

    @property
    def headers(self) -> dict[str, Header]:
        found = {}
        for key in self.columns:
            if key != self.key:
                found[key] = Header(aria="none", next=key, arrow="")
            elif self.descending:
                found[key] = Header(aria="descending", next=key, arrow="▼")
            else:
                found[key] = Header(aria="ascending", next=f"-{key}", arrow="▲")
        return found


@dataclass
class WindowPage:
    """A page of rows, shaped like Django's `Page` for the templates."""

    object_list: list[Any]
    number: int
    per_page: int
    count: int

    @property
    def num_pages(self) -> int:
        return max(1, ceil(self.count / self.per_page))

    def has_next(self) -> bool:
        return self.number < self.num_pages

    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.num_pages > 1

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1

    def start_index(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.count else 0

    def end_index(self) -> int:
        return min(self.number * self.per_page, self.count)

    def __iter__(self) -> Any:
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)


def page_number(value: Any) -> int:
    """`?page=` as a number from 1; anything else is page 1."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return 1
    return max(number, 1)


def window_page(
    rows: QuerySet[Any],
    number: Any,
    per_page: int,
    row: Callable[[Any], Any] | None = None,
) -> WindowPage:
    """Page `number` of `rows` (already ordered) and the total, in one query; `row` turns each
    model object into what the template shows.

    The total is a scalar subquery counting the same rows, which the database evaluates once:
    a window count (`COUNT(*) OVER ()`) made it build every row, joins and all, before
    keeping a page of them, where an ordered index can now stop after the page (WPO's
    waiting escalations at 1,000,000 cases: 884 rows joined to five tables for 25 shown)."""
    wanted = page_number(number)
    try:
        inner, params = rows.order_by().values("pk").query.sql_with_params()
    except EmptyResultSet:  # a filter that matches nothing (no Partner): no query at all
        return WindowPage(object_list=[], number=1, per_page=per_page, count=0)
    # The ORM's own SQL for the same rows, its values kept as parameters.
    count_sql = f"SELECT COUNT(*) FROM ({inner}) list_rows"  # noqa: S608
    counted = rows.annotate(list_total=RawSQL(count_sql, params))  # noqa: S611
    found = list(counted[(wanted - 1) * per_page : wanted * per_page])
    if not found and wanted > 1:
        wanted = max(1, ceil(rows.count() / per_page))
        found = list(counted[(wanted - 1) * per_page : wanted * per_page])
    total = found[0].list_total if found else 0
    items: Iterable[Any] = map(row, found) if row is not None else found
    return WindowPage(object_list=list(items), number=wanted, per_page=per_page, count=total)


@dataclass
class OpenPage:
    """A page of rows whose total is not counted: shaped like Django's `Page` for the pager's
    links (`has_previous`, `has_next` and their numbers), with no `count` or `num_pages`."""

    object_list: list[Any]
    number: int
    per_page: int
    more: bool  # whether a row follows the page

    def has_next(self) -> bool:
        return self.more

    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.more or self.number > 1

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1

    def __iter__(self) -> Any:
        return iter(self.object_list)

    def __len__(self) -> int:
        return len(self.object_list)


def open_page(rows: QuerySet[Any], number: Any, per_page: int) -> OpenPage:
    """Page `number` of `rows` (already ordered), one query of at most `per_page + 1` rows,
    the database stopping after them on an ordered index. A page past the end is empty (its
    pager still leads back)."""
    wanted = page_number(number)
    start = (wanted - 1) * per_page
    found = list(rows[start : start + per_page + 1])
    return OpenPage(
        object_list=found[:per_page], number=wanted, per_page=per_page, more=len(found) > per_page
    )
