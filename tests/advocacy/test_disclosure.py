"""Secondary suppression holds against an attacker who has the published table and its totals: checked by
exact linear algebra (a hidden cell is recoverable if its unit vector lies in the row space of the totals'
equations) and by brute force (every non-negative table consistent with what is published)."""

from __future__ import annotations

import random
from fractions import Fraction
from typing import Any

import pytest

from ferry.advocacy.disclosure import (
    MINIMUM_THRESHOLD,
    Protected,
    ThresholdTooLow,
    bridges,
    extended,
    protect,
    random_round,
    round_to_base,
)


def _published(result: Protected) -> list[list[int | None]]:
    rows = [[*row, total] for row, total in zip(result.cells, result.row_totals, strict=True)]
    return [*rows, [*result.column_totals, result.total]]


def recoverable(result: Protected) -> set[tuple[int, int]]:
    """Hidden cells an attacker solves exactly from the published values (Gaussian elimination in fractions)."""
    table = _published(result)
    height, width = len(table), len(table[0])
    hidden = sorted((i, j) for i in range(height) for j in range(width) if table[i][j] is None)
    index = {cell: n for n, cell in enumerate(hidden)}
    # Each inner row: cells - row total = 0; each column: cells - column total = 0; totals row and column too.
    equations: list[list[Fraction]] = []
    for i in range(height - 1):
        row = [Fraction(0)] * len(hidden)
        for j in range(width):
            sign = -1 if j == width - 1 else 1
            if (i, j) in index:
                row[index[i, j]] += sign
        equations.append(row)
    for j in range(width - 1):
        row = [Fraction(0)] * len(hidden)
        for i in range(height):
            sign = -1 if i == height - 1 else 1
            if (i, j) in index:
                row[index[i, j]] += sign
        equations.append(row)
    last = [Fraction(0)] * len(hidden)  # row totals add up to the grand total
    for i in range(height):
        if (i, width - 1) in index:
            last[index[i, width - 1]] += 1 if i < height - 1 else -1
    equations.append(last)
    basis = _row_reduced(equations)
    found = set()
    for cell, n in index.items():
        unit = [Fraction(int(k == n)) for k in range(len(hidden))]
        if _rank([*basis, unit]) == _rank(basis):
            found.add(cell)
    return found


def _row_reduced(rows: list[list[Fraction]]) -> list[list[Fraction]]:
    rows = [r[:] for r in rows if any(r)]
    reduced: list[list[Fraction]] = []
    width = len(rows[0]) if rows else 0
    for column in range(width):
        pivot = next((r for r in rows if r[column] != 0), None)
        if pivot is None:
            continue
        rows.remove(pivot)
        pivot = [v / pivot[column] for v in pivot]
        rows = [[a - r[column] * b for a, b in zip(r, pivot, strict=True)] for r in rows]
        reduced = [[a - r[column] * b for a, b in zip(r, pivot, strict=True)] for r in reduced]
        reduced.append(pivot)
    return reduced


def _rank(rows: list[list[Fraction]]) -> int:
    return len(_row_reduced(rows))


def alternatives(result: Protected, true: list[list[int]], bound: int) -> dict[tuple[int, int], set[int]]:
    """Every value each hidden cell takes over all non-negative integer tables (entries up to `bound`) that
    agree with everything published."""
    table = _published(result)
    height, width = len(table), len(table[0])
    inner_hidden = [(i, j) for i in range(height - 1) for j in range(width - 1) if table[i][j] is None]
    seen: dict[tuple[int, int], set[int]] = {
        (i, j): set() for i in range(height) for j in range(width) if table[i][j] is None
    }
    values: dict[tuple[int, int], int] = {}

    def value(i: int, j: int) -> int:
        known = table[i][j]
        return known if known is not None else values[i, j]

    def consistent() -> bool:
        rows = [sum(value(i, j) for j in range(width - 1)) for i in range(height - 1)]
        columns = [sum(value(i, j) for i in range(height - 1)) for j in range(width - 1)]
        total = sum(rows)
        for i, s in enumerate(rows):
            if table[i][width - 1] is not None and table[i][width - 1] != s:
                return False
        for j, s in enumerate(columns):
            if table[height - 1][j] is not None and table[height - 1][j] != s:
                return False
        if table[height - 1][width - 1] is not None and table[height - 1][width - 1] != total:
            return False
        for i, s in enumerate(rows):
            if (i, width - 1) in seen:
                seen[i, width - 1].add(s)
        for j, s in enumerate(columns):
            if (height - 1, j) in seen:
                seen[height - 1, j].add(s)
        if (height - 1, width - 1) in seen:
            seen[height - 1, width - 1].add(total)
        for cell in inner_hidden:
            seen[cell].add(values[cell])
        return True

    def search(n: int) -> None:
        if n == len(inner_hidden):
            consistent()
            return
        i, j = inner_hidden[n]
        for v in range(bound + 1):
            values[i, j] = v
            # Prune a row whose known total is already exceeded.
            known_total = table[i][width - 1]
            if (
                known_total is not None
                and sum(
                    values.get((i, k), table[i][k] or 0)
                    for k in range(width - 1)
                    if (i, k) in values or table[i][k] is not None
                )
                > known_total
            ):
                break
            search(n + 1)
        del values[i, j]

    search(0)
    assert all(true[i][j] in seen[i, j] for (i, j) in inner_hidden), "the true table must be among the solutions"
    return seen


