"""Samples: a campaign's total divided among its communities in proportion to their population (the
largest-remainder method, so the quotas add up to the total exactly, every community getting at least
one), and the households to visit drawn reproducibly from the campaign's stored seed."""

from __future__ import annotations

import random

RESERVE = 0.2   # households drawn beyond the quota, for those not at home


def by_population(total: int, populations: list[tuple[int, int]]) -> dict[int, int]:
    """{unit id: quota} for ``total`` over (unit id, population); a unit of unknown population (0) weighs
    as much as the average of the others (or all weigh alike when none is known)."""
    if not populations:
        return {}
    known = [p for _, p in populations if p > 0]
    average = sum(known) / len(known) if known else 1
    weights = [(unit_id, p if p > 0 else average) for unit_id, p in populations]
    floor_each = 1 if total >= len(weights) else 0
    rest = total - floor_each * len(weights)
    whole = sum(w for _, w in weights)
    shares = [(unit_id, rest * w / whole) for unit_id, w in weights]
    quotas = {unit_id: floor_each + int(share) for unit_id, share in shares}
    left = total - sum(quotas.values())
    # the largest remainders get one more; ties go to the larger population, then the earlier unit
    order = sorted(range(len(shares)), key=lambda i: (-(shares[i][1] - int(shares[i][1])), -weights[i][1], i))
    for i in order[:left]:
        quotas[shares[i][0]] += 1
    return quotas


def draw(households: list, quota: int, *, seed: str) -> list:
    """``quota`` households and a reserve (in visiting order) from ``households`` (in a stable order)."""
    wanted = min(len(households), quota + max(1, round(quota * RESERVE)))
    return random.Random(seed).sample(households, wanted)
