"""The metrics page (整改指标): a unit's rectification metrics for a period and a table of its
children. All figures come from :mod:`wenming.cases.metrics.figures`."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from wenming.core import access
from wenming.org.models import Unit

from .. import policy
from . import figures as metrics


def _in_subtree(scope: access.Scope, unit: Unit) -> bool:
    return any(unit.path.startswith(path) for path in scope.subtree_paths)


def _chosen_unit(request, scope: access.Scope) -> Unit:
    code = request.GET.get("unit", "").strip()
    if code:
        unit = Unit.objects.filter(code=code).first()
        if unit is None or not _in_subtree(scope, unit):
            access.refuse_not_found(request.user, "unit", f"cases.metrics:{code}")
        return unit
    paths = scope.subtree_paths  # shortest first: the user's top unit
    unit = Unit.objects.filter(path=paths[0]).first() if paths else None
    if unit is None:
        access.refuse_not_found(request.user, "unit", "cases.metrics")
    return unit


def _chosen_period(request) -> tuple[str, datetime, list[str]]:
    errors = []
    kind = request.GET.get("kind") or "month"
    if kind not in dict(metrics.PERIOD_KINDS):
        errors.append("统计周期无效，已按月统计")
        kind = "month"
    day = timezone.localdate()
    if request.GET.get("day"):
        try:
            day = datetime.strptime(request.GET["day"], "%Y-%m-%d").date()
        except ValueError:
            errors.append("日期格式应为 年-月-日，已按今天统计")
    return kind, day, errors


def _note(m: metrics.Metrics, d: metrics.Definition) -> str:
    return f"其中督办函{m.supervision_letters}" if d.key == "supervisions" and m.supervisions else ""


def _row(unit, label: str, m: metrics.Metrics) -> dict:
    cells = [{"label": d.label, "hours": d.kind == "hours", "value": metrics.display(m, d),
              "fraction": metrics.fraction(m, d) or _note(m, d), "alert": d.key == "overdue" and m.overdue > 0}
             for d in metrics.DEFINITIONS]
    return {"unit": unit, "label": label, "metrics": m, "cells": cells}


@login_required
@require_GET
def metrics_page(request):
    scope = access.scope_for(request.user)
    if not policy.may_view_metrics(request.user):
        access.refuse_forbidden(request.user, "cases.metrics")
    unit = _chosen_unit(request, scope)
    kind, day, errors = _chosen_period(request)
    start, end = metrics.period_bounds(kind, day)

    total = metrics.unit_metrics(unit, start, end)
    breakdown = metrics.metrics_breakdown(unit, start, end)
    rows = [_row(child, child.name, m) for child, m in breakdown.children]
    own = _row(unit, f"{unit.name}（本级直接承办）", breakdown.own) if not breakdown.own.is_empty else None
    crumbs = [u for u in Unit.objects.filter(pk__in=unit.ancestor_ids()).order_by("depth") if _in_subtree(scope, u)]
    now = timezone.now()
    return render(request, "cases/metrics.html", {
        "unit": unit, "crumbs": crumbs, "kind": kind, "day": day, "kinds": metrics.PERIOD_KINDS,
        "label": metrics.period_label(kind, day), "start": start, "last_day": (end - timedelta(days=1)).date(),
        "running": start <= now < end, "future": now < start,
        "prev_day": (start - timedelta(days=1)).date(), "next_day": end.date(),
        "total": _row(unit, f"{unit.name}（合计）", total), "rows": rows, "own": own,
        "definitions": metrics.DEFINITIONS, "errors": errors,
    })
