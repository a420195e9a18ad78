"""Reads of the 创城档案, scoped by archives.policy: requirements, one requirement with a unit's materials,
the materials waiting for review, the completeness matrix (a fixed number of queries however many units
and requirements)."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from wenming.core import access
from wenming.org.models import Role, Unit
from wenming.places.selectors import active_system
from wenming.standards.models import IndexSystem

from . import completeness, policy
from .models import Evidence, EvidenceFile, EvidenceStatus, Requirement


def system_in_use() -> IndexSystem | None:
    """The index system whose requirements the archive follows: the active one."""
    return active_system()


def requirements(user, *, system: IndexSystem | None = None, q: str = "", material_type: str = "",
                 active_only: bool = False) -> QuerySet[Requirement]:
    rows = Requirement.objects.filter(policy.requirement_filter(user))
    if system is not None:
        rows = rows.filter(system=system)
    if q:
        rows = rows.filter(Q(code__icontains=q) | Q(title__icontains=q) | Q(indicator__name__icontains=q))
    if material_type:
        rows = rows.filter(material_type=material_type)
    if active_only:
        rows = rows.filter(is_active=True)
    return (rows.select_related("indicator", "item", "owner").prefetch_related("point_types")
            .order_by("owner_path", "sort", "id"))


def requirement_for(user, pk: int) -> Requirement:
    requirement = requirements(user).filter(pk=pk).first()
    if requirement is None:
        access.refuse_not_found(user, "archives.requirement", target=f"requirement:{pk}")
    return requirement


def units_of(user, requirement: Requirement) -> list[Unit]:
    """The units the requirement applies to that the user sees."""
    ids = completeness.applicable_units([requirement], policy.unit_filter(user))[requirement.pk]
    return list(Unit.objects.filter(pk__in=sorted(ids)).order_by("path"))


def evidence_of(user, requirement: Requirement, *, unit: Unit | None = None) -> QuerySet[Evidence]:
    rows = Evidence.objects.filter(policy.evidence_filter(user), requirement=requirement)
    if unit is not None:
        rows = rows.filter(unit=unit)
    return (rows.select_related("unit", "uploaded_by", "reviewed_by", "meeting", "report", "report__task",
                                "problem", "result", "result__inspection", "bulletin")
            .prefetch_related(Prefetch("files", queryset=EvidenceFile.objects.order_by("id")))
            .order_by("-year", "-created_at", "-id"))


def evidence_for(user, pk: int) -> Evidence:
    evidence = (Evidence.objects.filter(policy.evidence_filter(user), pk=pk)
                .select_related("unit", "requirement", "requirement__owner").first())
    if evidence is None:
        access.refuse_not_found(user, "archives.evidence", target=f"evidence:{pk}")
    return evidence


def evidence_file_for(user, pk: int) -> EvidenceFile:
    stored = (EvidenceFile.objects.filter(pk=pk, evidence__in=Evidence.objects.filter(policy.evidence_filter(user)))
              .select_related("evidence", "evidence__unit").first())
    if stored is None:
        access.refuse_not_found(user, "archives.evidence_file", target=f"evidence_file:{pk}")
    return stored


def waiting(user) -> QuerySet[Evidence]:
    """Uploaded materials waiting for review by the user: of units strictly below an office of his."""
    paths = [path for path, _, role in access.scope_for(user).grants if role == Role.OFFICE]
    if not paths:
        return Evidence.objects.none()
    below = Q()
    for path in paths:
        below |= Q(unit_path__startswith=path) & ~Q(unit_path=path)
    return (Evidence.objects.filter(below, status=EvidenceStatus.SUBMITTED)
            .select_related("unit", "requirement", "uploaded_by").prefetch_related("files")
            .order_by("created_at", "id"))


def matrix(user, year: int, *, system: IndexSystem | None = None, material_type: str = "") -> completeness.Matrix:
    rows = requirements(user, system=system, material_type=material_type, active_only=True)
    return completeness.compute(list(rows), policy.unit_filter(user), year)


def own_cells(user, year: int, *, system: IndexSystem | None = None) -> completeness.Matrix:
    """The matrix over the units the user hands materials in for (his own unit(s)): 本单位的档案."""
    scope = access.scope_for(user)
    own = sorted({unit_id for _, unit_id, role in scope.grants if role in policy.UPLOADERS})
    rows = requirements(user, system=system, active_only=True)
    return completeness.compute(list(rows), Q(pk__in=own), year)
