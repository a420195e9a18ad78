"""Honest figures for a rate: the share, its sample, the Wilson score interval at 95 % (it stays inside
0–100 % and behaves for small samples and rates near 100 %, where the textbook ± 1.96·√(p(1−p)/n) does
not), and the warnings a reader needs before trusting it."""

from __future__ import annotations

import math
from dataclasses import dataclass

from .models import RATE_TARGET

Z95 = 1.959963984540054   # the two-sided 95 % quantile of the normal distribution


def wilson(positive: int, n: int, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval of ``positive`` out of ``n`` (as shares 0…1); (0, 1) when n is 0."""
    if n <= 0:
        return 0.0, 1.0
    p = positive / n
    z2 = z * z
    centre = (p + z2 / (2 * n)) / (1 + z2 / n)
    half = z / (1 + z2 / n) * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    return max(0.0, centre - half), min(1.0, centre + half)


@dataclass
class RateFigure:
    """One rate of one unit: ``positive`` of ``n`` answered; percentages rounded to one decimal."""

    positive: int
    n: int
    quota: int = 0

    @property
    def percent(self) -> float | None:
        return None if not self.n else round(100 * self.positive / self.n, 1)

    @property
    def interval(self) -> tuple[float, float] | None:
        if not self.n:
            return None
        low, high = wilson(self.positive, self.n)
        return round(100 * low, 1), round(100 * high, 1)

    @property
    def interval_text(self) -> str:
        found = self.interval
        return "" if found is None else f"{found[0]:.1f}%–{found[1]:.1f}%"

    @property
    def straddles(self) -> bool:
        """The interval holds the 90 % bar: the sample cannot tell whether the unit reaches it."""
        found = self.interval
        return found is not None and found[0] < RATE_TARGET <= found[1]

    @property
    def reaches(self) -> bool | None:
        """True: reaches 90 % even at the interval's low end; False: misses it even at the high end."""
        found = self.interval
        if found is None or self.straddles:
            return None
        return found[0] >= RATE_TARGET


def figure(positive: int, n: int, quota: int = 0) -> RateFigure:
    return RateFigure(positive, n, quota)
