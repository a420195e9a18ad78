"""Scores of a round, defined once (DESIGN.md §6):

* **point score** = points earned / applicable points × 100 (不适用 items leave the denominator),
  at most the cap of a failed 一票否决 item, whose earned points are cut to match
  (standards.rules.point_total); stored on the round point when the inspection is submitted, so
  the unit scores and the 得分率 below carry the veto;
* **unit score** = the weighted mean of its points' scores in the round, each point weighing its
  type's weight (``round.weights``, 1 when not set);
* **得分率** of the round = all points earned / all applicable points × 100;
* **failure rate** of an item = results that failed / results where it applied;
* **ranking** (同类同项, DESIGN.md §8): units are ranked among peers of the same kind only
  (:func:`peer_group`: streets with streets, 市直部门 with 市直部门, schools with schools); a unit
  whose sample — points inspected and scored — is smaller than the round's ``min_sample`` is listed
  after its peers, unranked and marked, never above a fully sampled peer (:func:`ranking`).

Each is one aggregate query (and one for the units' names), whatever the size of the round.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Q, Sum

from wenming.org.models import Unit, UnitKind
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
    unit_kind: str = ""
    parent_kind: str = ""    # the kind of the unit's parent ("" for a root): 市直 or 区直 部门


def unit_scores(round_: InspectionRound, unit_ids=None, depth: int | None = None) -> list[UnitScore]:
    """Scores best first (units with nothing inspected last): per responsible unit, or with
    ``depth`` per unit at that depth of the tree, over every point whose responsible unit lies
    under it. A responsible unit above that depth (a city department, when ranking streets) has no
    row at that depth: it is ranked at its own level. Weighted by point type either way: a
    district's score is the weighted mean of all its points, not a mean of its streets' means."""
    weights = {code: Decimal(str(value)) for code, value in (round_.weights or {}).items()}
    rows = RoundPoint.objects.filter(round=round_)
    if unit_ids is not None:
        rows = rows.filter(unit_id__in=unit_ids)
    per_unit: dict[int, dict] = {}
    for unit_id, unit_path, type_code, status, score, failed in rows.values_list(
            "unit_id", "unit_path", "point__point_type__code", "status", "score", "failed_items"):
        if depth is not None:
            ids = unit_path.strip("/").split("/")
            if len(ids) <= depth:
                continue
            unit_id = int(ids[depth])
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
    units = {pk: (name, code, kind, parent_kind or "") for pk, name, code, kind, parent_kind in
             Unit.objects.filter(pk__in=list(per_unit)).values_list("pk", "name", "code", "kind", "parent__kind")
             } if per_unit else {}
    result = []
    for unit_id, entry in per_unit.items():
        name, code, kind, parent_kind = units.get(unit_id, ("", "", "", ""))
        result.append(UnitScore(unit_id, name, entry["points"], entry["done"], entry["failed"],
                                (entry["weighted"] / entry["weight"]).quantize(TWO) if entry["weight"] else None,
                                code, kind, parent_kind))
    result.sort(key=lambda row: (row.score is None, -(row.score or 0), row.unit_name))
    return result


# --- ranking like with like (同类同项) ----------------------------------------------------------

# the peer groups in the order a ranking lists them: (kind, kind of the parent or None for any) → heading
PEER_GROUPS = [
    ((UnitKind.CITY, None), "市"),
    ((UnitKind.DISTRICT, None), "区县"),
    ((UnitKind.STREET, None), "街道/镇"),
    ((UnitKind.COMMUNITY, None), "社区/村"),
    ((UnitKind.GRID, None), "网格"),
    ((UnitKind.DEPARTMENT, UnitKind.CITY), "市直部门"),
    ((UnitKind.DEPARTMENT, UnitKind.DISTRICT), "区直部门"),
    ((UnitKind.DEPARTMENT, UnitKind.STREET), "街道/镇直部门"),
    ((UnitKind.SCHOOL, None), "学校"),
    ((UnitKind.ENTERPRISE, None), "企业"),
]
_GROUP_ORDER = {key: n for n, (key, _) in enumerate(PEER_GROUPS)}
_GROUP_LABEL = dict(PEER_GROUPS)


def peer_group(kind: str, parent_kind: str = "") -> tuple[str, str]:
    """(key, heading) of the peers a unit of ``kind`` is ranked among: its own kind — departments
    also by the level they serve (市直部门 are not ranked with 区直部门: their duties differ)."""
    for key in ((kind, parent_kind or None), (kind, None)):
        if key in _GROUP_LABEL:
            return f"{kind}:{key[1] or ''}", _GROUP_LABEL[key]
    label = UnitKind(kind).label if kind in UnitKind.values else "其他单位"
    return f"{kind}:{parent_kind or ''}", label


def _group_order(key: str) -> tuple[int, str]:
    kind, _, parent = key.partition(":")
    return _GROUP_ORDER.get((kind, parent or None), len(_GROUP_ORDER)), key


@dataclass
class RankedUnit:
    """A unit's row in a ranking: its score, its rank among its peers (None: not ranked) and why not."""

    unit: UnitScore
    group: PeerGroup
    rank: int | None
    min_sample: int

    @property
    def sample(self) -> int:
        """样本数: the unit's points inspected and scored in the round."""
        return self.unit.done

    @property
    def short_of_sample(self) -> bool:
        return self.sample < self.min_sample

    @property
    def mark(self) -> str:
        """Why the unit is not ranked ("" when it is)."""
        if self.rank is not None:
            return ""
        if self.sample == 0:
            return "未测评（0个点位）"
        if self.sample < self.min_sample:
            return f"样本不足（{self.sample}个点位，少于{self.min_sample}个）"
        return "暂无得分"


