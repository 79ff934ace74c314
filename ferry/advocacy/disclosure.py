"""Disclosure control for a two-way table of counts published with its row, column and grand totals:
small cells suppressed (primary), more cells suppressed so that none of them can be worked back out of
the totals (secondary), and optional rounding. Pure functions on plain numbers; no database, no keys.

Why the check is a graph problem. Publish a table with its margins and hide some cells. Put the margins
into the table as one more row and one more column with their signs flipped (y[i][c] = -row total,
y[r][j] = -column total, y[r][c] = grand total): then every row and every column of the extended table
sums to zero. The hidden cells are the edges of a bipartite graph between row nodes and column nodes, and
the tables that agree with everything published differ from the true one by a combination of
alternating cycles of hidden edges. So a hidden cell can be worked out exactly if and only if its edge
lies on no cycle: if it is a bridge. Secondary suppression adds hidden cells until no hidden edge is a
bridge, choosing the cheapest non-zero cells (a hidden zero protects little: the reader knows no count is
negative, which can pin a partner cell to one end of its range). tests/advocacy/test_disclosure.py checks
the result against an attacker who enumerates every non-negative table consistent with what is published.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

# Statistics offices use 10; Ferry refuses anything below 5.
DEFAULT_THRESHOLD = 10
MINIMUM_THRESHOLD = 5

Cell = tuple[int, int]  # (row, column) in the extended table; row == rows is the column totals' row


class ThresholdTooLow(ValueError):
    """A threshold below the minimum was asked for."""


@dataclass
class Protected:
    """A table ready to publish: `cells[i][j]` is a count or None (suppressed), the same for the totals."""

    cells: list[list[int | None]]
    row_totals: list[int | None]
    column_totals: list[int | None]
    total: int | None
    primary: set[Cell] = field(default_factory=set)
    secondary: set[Cell] = field(default_factory=set)

    @property
    def suppressed(self) -> set[Cell]:
        return self.primary | self.secondary


def extended(cells: Sequence[Sequence[int]]) -> list[list[int]]:
    """The table with its row totals as a last column, column totals as a last row, and the grand total."""
    rows = [list(row) for row in cells]
    width = len(rows[0]) if rows else 0
    if any(len(row) != width for row in rows):
        raise ValueError("every row needs the same number of columns")
    if any(value < 0 for row in rows for value in row):
        raise ValueError("counts are never negative")
    table = [[*row, sum(row)] for row in rows]
    table.append([sum(row[j] for row in rows) for j in range(width)] + [sum(map(sum, rows))])
    return table


def bridges(suppressed: set[Cell], rows: int, columns: int) -> set[Cell]:
    """The hidden cells that lie on no cycle of hidden cells: each of them can be worked out exactly."""
    adjacency: dict[tuple[str, int], list[tuple[tuple[str, int], Cell]]] = {}
    for cell in suppressed:
        r, c = ("r", cell[0]), ("c", cell[1])
        adjacency.setdefault(r, []).append((c, cell))
        adjacency.setdefault(c, []).append((r, cell))
    order: dict[tuple[str, int], int] = {}
    low: dict[tuple[str, int], int] = {}
    found: set[Cell] = set()
    counter = 0
    for root, root_edges in adjacency.items():
        if root in order:
            continue
        # Iterative depth-first search (Tarjan's bridges): (node, the edge we came by, iterator).
        order[root] = low[root] = counter
        counter += 1
        stack: list[tuple[tuple[str, int], Cell | None, Iterator[tuple[tuple[str, int], Cell]]]] = [
            (root, None, iter(root_edges))
        ]
        while stack:
            node, via, edges = stack[-1]
            advanced = False
            for neighbour, edge in edges:
                if edge == via:
                    continue
                if neighbour in order:
                    low[node] = min(low[node], order[neighbour])
                    continue
                order[neighbour] = low[neighbour] = counter
                counter += 1
                stack.append((neighbour, edge, iter(adjacency[neighbour])))
                advanced = True
                break
            if advanced:
                continue
            stack.pop()
            if stack:
                parent = stack[-1][0]
                low[parent] = min(low[parent], low[node])
                if low[node] > order[parent] and via is not None:
                    found.add(via)
    return found


def _cost(table: list[list[int]], cell: Cell, suppressed: set[Cell]) -> float:
    if cell in suppressed:
        return 0.0
    value = table[cell[0]][cell[1]]
    # A zero is the last resort; a total is dearer than any inner cell of the same value (readers lose more).
    is_total = cell[0] == len(table) - 1 or cell[1] == len(table[0]) - 1
    return (1e9 if value == 0 else value) + (0.5 if is_total else 0.0)


CANDIDATES = 8  # rows and columns tried per bridge: the cheapest few of its row and of its column


class _Candidates:
    """The cheapest cells of each row and column, kept ready: a hidden cell costs nothing, the others what
    _cost says, which never changes; so each row's and column's order by cost is worked out once, and only
    the hidden cells (few) are looked at anew. The order is exactly sorted((cost, index))."""

    def __init__(self, table: list[list[int]], suppressed: set[Cell]) -> None:
        height, width = len(table), len(table[0])
        self.table = table
        none: set[Cell] = set()

        def row_order(i: int) -> list[int]:
            return sorted(range(width), key=lambda j: (_cost(table, (i, j), none), j))

        def column_order(j: int) -> list[int]:
            return sorted(range(height), key=lambda i: (_cost(table, (i, j), none), i))

        self.by_row = [row_order(i) for i in range(height)]
        self.by_column = [column_order(j) for j in range(width)]
        self.hidden_in_row: dict[int, set[int]] = {}
        self.hidden_in_column: dict[int, set[int]] = {}
        self.hide(suppressed)

    def hide(self, cells: Iterable[Cell]) -> None:
        for i, j in cells:
            self.hidden_in_row.setdefault(i, set()).add(j)
            self.hidden_in_column.setdefault(j, set()).add(i)

    @staticmethod
    def _first(hidden: set[int], order: list[int], skip: int) -> list[int]:
        found = sorted(k for k in hidden if k != skip)[:CANDIDATES]
        for k in order:
            if len(found) >= CANDIDATES:
                break
            if k != skip and k not in hidden:
                found.append(k)
        return found

    def columns(self, r: int, c: int) -> list[int]:
        return self._first(self.hidden_in_row.get(r, set()), self.by_row[r], c)

    def rows(self, r: int, c: int) -> list[int]:
        return self._first(self.hidden_in_column.get(c, set()), self.by_column[c], r)


def _cheapest_cycle(table: list[list[int]], bridge: Cell, suppressed: set[Cell], candidates: _Candidates) -> set[Cell]:
    """A cheap rectangle through a bridge: the cells to hide so that it lies on a cycle. The other corners
    are sought among the cheapest cells of the bridge's row and column (hidden ones cost nothing), which
    keeps a large table fast; the loop in protect() checks the result either way."""
    r, c = bridge
    best: tuple[float, set[Cell]] | None = None
    for other_row in candidates.rows(r, c):
        for other_column in candidates.columns(r, c):
            corners = {(r, other_column), (other_row, c), (other_row, other_column)}
            cost = sum(_cost(table, cell, suppressed) for cell in corners)
            if best is None or cost < best[0]:
                best = (cost, corners)
    if best is None:
        raise ValueError("a table needs two rows and two columns to hide a cell")
    return best[1] - suppressed


def protect(
    cells: Sequence[Sequence[int]], *, threshold: int = DEFAULT_THRESHOLD, also: Iterable[Cell] = ()
) -> Protected:
    """Suppress every count from 1 to threshold - 1 (inner cells and totals alike) and the cells in `also`
    (cells of the extended table whose records come from too few people), then enough other cells that no
    suppressed count can be recovered from what is published."""
    if threshold < MINIMUM_THRESHOLD:
        raise ThresholdTooLow(f"threshold below {MINIMUM_THRESHOLD}")
    table = extended(cells)
    height, width = len(table), len(table[0])
    primary = {(i, j) for i in range(height) for j in range(width) if 0 < table[i][j] < threshold}
    primary |= {(i, j) for i, j in also if 0 <= i < height and 0 <= j < width and table[i][j] > 0}
    suppressed = set(primary)
    candidates = _Candidates(table, suppressed)
    while True:
        exposed = bridges(suppressed, height, width)
        if not exposed:
            break
        # Most valuable first: protect the primary cells, then whatever secondary cells are still exposed.
        # Several bridges are mended per round; one whose row and column both changed this round may already
        # lie on a new cycle, so it waits for the next round's check.
        touched_rows: set[int] = set()
        touched_columns: set[int] = set()
        for target in sorted(exposed, key=lambda cell: (cell not in primary, table[cell[0]][cell[1]], cell)):
            if target[0] in touched_rows and target[1] in touched_columns:
                continue
            added = _cheapest_cycle(table, target, suppressed, candidates)
            suppressed |= added
            candidates.hide(added)
            touched_rows |= {cell[0] for cell in added} | {target[0]}
            touched_columns |= {cell[1] for cell in added} | {target[1]}
    hidden = [[None if (i, j) in suppressed else table[i][j] for j in range(width)] for i in range(height)]
    return Protected(
        cells=[row[:-1] for row in hidden[:-1]],
        row_totals=[row[-1] for row in hidden[:-1]],
        column_totals=hidden[-1][:-1],
        total=hidden[-1][-1],
        primary=primary,
        secondary=suppressed - primary,
    )


def round_to_base(value: int, base: int = 5) -> int:
    """Conventional rounding to the nearest multiple of the base (halves up)."""
    return ((value + base // 2) // base) * base


def random_round(value: int, base: int, draw: float) -> int:
    """Unbiased random rounding: down to a multiple of the base, or up, with probability the remainder /
    base. `draw` in [0, 1) comes from a generator seeded by the question, so the same table asked twice is
    rounded the same way (no averaging the noise away by asking again)."""
    if not 0 <= draw < 1:
        raise ValueError("draw must be in [0, 1)")
    low = (value // base) * base
    remainder = value - low
    return low + base if draw < remainder / base else low
