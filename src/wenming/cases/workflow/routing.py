"""Routing: which unit should fix a problem — category × area → unit, through the editable
routing table; by default the community (or street) where it is. The reason is shown with the
suggestion so the office can judge it."""

from __future__ import annotations

from dataclasses import dataclass

from wenming.org.models import Unit, UnitKind

from ..models import Category, RoutingRule


@dataclass
class Suggestion:
    unit: Unit
    reason: str


def active_rules() -> list[RoutingRule]:
    """The routing table's rules whose target unit is active — what :func:`suggest` reads."""
    return list(RoutingRule.objects.select_related("category", "area", "target").filter(target__is_active=True))


def suggest(category: Category, area: Unit, rules: list[RoutingRule] | None = None) -> Suggestion:
    """``rules`` are :func:`active_rules`, when the caller routes several problems in a row and
    has read them once; else they are read here."""
    best, best_score = None, None
    for rule in active_rules() if rules is None else rules:
        if rule.category_id not in (None, category.pk, category.parent_id):
            continue
        if rule.area_id is not None and not area.path.startswith(rule.area.path):
            continue
        specificity = 2 if rule.category_id == category.pk else 1 if rule.category_id else 0
        score = (specificity, rule.area.depth if rule.area_id else -1, rule.pk)
        if best_score is None or score > best_score:
            best, best_score = rule, score
    if best is not None:
        what = best.category.name if best.category_id else "所有类别"
        where = best.area.name if best.area_id else "全市"
        note = f"（{best.note}）" if best.note else ""
        return Suggestion(best.target, f"分派规则：{where}的{what}问题交{best.target.name}{note}")
    return Suggestion(default_unit(area), "默认：交问题所在社区（村）处理")


def default_unit(area: Unit) -> Unit:
    """The community of a grid; the area itself otherwise."""
    if area.kind == UnitKind.GRID and area.parent_id:
        return area.parent
    return area
