"""Small-cell suppression of a table of counts published with its row and column totals, for
the client organisation report (ADR 0018).

A count from 1 to 4 (and any total from 1 to 4) is hidden. Then other cells are hidden
(complementary suppression) until no hidden cell can be worked out exactly from the cells
still shown and the totals: first so that no row or column (totals included) has exactly one
hidden cell, then, while linear algebra over the published sums still pins a hidden cell
down, one more cell next to it. Zero is shown: a count of nobody reveals no one. The smallest
counts are hidden first, so as little as possible is lost.

The table with its margins is an (R+1) x (C+1) grid: the last column holds the row totals,
the last row the column totals, the corner the grand total. Each row of the grid (the totals
row too) and each column (the totals column too) is one equation: its cells add up to its
total."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

Cell = tuple[int, int]

THRESHOLD = 5


@dataclass(frozen=True)
class Published:
    """The grid as published: a count, or None where it is suppressed."""

    grid: list[list[int | None]]

    @property
    def cells(self) -> list[list[int | None]]:
        return [row[:-1] for row in self.grid[:-1]]

    @property
    def row_totals(self) -> list[int | None]:
        return [row[-1] for row in self.grid[:-1]]

    @property
    def column_totals(self) -> list[int | None]:
        return self.grid[-1][:-1]

    @property
    def total(self) -> int | None:
        return self.grid[-1][-1]


def with_totals(cells: Sequence[Sequence[int]]) -> list[list[int]]:
    """The grid: the cells, each row's total at its end, the column totals below."""
    width = len(cells[0]) if cells else 0
    grid = [[*row, sum(row)] for row in cells]
    grid.append([sum(row[j] for row in grid) for j in range(width + 1)])
    return grid


def equations(rows: int, columns: int) -> list[list[Cell]]:
    """Every line of an rows x columns grid (margins included): each adds up to its total,
    which is its last cell."""
    lines = [[(i, j) for j in range(columns)] for i in range(rows)]
    lines += [[(i, j) for i in range(rows)] for j in range(columns)]
    return lines


def _coefficients(line: list[Cell]) -> dict[Cell, int]:
    # Parts count +1, the line's total (its last cell) -1: the line sums to zero.
    return {cell: (-1 if index == len(line) - 1 else 1) for index, cell in enumerate(line)}


def recoverable(grid: Sequence[Sequence[int]], hidden: set[Cell]) -> set[Cell]:
    """The hidden cells whose value follows exactly from the shown cells and the lines' sums
    (the unit vector of the cell lies in the row space of the lines restricted to the hidden
    cells). Gaussian elimination over the rationals."""
    rows, columns = len(grid), len(grid[0])
    order = sorted(hidden)
    index = {cell: k for k, cell in enumerate(order)}
    basis: list[tuple[int, list[Fraction]]] = []  # (pivot, reduced row)
    for line in equations(rows, columns):
        vector = [Fraction(0)] * len(order)
        for cell, sign in _coefficients(line).items():
            if cell in index:
                vector[index[cell]] = Fraction(sign)
        _reduce_into(basis, vector)
    found = set()
    for cell in order:
        unit = [Fraction(0)] * len(order)
        unit[index[cell]] = Fraction(1)
        if not any(_reduced(basis, unit)):
            found.add(cell)
    return found


def _reduced(basis: list[tuple[int, list[Fraction]]], vector: list[Fraction]) -> list[Fraction]:
    vector = list(vector)
    for pivot, row in basis:
        if vector[pivot]:
            factor = vector[pivot] / row[pivot]
            vector = [v - factor * r for v, r in zip(vector, row, strict=True)]
    return vector


def _reduce_into(basis: list[tuple[int, list[Fraction]]], vector: list[Fraction]) -> None:
    vector = _reduced(basis, vector)
    pivot = next((k for k, v in enumerate(vector) if v), None)
    if pivot is None:
        return
    # Keep the basis fully reduced so that one pass of _reduced suffices.
    for k, (p, row) in enumerate(basis):
        if row[pivot]:
            factor = row[pivot] / vector[pivot]
            basis[k] = (p, [r - factor * v for r, v in zip(row, vector, strict=True)])
    basis.append((pivot, vector))


def suppress(cells: Sequence[Sequence[int]], threshold: int = THRESHOLD) -> Published:
    """Publish a table of counts with its totals, hiding what must be hidden."""
    grid = with_totals(cells)
    rows, columns = len(grid), len(grid[0])
    hidden = {(i, j) for i in range(rows) for j in range(columns) if 0 < grid[i][j] < threshold}
    lines = equations(rows, columns)
    while True:
        lone = next((line for line in lines if sum(c in hidden for c in line) == 1), None)
        if lone is not None:
            hidden.add(_cheapest(grid, [c for c in lone if c not in hidden]))
            continue
        exposed = recoverable(grid, hidden) if hidden else set()
        if not exposed:
            break
        cell = min(exposed)
        around = [c for line in lines if cell in line for c in line if c not in hidden]
        if not around:
            around = [(i, j) for i in range(rows) for j in range(columns) if (i, j) not in hidden]
        hidden.add(_cheapest(grid, around))
    return Published(
        [[None if (i, j) in hidden else grid[i][j] for j in range(columns)] for i in range(rows)]
    )


def _cheapest(grid: Sequence[Sequence[int]], candidates: list[Cell]) -> Cell:
    """The candidate whose hiding loses least: an inner cell before a total, then the
    smallest count (a zero last: hiding it protects little), then the first."""
    rows, columns = len(grid), len(grid[0])

    def cost(cell: Cell) -> tuple[int, int, int, Cell]:
        i, j = cell
        total = int(i == rows - 1 or j == columns - 1)
        value = grid[i][j]
        return (total, int(value == 0), value, cell)

    return min(candidates, key=cost)