@dataclass
class PeerGroup:
    key: str
    label: str
    rows: list[RankedUnit]

    @property
    def ranked(self) -> int:
        return sum(1 for row in self.rows if row.rank is not None)


def ranking(round_: InspectionRound, unit_ids=None, depth: int | None = None,
            min_sample: int | None = None) -> list[PeerGroup]:
    """The round's ranking at a level (the rows of :func:`unit_scores`), like with like
    (:func:`rank_peers`); ``min_sample`` defaults to the round's own."""
    return rank_peers(unit_scores(round_, unit_ids, depth),
                      min_sample if min_sample is not None else round_.min_sample)


def rank_peers(rows: list[UnitScore], min_sample: int) -> list[PeerGroup]:
    """One group per kind of unit (:func:`peer_group`), in :data:`PEER_GROUPS` order. Within a
    group, the units whose sample reaches ``min_sample`` are ranked by score — equal scores share a
    rank and the next rank skips (1, 1, 3) —; the others follow, unranked and marked (those with a
    score first, by name): a unit short of sample never stands above a fully sampled peer."""
    floor = max(1, min_sample)
    groups: dict[str, PeerGroup] = {}
    for row in rows:
        key, label = peer_group(row.unit_kind, row.parent_kind)
        group = groups.get(key)
        if group is None:
            group = groups[key] = PeerGroup(key, label, [])
        group.rows.append(RankedUnit(row, group, None, floor))
    for group in groups.values():
        rankable = [entry for entry in group.rows if entry.unit.score is not None and entry.sample >= floor]
        rankable.sort(key=lambda entry: (-entry.unit.score, entry.unit.unit_name))
        previous, rank = None, 0
        for position, entry in enumerate(rankable, 1):
            if entry.unit.score != previous:
                rank, previous = position, entry.unit.score
            entry.rank = rank
        others = [entry for entry in group.rows if entry.rank is None]
        others.sort(key=lambda entry: (entry.unit.score is None, entry.unit.unit_name))
        group.rows = rankable + others
    return [groups[key] for key in sorted(groups, key=_group_order)]


def ranking_rows(groups: list[PeerGroup], unit_ids=None) -> list[RankedUnit]:
    """The groups' rows one after the other, for a paged table with a heading per group; with
    ``unit_ids``, only those units' rows — ranked among all their peers, so a unit sees its true
    rank, and nothing of the others but their number in the group's heading."""
    return [row for group in groups for row in group.rows if unit_ids is None or row.unit.unit_id in unit_ids]


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
    return _item_rates(rows, limit)


def failure_rates_over(rounds, *, within: str = "", limit: int = 20) -> list[ItemRate]:
    """As :func:`item_failure_rates`, over several rounds at once (the dashboard's recent rounds),
    for the points whose responsible unit lies under the path ``within`` ("" for all): one query."""
    rows = ItemResult.objects.filter(inspection__round_point__round__in=rounds, applicable=True)
    if within:
        rows = rows.filter(inspection__round_point__unit_path__startswith=within)
    return _item_rates(rows, limit)


def _item_rates(rows, limit: int) -> list[ItemRate]:
    rows = (rows.values("item_id", "item__code", "item__content", "item__short_name", "item__indicator__name")
            .annotate(applied=Count("id"), failed=Count("id", filter=Q(failed=True))).filter(failed__gt=0)
            .order_by())
    rates = [ItemRate(row["item_id"], row["item__code"], row["item__content"], row["applied"], row["failed"],
                      item_title(short_name=row["item__short_name"], content=row["item__content"],
                                 indicator_name=row["item__indicator__name"], code=row["item__code"]))
             for row in rows]
    rates.sort(key=lambda rate: (-rate.rate, -rate.failed, rate.code))
    return rates[:limit]
