"""Repeated, interleaved measurements and their spread: a busy machine shows in the figures, not in one side of a
comparison.

Compared things take turns (A, B, A, B ...) rather than running all of A and then all of B, so a neighbour's
load or CPU throttling that comes and goes hits each of them alike; a ratio is taken between medians. The
spread (interquartile range, or min-max for a handful of runs, as a share of the median) says how noisy the
run was: a large spread means the machine was busy and the medians deserve less trust.
"""

from __future__ import annotations

import math
import statistics
import time
from collections.abc import Callable, Mapping, Sequence

from bench.figures import Figure

# From this many runs the interquartile range is a fair spread; below it, min-max says more.
IQR_MIN_RUNS = 8


def turns(names: Sequence[str], rounds: int) -> list[list[str]]:
    """The order of each round: every name once, each round starting one further on (A B C, B C A, C A B ...),
    so no name always runs right after the same other one."""
    count = len(names)
    return [[names[(r + i) % count] for i in range(count)] for r in range(rounds)]


def interleaved(
    actions: Mapping[str, Callable[[], object]],
    rounds: int,
    *,
    before: Callable[[str], object] | None = None,
) -> dict[str, list[float]]:
    """Seconds of every run of each action, the actions taking turns for `rounds` rounds.

    `before(name)` runs untimed ahead of each run (to reset a throttle, or restore what a run destroyed)."""
    samples: dict[str, list[float]] = {name: [] for name in actions}
    for order in turns(list(actions), rounds):
        for name in order:
            if before is not None:
                before(name)
            began = time.perf_counter()
            actions[name]()
            samples[name].append(time.perf_counter() - began)
    return samples


def median(samples: Sequence[float]) -> float:
    return statistics.median(samples)


def iqr_percent(samples: Sequence[float]) -> float:
    """Interquartile range as a percentage of the median."""
    low, _mid, high = statistics.quantiles(samples, n=4, method="inclusive")
    middle = statistics.median(samples)
    return 100 * (high - low) / middle if middle else math.nan  # nothing measured: no spread to give


def range_percent(samples: Sequence[float]) -> float:
    """Max minus min as a percentage of the median."""
    middle = statistics.median(samples)
    return 100 * (max(samples) - min(samples)) / middle if middle else math.nan


def spread(samples: Sequence[float]) -> tuple[str, float]:
    """How the spread is measured for this many runs, and its value in % of the median."""
    if len(samples) >= IQR_MIN_RUNS:
        return "IQR", iqr_percent(samples)
    return "min-max", range_percent(samples)


def spread_figure(label: str, samples: Sequence[float]) -> Figure:
    """A reference figure (no target): how far the runs of `label` strayed from their median."""
    how, value = spread(samples)
    return Figure(f"{label}: spread ({how} of {len(samples)} runs / median)", value, "%", "", True)
