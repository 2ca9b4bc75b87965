"""Small-cell suppression of the client report: every count from 1 to 4 is hidden, and no
hidden cell can be worked out exactly from the published cells and totals. The check of
recoverability here is written independently of the module's (plain Gauss-Jordan over the
rationals on the system "each row and column adds up to its total")."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from eapcase.reports.suppression import suppress, with_totals

small_counts = st.one_of(st.integers(0, 4), st.integers(5, 40))
tables = st.integers(1, 5).flatmap(
    lambda columns: st.lists(
        st.lists(small_counts, min_size=columns, max_size=columns), min_size=1, max_size=6
    )
)


def _determined(grid: list[list[int | None]]) -> set[tuple[int, int]]:
    """Hidden cells (None) whose value the published grid fixes exactly."""
    rows, columns = len(grid), len(grid[0])
    unknowns = [(i, j) for i in range(rows) for j in range(columns) if grid[i][j] is None]
    if not unknowns:
        return set()
    col = {cell: k for k, cell in enumerate(unknowns)}
    system: list[list[Fraction]] = []
    lines = [[(i, j) for j in range(columns)] for i in range(rows)]
    lines += [[(i, j) for i in range(rows)] for j in range(columns)]
    for line in lines:
        coefficients = [Fraction(0)] * len(unknowns)
        for position, cell in enumerate(line):
            if cell in col:
                coefficients[col[cell]] = Fraction(-1 if position == len(line) - 1 else 1)
        system.append(coefficients)
    # Reduced row echelon form.
    pivots: list[int] = []
    row = 0
    for c in range(len(unknowns)):
        pick = next((r for r in range(row, len(system)) if system[r][c] != 0), None)
        if pick is None:
            continue
        system[row], system[pick] = system[pick], system[row]
        lead = system[row][c]
        system[row] = [v / lead for v in system[row]]
        for r in range(len(system)):
            if r != row and system[r][c] != 0:
                factor = system[r][c]
                system[r] = [a - factor * b for a, b in zip(system[r], system[row], strict=True)]
        pivots.append(c)
        row += 1
    # A cell is determined when a row of the RREF has its only non-zero at that cell.
    found = set()
    for r in range(row):
        nonzero = [c for c, v in enumerate(system[r]) if v != 0]
        if len(nonzero) == 1:
            found.add(unknowns[nonzero[0]])
    return found


@settings(max_examples=300, deadline=None)
@given(tables)
def test_no_hidden_cell_can_be_recovered_from_the_published_cells_and_totals(cells) -> None:
    published = suppress(cells).grid
    full = with_totals(cells)
    for i, row in enumerate(full):
        for j, value in enumerate(row):
            if 0 < value < 5:
                assert published[i][j] is None, (i, j)
            if published[i][j] is not None:
                assert published[i][j] == value
    assert _determined(published) == set()
    # The weaker, classic form: a row or column with a hidden cell has another one hidden.
    rows, columns = len(full), len(full[0])
    for i in range(rows):
        assert sum(v is None for v in published[i]) != 1
    for j in range(columns):
        assert sum(published[i][j] is None for i in range(rows)) != 1


def test_a_table_of_large_counts_is_published_whole() -> None:
    assert suppress([[10, 12], [7, 30]]).grid == [[10, 12, 22], [7, 30, 37], [17, 42, 59]]


def test_a_single_small_cell_takes_three_others_with_it() -> None:
    grid = suppress([[10, 3], [8, 9], [20, 6]]).grid
    assert grid[0][1] is None
    assert sum(v is None for row in grid for v in row) == 4
    assert grid[-1][-1] == 56
