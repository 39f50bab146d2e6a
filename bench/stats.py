"""The one way the benchmarks summarise timings."""

from __future__ import annotations


def percentile_ms(seconds: list[float], q: float) -> float:
    """The ``q``-quantile (0..1) of durations in seconds, in milliseconds; NaN for none.

    Nearest rank, no interpolation (the sample at rank ``floor(n * q)``): a p99 is a time
    some request really took, and every figure of the README was made this way."""
    if not seconds:
        return float("nan")
    ordered = sorted(seconds)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))] * 1000
