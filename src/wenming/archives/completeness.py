"""How complete the archive is: for each requirement and each unit it applies to, in an assessment year,
the materials that count — those of the years the requirement covers (当年, 近N年度, or any year for
长期有效 materials) — give the cell's state:

* 齐全 (complete): at least ``min_count`` 合格 materials;
* 部分 (partial): some 合格 but fewer than asked, or materials waiting for review;
* 退回 (rejected): nothing 合格 or waiting, and at least one returned;
* 缺失 (missing): nothing at all.

A requirement applies to the units responsible for active points of its point types, or — without point
types — to its owner. Everything is read in a fixed number of queries however many units and requirements."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q

from wenming.org.models import Unit
from wenming.places.models import Point

from .models import Evidence, EvidenceStatus, Requirement

COMPLETE, PARTIAL, REJECTED, MISSING = "complete", "partial", "rejected", "missing"
STATE_LABELS = {COMPLETE: "齐全", PARTIAL: "部分", REJECTED: "退回", MISSING: "缺失"}
STATES = [COMPLETE, PARTIAL, REJECTED, MISSING]


@dataclass
class Cell:
    needed: int
    accepted: int = 0
    pending: int = 0
    returned: int = 0

    @property
    def state(self) -> str:
        if self.accepted >= self.needed:
            return COMPLETE
        if self.accepted or self.pending:
            return PARTIAL
        return REJECTED if self.returned else MISSING

    @property
    def label(self) -> str:
        return STATE_LABELS[self.state]


@dataclass
class Matrix:
    year: int
    requirements: list[Requirement]
    units: list[Unit]                                   # every unit some requirement applies to, in scope
    applies: dict[int, set[int]]                        # requirement id → unit ids
    cells: dict[tuple[int, int], Cell]                  # (requirement id, unit id) → its cell
    by_requirement: dict[int, dict[str, int]] = field(default_factory=dict)
    by_unit: dict[int, dict[str, int]] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)

    def cell(self, requirement_id: int, unit_id: int) -> Cell | None:
        return self.cells.get((requirement_id, unit_id))

    @property
    def complete_share(self) -> float:
        total = sum(self.totals.values())
        return round(self.totals.get(COMPLETE, 0) * 100 / total, 1) if total else 0.0


def applicable_units(requirements: list[Requirement], units: Q) -> dict[int, set[int]]:
    """Requirement id → the ids of the units (within ``units``, a Q over org.Unit) it applies to. Needs
    ``point_types`` prefetched."""
    types = {t.pk for r in requirements for t in r.point_types.all()}
    by_type: dict[int, set[int]] = defaultdict(set)
    if types:
        for type_id, unit_id in (Point.objects.filter(is_active=True, point_type_id__in=sorted(types),
                                                      unit__in=Unit.objects.filter(units, is_active=True))
                                 .order_by().values_list("point_type_id", "unit_id").distinct()):
            by_type[type_id].add(unit_id)
    owners = {r.owner_id for r in requirements if not r.point_types.all()}
    in_scope = set(Unit.objects.filter(units, pk__in=sorted(owners)).values_list("pk", flat=True)) if owners else set()
    found = {}
    for r in requirements:
        kinds = [t.pk for t in r.point_types.all()]
        found[r.pk] = set().union(*(by_type[k] for k in kinds)) if kinds else ({r.owner_id} & in_scope)
    return found


def compute(requirements: list[Requirement], units: Q, year: int) -> Matrix:
    """The matrix of ``requirements`` (active, ``point_types`` prefetched) over the units of ``units``."""
    applies = applicable_units(requirements, units)
    unit_ids = set().union(*applies.values()) if applies else set()
    cells = {(r.pk, u): Cell(needed=r.min_count) for r in requirements for u in applies[r.pk]}
    windows = {r.pk: r.first_year(year) for r in requirements}
    if cells:
        earliest = min(windows.values())
        rows = (Evidence.objects.filter(requirement_id__in=[r.pk for r in requirements],
                                        unit__in=Unit.objects.filter(units), year__gte=earliest, year__lte=year)
                .order_by().values("requirement_id", "unit_id", "year", "status").annotate(n=Count("id")))
        for row in rows:
            cell = cells.get((row["requirement_id"], row["unit_id"]))
            if cell is None or row["year"] < windows[row["requirement_id"]]:
                continue
            if row["status"] == EvidenceStatus.ACCEPTED:
                cell.accepted += row["n"]
            elif row["status"] == EvidenceStatus.SUBMITTED:
                cell.pending += row["n"]
            else:
                cell.returned += row["n"]
    unit_list = list(Unit.objects.filter(pk__in=sorted(unit_ids)).order_by("path")) if unit_ids else []
    matrix = Matrix(year=year, requirements=requirements, units=unit_list, applies=applies, cells=cells)
    matrix.totals = {state: 0 for state in STATES}
    for (requirement_id, unit_id), cell in cells.items():
        state = cell.state
        matrix.totals[state] += 1
        matrix.by_requirement.setdefault(requirement_id, {s: 0 for s in STATES})[state] += 1
        matrix.by_unit.setdefault(unit_id, {s: 0 for s in STATES})[state] += 1
    return matrix
