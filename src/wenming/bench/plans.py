"""``wenming bench plans``: the work-plan pages at city scale, and the 任务分解表 import.

In-process (Django's test Client: the whole middleware and template stack). The city organisation (12
districts, 120 streets, 1,500 communities) is built; for each of ``--sizes`` (default 200 and 2,000 tasks) a
plan is imported from a generated 任务分解表 through the real importer (each task led by a city department and
assigned to one to three districts or streets, by their codes), 下发, and a third of the units' parts get an
accepted progress report (bulk). Then, per size:

* ``detail`` — the plan page of the city office (the first 100 tasks, the plan's figures over all of them);
* ``matrix`` — the unit × task matrix (the first 30 task columns, the first 100 unit rows), against
  ``matrix_sql``: the same cells by hand (the page's tasks' parts with their latest accepted report);

their query counts must not grow with the plan (printed for both sizes). ``import`` times a ``--import-rows``
(5,000) row sheet through the importer (target: seconds).

Then the 创城档案: a 街道办事处 point per street and a 社区 point per community, the requirements derived from the
built-in system, and ``--evidence`` materials (default 5,000, then 50,000) in bulk; at each size ``archive`` — the
completeness matrix of the city office (every unit × every requirement computed, the first page shown) — against
``completeness_sql``, the same figures by hand; its query count must not grow with the archive.

    RESULT plans tasks=200,2000 detail_q=…,… matrix_q=…,… detail_ms=…,… matrix_ms=…,… matrix_sql_ms=…,…
                 ratio_matrix=… archive_q=…,… archive_ms=…,… archive_sql_ms=…,… evidence=5000,50000 ratio_archive=…
                 import_rows=5000 import_s=… rows_per_s=…
"""

from __future__ import annotations

import argparse
import time

from .ledger import measure_page
from .ranking import _time_sql
from .runner import result_line, throwaway_database


def _plan(org, office, rows: int, seed: int, year: int):
    from wenming.demo.plans import generated_sheet
    from wenming.plans import services, transfer

    plan = services.plan_create(actor=office, owner=org.city, title=f"基准方案（{rows}项）", year=year)
    began = time.perf_counter()
    report = transfer.import_tasks(actor=office, plan=plan, data=generated_sheet(org, rows, seed, year),
                                  filename="bench.xlsx")
    seconds = time.perf_counter() - began
    if not report.ok:
        raise AssertionError("；".join(str(e) for e in report.errors[:5]))
    return plan, seconds


def matrix_sql(plan, tasks: int = 30) -> None:
    """The matrix's cells by hand: the first ``tasks`` issued tasks' parts with their latest accepted report."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT a.id, a.unit_id, a.task_id, a.signed_at, "
            "(SELECT r.percent FROM plans_progressreport r WHERE r.assignment_id = a.id AND r.status = 'accepted' "
            " ORDER BY r.period_start DESC, r.id DESC LIMIT 1) "
            "FROM plans_assignment a JOIN plans_task t ON t.id = a.task_id "
            "WHERE a.role = 'responsible' AND t.id IN (SELECT id FROM plans_task WHERE plan_id = %s AND status = 'issued' "
            "ORDER BY seq LIMIT %s) ORDER BY a.unit_path", [plan.pk, tasks])
        cursor.fetchall()


def archive_points(org) -> int:
    """A 街道办事处 point for each street and a 社区 point for each community, in bulk, where none is there yet:
    the units the archive's requirements apply to."""
    from wenming.places.models import Point
    from wenming.standards.models import PointType
    from wenming.standards.services import load_builtin

    load_builtin()
    types = {t.code: t for t in PointType.objects.filter(code__in=["JD", "SQ"])}
    have = set(Point.objects.filter(point_type__in=types.values()).values_list("unit_id", flat=True))
    rows = [Point(code=f"ARC-{kind}-{unit.code}", name=f"{unit.name}{'办事处' if kind == 'JD' else '居委会'}",
                  point_type=types[kind], unit=unit, area=unit, unit_path=unit.path, area_path=unit.path)
            for kind, units in (("JD", org.streets), ("SQ", org.communities)) for unit in units if unit.pk not in have]
    Point.objects.bulk_create(rows, batch_size=2000)
    return len(rows)


