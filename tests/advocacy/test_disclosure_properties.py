"""Disclosure control by property: for random tables, no published count is below the threshold, and no
suppressed count follows from the published cells and totals by linear equations (checked with linear
algebra, independently of the graph argument the code uses); the same table twice is protected the same."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ferry.advocacy.disclosure import extended, protect

THRESHOLD = 10


def tables() -> st.SearchStrategy[list[list[int]]]:
    # Many small counts and zeros, some large ones: the tables that are hard to protect.
    count = st.one_of(st.just(0), st.integers(1, 9), st.integers(10, 60))
    return st.integers(1, 6).flatmap(
        lambda rows: st.integers(1, 6).flatmap(
            lambda columns: st.lists(st.lists(count, min_size=columns, max_size=columns), min_size=rows, max_size=rows)
        )
    )


def determined(table: list[list[int]], hidden: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """The hidden cells whose value the published figures fix: each extended row and column sums to zero
    (totals with their sign flipped), published cells are constants, hidden cells unknowns. A cell is fixed
    when its unit vector lies in the row space of the equations."""
    height, width = len(table), len(table[0])
    unknowns = sorted(hidden)
    index = {cell: n for n, cell in enumerate(unknowns)}
    # One equation per extended row and per extended column, over the unknowns in it. The totals' flipped
    # sign multiplies an unknown's column of the matrix by -1, which changes no rank: left out.
    lines = [[1.0 if cell[0] == i else 0.0 for cell in unknowns] for i in range(height)]
    lines += [[1.0 if cell[1] == j else 0.0 for cell in unknowns] for j in range(width)]
    matrix = np.array(lines)
    rank = np.linalg.matrix_rank(matrix) if unknowns else 0
    fixed = set()
    for cell in unknowns:
        unit = np.zeros(len(unknowns))
        unit[index[cell]] = 1.0
        if np.linalg.matrix_rank(np.vstack([matrix, unit])) == rank:
            fixed.add(cell)
    return fixed


@settings(max_examples=300, deadline=None)
@given(tables())
def test_no_small_count_is_published_and_none_hidden_can_be_worked_out(cells: list[list[int]]) -> None:
    protected = protect(cells, threshold=THRESHOLD)
    table = extended(cells)
    published = [[*row, total] for row, total in zip(protected.cells, protected.row_totals, strict=True)]
    published.append([*protected.column_totals, protected.total])
    # No count from 1 to k - 1 is published, inner cell or total; every published figure is the true one.
    for i, row in enumerate(published):
        for j, value in enumerate(row):
            assert value is None or value == 0 or value >= THRESHOLD
            assert value is None or value == table[i][j]
    hidden = {(i, j) for i, row in enumerate(published) for j, value in enumerate(row) if value is None}
    assert determined(table, hidden) == set()
    # The same table twice: the same cells hidden.
    assert protect(cells, threshold=THRESHOLD).suppressed == protected.suppressed


def test_the_linear_check_sees_a_cell_that_can_be_worked_out() -> None:
    # A self-test: hide one small cell alone and the check must find it.
    cells = [[3, 20], [15, 30]]
    assert determined(extended(cells), {(0, 0)}) == {(0, 0)}
    assert determined(extended(cells), {(0, 0), (0, 1), (1, 0), (1, 1)}) == set()
