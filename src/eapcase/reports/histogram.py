"""Times to satisfy kept as counts per logarithmic bucket, so that the medians and 90th
percentiles of any grouping can be added up from a monthly rollup (ADR 0017). A bucket is
2% wide: a percentile read from it is within 1% of the exact one, finer than the minutes the
report shows."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

#: Width of a bucket: bucket k (k >= 1) holds times in [BASE**(k-1), BASE**k) seconds.
BASE = 1.02
_LOG_BASE = math.log(BASE)


def bucket(seconds: int) -> int:
    """The bucket of a time in seconds; 0 holds times under one second."""
    if seconds < 1:
        return 0
    return 1 + math.floor(math.log(seconds) / _LOG_BASE)


def value(index: int) -> float:
    """A bucket's representative time: the geometric middle of its bounds (0 for bucket 0)."""
    if index <= 0:
        return 0.0
    return float(BASE ** (index - 0.5))


def merge(histograms: Iterable[Mapping[int, int]]) -> dict[int, int]:
    total: dict[int, int] = {}
    for histogram in histograms:
        for index, count in histogram.items():
            total[int(index)] = total.get(int(index), 0) + count
    return {k: v for k, v in total.items() if v}


def percentile(histogram: Mapping[int, int], p: float) -> float | None:
    """The percentile as PostgreSQL's percentile_cont would give it over the buckets'
    representative times (interpolating between the two ranks around p x (n - 1))."""
    n = sum(histogram.values())
    if n == 0:
        return None
    rank = p * (n - 1)
    low_rank, high_rank = math.floor(rank), math.ceil(rank)
    low = high = None
    seen = 0
    for index in sorted(histogram):
        seen += histogram[index]
        if low is None and seen > low_rank:
            low = value(index)
        if seen > high_rank:
            high = value(index)
            break
    assert low is not None and high is not None
    return low + (high - low) * (rank - low_rank)