def completeness_sql(year: int) -> None:
    """The matrix's figures by hand: which units run points of the requirements' types, and the materials of the
    years that may count, grouped by requirement, unit, year and status."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT p.point_type_id, p.unit_id FROM places_point p WHERE p.is_active AND "
                       "p.point_type_id IN (SELECT pointtype_id FROM archives_requirement_point_types)")
        cursor.fetchall()
        cursor.execute("SELECT requirement_id, unit_id, year, status, COUNT(*) FROM archives_evidence "
                       "WHERE year BETWEEN %s AND %s GROUP BY requirement_id, unit_id, year, status", [0, year])
        cursor.fetchall()


def run(*, sizes=(200, 2000), import_rows: int = 5000, repeat: int = 15, org_scale: str = "city", seed: int = 2026,
        evidence_sizes=(5000, 50000), out=print) -> str:
    from django.db import transaction
    from django.utils import timezone

    from wenming.demo.org import build_org
    from wenming.demo.plans import bulk_reports
    from wenming.plans import services

    began = time.perf_counter()
    with transaction.atomic():
        org = build_org(scale=org_scale, seed=seed)
    out(f"组织机构（{org_scale}）已生成：{len(org.districts)} 个区，{len(org.streets)} 个街道，用时 "
        f"{time.perf_counter() - began:.1f} 秒")
    office = org.personas["office_city"].user
    year = timezone.localdate().year
    figures: dict[str, list] = {"detail_q": [], "matrix_q": [], "detail_ms": [], "matrix_ms": [], "matrix_sql_ms": []}
    for size in sizes:
        plan, import_s = _plan(org, office, size, seed, year)
        services.plan_issue(actor=office, plan=plan, sms=False)
        reports = bulk_reports(plan, office, seed)
        detail = measure_page(office, f"/plans/{plan.pk}/", repeat)
        matrix = measure_page(office, f"/plans/{plan.pk}/matrix/", repeat)
        sql_ms = _time_sql(lambda plan=plan: matrix_sql(plan), repeat)
        for name, value in (("detail_q", detail.queries), ("matrix_q", matrix.queries), ("detail_ms", detail.median_ms),
                            ("matrix_ms", matrix.median_ms), ("matrix_sql_ms", sql_ms)):
            figures[name].append(value)
        out(f"{size} 项任务（导入 {import_s:.2f} 秒，进度报告 {reports} 份）：方案页 {detail.queries} 次查询 中位 "
            f"{detail.median_ms:.1f} ms；推进矩阵 {matrix.queries} 次查询 中位 {matrix.median_ms:.1f} ms，"
            f"等效手写SQL {sql_ms:.1f} ms")
    if len(set(figures["detail_q"])) != 1 or len(set(figures["matrix_q"])) != 1:
        raise AssertionError(f"查询数随任务数增长：方案页 {figures['detail_q']}，推进矩阵 {figures['matrix_q']}")
    # the 创城档案's completeness matrix at two sizes of the archive
    from wenming.demo.archives import build_city_archives

    points = archive_points(org)
    made = 0
    for size in evidence_sizes:
        made += build_city_archives(org, seed=seed + size, count=size - made)
        page = measure_page(office, f"/archives/matrix/?year={year}", repeat)
        sql_ms = _time_sql(lambda: completeness_sql(year), repeat)
        figures.setdefault("archive_q", []).append(page.queries)
        figures.setdefault("archive_ms", []).append(page.median_ms)
        figures.setdefault("archive_sql_ms", []).append(sql_ms)
        out(f"创城档案 {made:,} 份材料（{points:,} 个街道、社区点位）：完整度矩阵 {page.queries} 次查询 中位 "
            f"{page.median_ms:.1f} ms，等效手写SQL {sql_ms:.1f} ms")
    if len(set(figures["archive_q"])) != 1:
        raise AssertionError(f"查询数随材料数增长：完整度矩阵 {figures['archive_q']}")
    _, import_s = _plan(org, office, import_rows, seed + 1, year)
    out(f"导入 {import_rows:,} 行任务分解表：{import_s:.2f} 秒（{import_rows / import_s:,.0f} 行/秒）")

    def joined(values):
        return ",".join(f"{v:.4g}" if isinstance(v, float) else str(v) for v in values)

    line = result_line("plans", {
        "tasks": joined(sizes), **{name: joined(values) for name, values in figures.items()},
        "ratio_matrix": figures["matrix_ms"][-1] / figures["matrix_sql_ms"][-1],
        "evidence": joined(evidence_sizes), "ratio_archive": figures["archive_ms"][-1] / figures["archive_sql_ms"][-1],
        "import_rows": import_rows,
        "import_s": import_s, "rows_per_s": import_rows / import_s})
    out(line)
    return line


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="wenming bench plans",
                                     description="工作方案页和任务推进矩阵（城市规模，两种任务数）与任务分解表导入")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--sizes", default="200,2000", help="方案的任务数，逗号分隔（默认 200,2000）")
    parser.add_argument("--evidence", default="5000,50000", help="创城档案的材料数，逗号分隔（默认 5000,50000）")
    parser.add_argument("--import-rows", type=int, default=5000, help="导入计时的行数（默认5000）")
    parser.add_argument("--requests", type=int, default=15, help="每个页面计时的请求数（默认15）")
    parser.add_argument("--org", choices=["city", "small"], default="city", help="组织机构规模（默认 city）")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    try:
        sizes = tuple(int(part) for part in args.sizes.split(","))
        evidence = tuple(int(part) for part in args.evidence.split(","))
    except ValueError:
        parser.error("--sizes、--evidence 应为逗号分隔的整数，如 200,2000")
    with throwaway_database(args.db):
        run(sizes=sizes, evidence_sizes=evidence, import_rows=args.import_rows, repeat=args.requests, org_scale=args.org, seed=args.seed,
            out=lambda line: print(line, flush=True))
    return 0
