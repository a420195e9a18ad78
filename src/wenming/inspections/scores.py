"""Scores of a round, defined once (DESIGN.md §6):

* **point score** = points earned / applicable points × 100 (不适用 items leave the denominator),
  at most the cap of a failed 一票否决 item, whose earned points are cut to match
  (standards.rules.point_total); stored on the round point when the inspection is submitted, so
  the unit scores and the 得分率 below carry the veto;
* **unit score** = the weighted mean of its points' scores in the round, each point weighing its
  type's weight (``round.weights``, 1 when not set);
* **得分率** of the round = all points earned / all applicable points × 100;
* **failure rate** of an item = results that failed / results where it applied.

Each is one aggregate query, whatever the size of the round.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum

from wenming.org.models import Unit
from wenming.standards.models import item_title

from .models import InspectionRound, ItemResult, RoundPoint

TWO = Decimal("0.01")


@dataclass
class UnitScore:
    unit_id: int
    unit_name: str
    points: int          # points of the unit in the sample
    done: int            # points inspected
    failed_items: int
    score: Decimal | None
    unit_code: str = ""


def unit_scores(round_: InspectionRound, unit_ids=None, depth: int | None = None) -> list[UnitScore]:
    """Scores best first (units with nothing inspected last): per responsible unit, or with
    ``depth`` per unit at that depth of the tree, over every point whose responsible unit lies
    under it (a responsible unit above that depth — a city department under a city — counts as
    its own row). Weighted by point type either way: a district's score is the weighted mean of
    all its points, not a mean of its streets' means."""
    weights = {code: Decimal(str(value)) for code, value in (round_.weights or {}).items()}
    rows = RoundPoint.objects.filter(round=round_)
    if unit_ids is not None:
        rows = rows.filter(unit_id__in=unit_ids)
    per_unit: dict[int, dict] = {}
    for unit_id, unit_path, type_code, status, score, failed in rows.values_list(
            "unit_id", "unit_path", "point__point_type__code", "status", "score", "failed_items"):
        if depth is not None:
            ids = unit_path.strip("/").split("/")
            unit_id = int(ids[depth]) if len(ids) > depth else unit_id
        entry = per_unit.get(unit_id)
        if entry is None:
            entry = per_unit[unit_id] = {"points": 0, "done": 0, "failed": 0, "weighted": Decimal(0),
                                         "weight": Decimal(0)}
        entry["points"] += 1
        if status == RoundPoint.Status.DONE and score is not None:
            weight = weights.get(type_code, Decimal(1))
            entry["done"] += 1
            entry["failed"] += failed
            entry["weighted"] += score * weight
            entry["weight"] += weight
    names = {pk: (name, code) for pk, name, code in
             Unit.objects.filter(pk__in=list(per_unit)).values_list("pk", "name", "code")} if per_unit else {}
    result = [UnitScore(unit_id, names.get(unit_id, ("", ""))[0], entry["points"], entry["done"], entry["failed"],
                        (entry["weighted"] / entry["weight"]).quantize(TWO) if entry["weight"] else None,
                        names.get(unit_id, ("", ""))[1])
              for unit_id, entry in per_unit.items()]
    result.sort(key=lambda row: (row.score is None, -(row.score or 0), row.unit_name))
    return result


def score_rate(round_: InspectionRound, unit_ids=None) -> Decimal | None:
    rows = RoundPoint.objects.filter(round=round_, status=RoundPoint.Status.DONE)
    if unit_ids is not None:
        rows = rows.filter(unit_id__in=unit_ids)
    totals = rows.aggregate(earned=Sum("earned"), possible=Sum("possible"))
    if not totals["possible"]:
        return None
    return (totals["earned"] * 100 / totals["possible"]).quantize(TWO)


@dataclass
class ItemRate:
    item_id: int
    code: str
    content: str
    applied: int
    failed: int
    title: str = ""      # the item's 简称 (standards.models.item_title)

    @property
    def rate(self) -> Decimal:
        return (Decimal(self.failed) * 100 / self.applied).quantize(TWO) if self.applied else Decimal(0)


def item_failure_rates(round_: InspectionRound, unit_ids=None, limit: int = 20) -> list[ItemRate]:
    """Which standards fail most in the round (by failure rate, then count)."""
    rows = ItemResult.objects.filter(inspection__round_point__round=round_, applicable=True)
    if unit_ids is not None:
        rows = rows.filter(inspection__round_point__unit_id__in=unit_ids)
    rows = (rows.values("item_id", "item__code", "item__content", "item__short_name", "item__indicator__name")
            .annotate(applied=Count("id"), failed=Count("id", filter=Q(failed=True))).filter(failed__gt=0))
    rates = [ItemRate(row["item_id"], row["item__code"], row["item__content"], row["applied"], row["failed"],
                      item_title(short_name=row["item__short_name"], content=row["item__content"],
                                 indicator_name=row["item__indicator__name"], code=row["item__code"]))
             for row in rows]
    rates.sort(key=lambda rate: (-rate.rate, -rate.failed, rate.code))
    return rates[:limit]
