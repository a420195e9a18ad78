"""The metrics page (整改指标): a unit's rectification metrics for a period and a table of its
children. All figures come from :mod:`wenming.cases.metrics.figures`."""

from __future__ import annotations

import io
from datetime import datetime, timedelta

import xlsxwriter
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from wenming.core import access, audit
from wenming.core.sheets import safe_cell
from wenming.org.models import Unit, UnitKind

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


# the children's order before any sort: the administrative tree first (districts, streets …), then the
# departments, enterprises and schools
KIND_ORDER = {kind: i for i, kind in enumerate([UnitKind.DISTRICT, UnitKind.STREET, UnitKind.COMMUNITY, UnitKind.GRID,
                                                UnitKind.DEPARTMENT, UnitKind.ENTERPRISE, UnitKind.SCHOOL])}
SORTABLE = {d.key: d for d in metrics.DEFINITIONS}


def _sorted(rows: list[dict], key: str, descending: bool) -> list[dict]:
    """Rows by a metric (no data last, whatever the direction), else in the tree's order."""
    rows = sorted(rows, key=lambda r: (KIND_ORDER.get(r["unit"].kind, 9), r["unit"].code))
    if key not in SORTABLE:
        return rows
    known = [r for r in rows if getattr(r["metrics"], key) is not None]
    unknown = [r for r in rows if getattr(r["metrics"], key) is None]
    return sorted(known, key=lambda r: getattr(r["metrics"], key), reverse=descending) + unknown


def _table(request):
    """What the page and its Excel export show: the unit, the period, the rows."""
    scope = access.scope_for(request.user)
    if not policy.may_view_metrics(request.user):
        access.refuse_forbidden(request.user, "cases.metrics")
    unit = _chosen_unit(request, scope)
    kind, day, errors = _chosen_period(request)
    start, end = metrics.period_bounds(kind, day)
    sort = request.GET.get("sort", "")
    sort = sort if sort in SORTABLE else ""
    descending = request.GET.get("dir", "desc") != "asc"
    total = metrics.unit_metrics(unit, start, end)
    breakdown = metrics.metrics_breakdown(unit, start, end)
    rows = _sorted([_row(child, child.name, m) for child, m in breakdown.children], sort, descending)
    own = _row(unit, f"{unit.name}（本级直接承办）", breakdown.own) if not breakdown.own.is_empty else None
    return {"scope": scope, "unit": unit, "kind": kind, "day": day, "errors": errors, "start": start, "end": end,
            "total": _row(unit, f"{unit.name}（合计）", total), "rows": rows, "own": own, "sort": sort,
            "descending": descending}


@login_required
@require_GET
def metrics_export(request):
    """The metrics table as an .xlsx: the same unit, period and order as the page."""
    t = _table(request)
    label = metrics.period_label(t["kind"], t["day"])
    output = io.BytesIO()
    book = xlsxwriter.Workbook(output, {"in_memory": True})
    sheet = book.add_worksheet("整改指标")
    bold = book.add_format({"bold": True})
    percent = book.add_format({"num_format": "0.00%"})
    sheet.write(0, 0, safe_cell(f"{t['unit'].name} 整改指标 · {label}"), bold)
    header = ["单位"] + [d.label + ("（工作小时）" if d.kind == "hours" else "") for d in metrics.DEFINITIONS]
    sheet.write_row(2, 0, header, bold)
    lines = t["rows"] + ([t["own"]] if t["own"] else []) + [t["total"]]
    for n, row in enumerate(lines, start=3):
        sheet.write(n, 0, safe_cell(row["label"]))
        for c, d in enumerate(metrics.DEFINITIONS, start=1):
            value = getattr(row["metrics"], d.key)
            if value is None:
                sheet.write(n, c, "—")
            elif d.kind == "rate":
                sheet.write_number(n, c, float(value), percent)
            else:
                sheet.write_number(n, c, float(value))
    sheet.set_column(0, 0, 28)
    sheet.set_column(1, len(header), 12)
    book.close()
    audit.download(actor=request.user, what="整改指标", rows=len(lines), unit=t["unit"], format="xlsx", period=label)
    response = HttpResponse(output.getvalue(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = content_disposition_header(True, f"整改指标-{t['unit'].name}-{label}.xlsx")
    return response


@login_required
@require_GET
def metrics_page(request):
    t = _table(request)
    unit, kind, day, start, end, scope = t["unit"], t["kind"], t["day"], t["start"], t["end"], t["scope"]
    crumbs = [u for u in Unit.objects.filter(pk__in=unit.ancestor_ids()).order_by("depth") if _in_subtree(scope, u)]
    now = timezone.now()
    return render(request, "cases/metrics.html", {
        "unit": unit, "crumbs": crumbs, "kind": kind, "day": day, "kinds": metrics.PERIOD_KINDS,
        "label": metrics.period_label(kind, day), "start": start, "last_day": (end - timedelta(days=1)).date(),
        "running": start <= now < end, "future": now < start,
        "prev_day": (start - timedelta(days=1)).date(), "next_day": end.date(),
        "total": t["total"], "rows": t["rows"], "own": t["own"], "sort": t["sort"], "descending": t["descending"],
        "definitions": metrics.DEFINITIONS, "errors": t["errors"],
    })
