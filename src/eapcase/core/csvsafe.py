"""CSV for people who open it in a spreadsheet: every CSV the project writes goes through here.

A cell that begins with = + - @ (or a tab or carriage return, which some spreadsheets skip
before reading a formula) is run as a formula when the file is opened: a participant's name
"=HYPERLINK(...)" becomes a link that sends data away (CSV injection, OWASP). Such text cells
get a leading apostrophe, which spreadsheets show as text and do not display. Numbers are
written as numbers: -5 is a value, not a formula."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


def escape_formula(value: Any) -> Any:
    """The cell as it is safe to write: text starting like a formula with an apostrophe in
    front; anything else (numbers, dates, None) unchanged for csv to format."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


class SafeWriter:
    """csv.writer whose rows have every cell passed through `escape_formula`."""

    def __init__(self, out: _Writable, **options: Any) -> None:
        self._writer = csv.writer(out, **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([escape_formula(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class SafeDictWriter(csv.DictWriter):  # type: ignore[type-arg]
    """csv.DictWriter whose values (and header) pass through `escape_formula`."""

    def writeheader(self) -> Any:
        return self.writer.writerow([escape_formula(name) for name in self.fieldnames])

    def _dict_to_list(self, rowdict: Mapping[str, Any]) -> Any:
        return [escape_formula(cell) for cell in super()._dict_to_list(rowdict)]  # type: ignore[misc]


def writer(out: _Writable, **options: Any) -> SafeWriter:
    """Use instead of `csv.writer`."""
    return SafeWriter(out, **options)


def dict_writer(out: _Writable, fieldnames: list[str], **options: Any) -> SafeDictWriter:
    """Use instead of `csv.DictWriter`."""
    return SafeDictWriter(out, fieldnames, **options)
