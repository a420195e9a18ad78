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
IN_LIMIT = 900   # up to this many units, the materials are read by their units' ids


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
    found: dict[tuple[int, int], Cell]                  # (requirement id, unit id) → its cell, where it has materials
    needed: dict[int, int] = field(default_factory=dict)  # requirement id → its 最少份数
    by_requirement: dict[int, dict[str, int]] = field(default_factory=dict)
    by_unit: dict[int, dict[str, int]] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)

    def cell(self, requirement_id: int, unit_id: int) -> Cell | None:
        """The cell, or None where the requirement does not apply to the unit (a cell without materials is 缺失)."""
        found = self.found.get((requirement_id, unit_id))
        if found is not None:
            return found
        if unit_id in self.applies.get(requirement_id, ()):
            return Cell(needed=self.needed[requirement_id])
        return None

    @property
    def size(self) -> int:
        """The number of cells (unit × requirement pairs that apply)."""
        return sum(self.totals.values())

    @property
    def complete_share(self) -> float:
        total = self.size
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
    """The matrix of ``requirements`` (active, ``point_types`` prefetched) over the units of ``units``. Only the
    cells with materials are held; the others are 缺失 and only counted."""
    applies = applicable_units(requirements, units)
    unit_ids = set().union(*applies.values()) if applies else set()
    needed = {r.pk: r.min_count for r in requirements}
    windows = {r.pk: r.first_year(year) for r in requirements}
    found: dict[tuple[int, int], Cell] = {}
    if unit_ids:
        earliest = min(windows.values())
        rows = Evidence.objects.filter(requirement_id__in=[r.pk for r in requirements], year__gte=earliest,
                                       year__lte=year)
        if len(unit_ids) <= IN_LIMIT:
            rows = rows.filter(unit_id__in=sorted(unit_ids))
        # (more units: the whole archive is read from the covering index, and the cells of the units the matrix does
        # not show — outside the viewer's scope — are left out below)
        rows = rows.order_by().values_list("requirement_id", "unit_id", "year", "status").annotate(n=Count("id"))
        for requirement_id, unit_id, row_year, status, n in rows:
            if row_year < windows[requirement_id] or unit_id not in applies[requirement_id]:
                continue
            cell = found.get((requirement_id, unit_id))
            if cell is None:
                cell = found[(requirement_id, unit_id)] = Cell(needed=needed[requirement_id])
            if status == EvidenceStatus.ACCEPTED:
                cell.accepted += n
            elif status == EvidenceStatus.SUBMITTED:
                cell.pending += n
            else:
                cell.returned += n
    unit_list = list(Unit.objects.filter(pk__in=sorted(unit_ids)).order_by("path")) if unit_ids else []
    matrix = Matrix(year=year, requirements=requirements, units=unit_list, applies=applies, found=found,
                    needed=needed)
    by_requirement = {r.pk: {s: 0 for s in STATES} for r in requirements if applies[r.pk]}
    by_unit: dict[int, dict[str, int]] = {}
    for requirement_id, ids in applies.items():
        if ids:
            by_requirement[requirement_id][MISSING] = len(ids)
        for unit_id in ids:
            counts = by_unit.get(unit_id)
            if counts is None:
                counts = by_unit[unit_id] = {s: 0 for s in STATES}
            counts[MISSING] += 1
    for (requirement_id, unit_id), cell in found.items():
        state = cell.state
        if state != MISSING:
            for counts in (by_requirement[requirement_id], by_unit[unit_id]):
                counts[state] += 1
                counts[MISSING] -= 1
    matrix.by_requirement, matrix.by_unit = by_requirement, by_unit
    matrix.totals = {s: sum(c[s] for c in by_requirement.values()) for s in STATES}
    return matrix
