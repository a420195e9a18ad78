"""The 领导驾驶舱: the page, the big screen (1920×1080, refreshed every 5 minutes) and each table
as an Excel file. Who reads what is dashboard.policy's; the figures are dashboard.selectors'."""

from __future__ import annotations

import io

import xlsxwriter
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from wenming.core import access, audit
from wenming.core.sheets import safe_cell

from . import policy, selectors, tables

REFRESH_SECONDS = 300


def _dashboard(request) -> dict:
    if not policy.may_view(request.user):
        access.refuse_forbidden(request.user, "dashboard.view")
    view = selectors.view_for(request.user, request.GET.get("unit"))
    today = selectors.today(view)
    rankings = selectors.rankings(request.user, view)
    points = selectors.points(view)
    items = selectors.worst_items(view)
    heat = selectors.heat(view)
    return {
        "view": view, "today": today, "rankings": rankings,
        "today_tables": tables.today_tables(today), "ranking_tables": list(zip(rankings, tables.ranking_tables(rankings))),
        "point_tables": tables.point_tables(points), "item_table": tables.item_table(items),
        "heat_table": tables.heat_table(heat), "points": points, "items": items,
        "may": {"export": policy.may_export(request.user), "screen": True, "period": not view.screen},
        "refresh": REFRESH_SECONDS, "refresh_minutes": REFRESH_SECONDS // 60,
    }


@login_required
@require_GET
def index(request):
    return render(request, "dashboard/index.html", _dashboard(request))


@login_required
@require_GET
def screen(request):
    return render(request, "dashboard/screen.html", _dashboard(request))


def _section(request, name: str) -> tuple[selectors.View, tables.Table, dict]:
    """One table of the dashboard by name, computing only its section (the page's checks first)."""
    if not policy.may_view(request.user):
        access.refuse_forbidden(request.user, "dashboard.view")
    view = selectors.view_for(request.user, request.GET.get("unit"))
    section = name.split("_", 1)[0]
    if section == "today":
        found = tables.today_tables(selectors.today(view))
    elif section == "ranking":
        found = tables.ranking_tables(selectors.rankings(request.user, view))
    elif section == "points":
        found = tables.point_tables(selectors.points(view))
    elif section == "items":
        found = [tables.item_table(selectors.worst_items(view))]
    elif section == "heat":
        found = [tables.heat_table(selectors.heat(view))]
    else:
        found = []
    chosen = next((t for t in found if t.name == name), None)
    if chosen is None:
        raise Http404
    return view, chosen, {"may": {"export": policy.may_export(request.user)}}


@login_required
@require_GET
def table(request, table: str):
    """A long table's rows (the map's cells), loaded when its <details> is opened (HTMX), or as a page."""
    view, chosen, extra = _section(request, table)
    if request.headers.get("HX-Request"):
        return HttpResponse(chosen.body_html())
    return render(request, "dashboard/table.html", {"view": view, "t": chosen, "whole": True, **extra})


@login_required
@require_GET
def export(request, table: str):
    if not policy.may_view(request.user):
        access.refuse_forbidden(request.user, "dashboard.view")
    if not policy.may_export(request.user):
        access.refuse_forbidden(request.user, "dashboard.export")
    view, chosen, _ = _section(request, table)
    output = io.BytesIO()
    book = xlsxwriter.Workbook(output, {"in_memory": True})
    sheet = book.add_worksheet(chosen.name[:31])
    bold = book.add_format({"bold": True})
    sheet.write(0, 0, safe_cell(f"{view.top.name} · {chosen.title}"), bold)
    sheet.write(1, 0, safe_cell(f"数据时间：{timezone.now().astimezone(selectors.TZ):%Y-%m-%d %H:%M}"
                                + (f"；{chosen.note}" if chosen.note else "")))
    sheet.write_row(3, 0, chosen.header, bold)
    for n, row in enumerate(chosen.rows, start=4):
        for c, cell in enumerate(row):
            value = tables.Table.value(cell)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                sheet.write_number(n, c, value)
            elif value is not None and hasattr(value, "is_finite"):  # Decimal
                sheet.write_number(n, c, float(value))
            else:
                sheet.write(n, c, safe_cell("" if value is None else str(value)))
    sheet.set_column(0, 0, 28)
    sheet.set_column(1, len(chosen.header), 12)
    book.close()
    audit.download(actor=request.user, what=f"领导驾驶舱：{chosen.title}", rows=len(chosen.rows), unit=view.top,
                   format="xlsx", table=chosen.name)
    response = HttpResponse(output.getvalue(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = content_disposition_header(True, f"领导驾驶舱-{view.top.name}-{chosen.title}.xlsx")
    return response