CASES: list[tuple[str, list[list[int]]]] = [
    ("one small cell", [[20, 30, 3], [25, 40, 50], [30, 12, 18]]),
    ("one non-zero cell in a row", [[0, 4, 0], [20, 30, 40], [15, 25, 35]]),
    ("zeros around a small cell", [[0, 0, 2], [0, 30, 40], [15, 0, 35]]),
    ("small row total", [[1, 2, 1], [20, 30, 40], [15, 25, 35]]),
    ("small column", [[2, 30, 40], [1, 25, 35], [3, 20, 50]]),
    ("two rows", [[3, 20, 30], [40, 2, 25]]),
    ("everything small", [[1, 2], [3, 1]]),
]


@pytest.mark.parametrize(("name", "table"), CASES, ids=[c[0] for c in CASES])
def test_no_suppressed_cell_can_be_worked_back_from_the_totals(name: str, table: list[list[int]]) -> None:
    result = protect(table, threshold=MINIMUM_THRESHOLD)
    full = extended(table)
    # Every count from 1 to the threshold - 1 is hidden, totals included
    assert result.primary == {
        (i, j) for i, row in enumerate(full) for j, v in enumerate(row) if 0 < v < MINIMUM_THRESHOLD
    }
    # Exact algebra: no hidden cell is determined
    assert recoverable(result) == set()
    # Brute force: each hidden primary cell takes at least two values among the tables an attacker cannot rule out
    seen = alternatives(result, table, bound=max(max(row) for row in table) + 10)
    for cell in result.primary:
        assert len(seen[cell]) >= 2, (name, cell, seen[cell])


def test_the_algebra_check_catches_a_pattern_that_leaks() -> None:
    # Hiding one cell alone: its row total gives it away (the checks above must be able to fail).
    leaky = Protected(
        cells=[[None, 30], [20, 40]], row_totals=[33, 60], column_totals=[23, 70], total=93, primary={(0, 0)}
    )
    assert recoverable(leaky) == {(0, 0)}
    assert bridges({(0, 0)}, 3, 3) == {(0, 0)}


@pytest.mark.parametrize("seed", range(25))
def test_random_tables_are_protected(seed: int) -> None:
    rng = random.Random(seed)
    rows, columns = rng.randint(2, 5), rng.randint(2, 6)
    table = [[rng.choice([0, 0, 1, 2, 3, 4, 6, 9, 15, 40]) for _ in range(columns)] for _ in range(rows)]
    result = protect(table, threshold=10)
    assert recoverable(result) == set()
    assert all(0 < extended(table)[i][j] < 10 for (i, j) in result.primary)
    # What is published is the truth wherever it is shown
    shown = _published(result)
    full = extended(table)
    assert all(shown[i][j] in (None, full[i][j]) for i in range(len(full)) for j in range(len(full[0])))


def test_thresholds_below_five_are_refused_and_bad_tables_too() -> None:
    with pytest.raises(ThresholdTooLow):
        protect([[1, 2], [3, 4]], threshold=4)
    with pytest.raises(ValueError, match="same number of columns"):
        protect([[1, 2], [3]])
    with pytest.raises(ValueError, match="never negative"):
        protect([[1, -2], [3, 4]])


def test_rounding_is_deterministic_and_unbiased() -> None:
    assert [round_to_base(v) for v in (0, 2, 3, 7, 8, 12)] == [0, 0, 5, 5, 10, 10]
    assert random_round(7, 3, 0.0) == 9
    assert random_round(7, 3, 0.5) == 6
    assert random_round(9, 3, 0.99) == 9
    rng = random.Random(1)
    draws = [random_round(7, 3, rng.random()) for _ in range(30_000)]
    assert set(draws) == {6, 9}
    assert abs(sum(draws) / len(draws) - 7) < 0.05


def _unused(*_args: Any) -> None: ...
