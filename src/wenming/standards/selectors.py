"""Reads of the evaluation system. Every staff role may read systems in use (handlers prepare
against them); drafts are the city office's work in progress and only it sees them."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from wenming.core import access

from .models import CheckItem, IndexSystem, Indicator, PointType, SystemStatus
from .policy import may_manage, may_view


def systems(user) -> QuerySet[IndexSystem]:
    qs = IndexSystem.objects.annotate(item_count=Count("items")).order_by("-created_at", "-id")
    if not may_manage(user):
        qs = qs.exclude(status=SystemStatus.DRAFT)
    return qs


def system_for(user, pk: int) -> IndexSystem:
    """The system, or a 404 (audited) when it doesn't exist or the user may not see it."""
    system = systems(user).filter(pk=pk).first() if may_view(user) else None
    if system is None:
        access.refuse_not_found(user, "standards.system", target=f"IndexSystem#{pk}")
    return system


def system_tree(system: IndexSystem, point_type: PointType | None = None) -> list[dict]:
    """The indicator tree with its items, as nested dicts: three queries whatever the size.
    With a point type, only the items that apply to it (and the branches that hold them)."""
    indicators = list(Indicator.objects.filter(system=system).order_by("level", "sort", "id"))
    items = CheckItem.objects.filter(system=system).prefetch_related("point_types").order_by("sort", "id")
    if point_type is not None:
        items = items.filter(point_types=point_type)
    nodes = {indicator.pk: {"indicator": indicator, "children": [], "items": [], "count": 0}
             for indicator in indicators}
    roots = []
    for indicator in indicators:
        node = nodes[indicator.pk]
        (nodes[indicator.parent_id]["children"] if indicator.parent_id else roots).append(node)
    for item in items:
        nodes[item.indicator_id]["items"].append(item)
        indicator = nodes[item.indicator_id]["indicator"]
        while indicator is not None:
            nodes[indicator.pk]["count"] += 1
            indicator = nodes[indicator.parent_id]["indicator"] if indicator.parent_id else None

    def prune(branch: list[dict]) -> list[dict]:
        kept = [node for node in branch if node["count"]]
        for node in kept:
            node["children"] = prune(node["children"])
        return kept

    return prune(roots) if point_type is not None else roots


def point_types() -> QuerySet[PointType]:
    return PointType.objects.annotate(item_count=Count("items", distinct=True)).order_by("sort", "code")


def items_for_type(system: IndexSystem, point_type_id: int) -> QuerySet[CheckItem]:
    """The check items an inspector sees at a point of this type."""
    return (CheckItem.objects.filter(system=system, point_types__id=point_type_id)
            .select_related("indicator").order_by("sort", "id"))
