"""``wenming bench round-score``: scoring a round and the round's page, at two sample sizes
(default 200 and 2,000 points): queries per request and median time, and how they grow.

In-process (Django's test Client, whole middleware and template stack). The demo organisation
and the built-in index system are loaded; points of every type are spread over the communities;
a 周测评 over the whole city with every point is planned, sampled and assigned through the
services, and every point's inspection is written in bulk (the item results the built-in system
asks for at the point's type, drawn at random: mostly 符合, some 基本符合/不符合, a few
deductions) — the form path is measured by ``wenming bench inspect``. Measured:

* ``scoring`` — the round's figures: unit scores (weighted), 得分率 and per-item failure rates
  (``inspections.scores``), in-process, no HTTP;
* ``office`` — the city office's round page ``/inspections/<id>/`` (scores, progress, first page
  of the sample);
* ``unit`` — a district office's view of the same published round (its points and units only).

Then, at city scale (DESIGN.md §10; ``--city-inspections``, default 300,000, 0 to skip): the
demo's 20,000 points and a year of weekly rounds with their 300,000 inspections and about
6,000,000 item results are added (``demo.inspections.build_city_inspections``), and the pages of
the latest published round are measured again:

* ``city_office`` — the city office's round page (5,000-odd points sampled, ranked by district);
* ``city_unit`` — a street handler's score page of that round (its own points and units);
* ``city_list_office``, ``city_list_unit`` — the round list ``/inspections/`` of the city office
  and of the street handler, which decides round by round who may see it, over the year of rounds.

The organisation is the city's (1,500 communities; ``--org small`` for the demo's).

    RESULT round-score scoring_ms_small=… scoring_ms_large=… office_q_small=… office_q_large=…
                       office_ms_… unit_… ratio_scoring=… ratio_office=… ratio_unit=…
                       city_office_q=… city_office_ms=… city_unit_q=… city_unit_ms=… city_inspections=…
                       city_list_office_q=… city_list_office_ms=… city_list_unit_q=… city_list_unit_ms=…
                       city_results=… city_sample=… ratio_city_office=… small=… large=…
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from decimal import Decimal

from .ledger import measure_page
from .runner import result_line, throwaway_database


def _points(org, count: int, seed: int) -> None:
    from wenming.places.models import Point
    from wenming.standards.models import PointType

    generator = random.Random(seed)
    types = list(PointType.objects.order_by("sort"))
    have = Point.objects.count()
    batch = []
    communities = {unit.pk: unit for unit in org.communities}
    for n in range(have, count):
        grid = org.grids[n % len(org.grids)]
        community = communities[grid.parent_id]
        point_type = types[n % len(types)]
        batch.append(Point(code=f"B{n:06d}", name=f"{community.name}{point_type.name}{n}", point_type=point_type,
                           unit=community, area=grid, unit_path=community.path, area_path=grid.path,
                           latitude=Decimal("30.2") + Decimal(generator.randint(0, 9999)) / 100000,
                           longitude=Decimal("120.1") + Decimal(generator.randint(0, 9999)) / 100000,
                           qr_token=f"bench{n:08d}"))
    Point.objects.bulk_create(batch, batch_size=1000)


def _fill_round(round_, seed: int) -> None:
    """Every point's inspection and item results, in bulk, scored by the items' own rules."""
    from django.db import transaction

    from wenming.inspections.models import (
        Inspection,
        ItemResult,
        RoundPoint,
        RoundStatus,
    )
    from wenming.standards import rules
    from wenming.standards.models import CheckItem

    generator = random.Random(seed)
    items_by_type: dict[int, list] = {}
    for item in CheckItem.objects.filter(system=round_.system).prefetch_related("point_types"):
        for point_type in item.point_types.all():
            items_by_type.setdefault(point_type.pk, []).append(item)
    rows = list(RoundPoint.objects.filter(round=round_).select_related("point"))
    with transaction.atomic():
        inspections = Inspection.objects.bulk_create([
            Inspection(round_point=row, inspector_id=row.inspector_id, status=Inspection.Status.SUBMITTED,
                       submit_key=f"bench-{row.pk}") for row in rows], batch_size=1000)
        by_row = {inspection.round_point_id: inspection for inspection in inspections}
        results, total_earned, total_possible = [], Decimal(0), Decimal(0)
        for row in rows:
            outcomes = []
            failed = 0
            for item in items_by_type.get(row.point.point_type_id, []):
                answer = _answer(item, generator)
                outcome = item.evaluate(answer)
                results.append(ItemResult(inspection=by_row[row.pk], item=item, verdict=answer.get("verdict", ""),
                                          answer=answer, label=outcome.label, applicable=outcome.applicable,
                                          earned=outcome.earned, possible=outcome.possible, failed=outcome.failed))
                outcomes.append(outcome)
                failed += outcome.failed
            total = rules.point_total(outcomes)      # with the 一票否决, as inspection_submit scores
            earned, possible = total.earned, total.possible
            row.earned, row.possible, row.failed_items, row.score = earned, possible, failed, total.score
            row.status = RoundPoint.Status.DONE
            total_earned += earned
            total_possible += possible
        ItemResult.objects.bulk_create(results, batch_size=2000)
        RoundPoint.objects.bulk_update(rows, ["earned", "possible", "score", "failed_items", "status"], batch_size=1000)
        round_.earned, round_.possible, round_.status = total_earned, total_possible, RoundStatus.PUBLISHED
        round_.save(update_fields=["earned", "possible", "status"])


def _answer(item, generator: random.Random) -> dict:
    roll = generator.random()
    if item.rule_kind == "verdict":
        shares = item.params["shares"]
        if roll < 0.85:
            return {"verdict": "pass"}
        return {"verdict": "partial" if "partial" in shares and roll < 0.93 else "fail"}
    if item.rule_kind == "grade":
        if item.params["by"] == "conditions":
            total = len(item.params["conditions"])
            return {"met": total if roll < 0.8 else generator.randint(0, total)}
        return {"rate": f"{generator.uniform(0, 100):.1f}"}
    if item.rule_kind == "threshold":
        least = item.params["min"]
        return {"count": least if roll < 0.8 else generator.randint(0, least)}
    return {"count": 0 if roll < 0.8 else generator.randint(1, 4)}


def run(*, sizes: list[int], repeat: int = 15, seed: int = 2026, out=print, org_scale: str = "city",
        city_inspections: int = 300_000) -> str:
    import datetime

    from django.db import transaction

    from wenming.demo.org import build_org
    from wenming.inspections import scores, services
    from wenming.standards.services import load_builtin

    sizes = sorted(sizes)
    if len(sizes) < 2:
        raise SystemExit("--sizes 至少需要两个规模，如 200,2000")
    began = time.perf_counter()
    with transaction.atomic():
        org = build_org(scale=org_scale, seed=seed)
    system = load_builtin()
    out(f"组织机构与内置测评体系已就绪（{len(org.communities)} 个社区），用时 {time.perf_counter() - began:.1f} 秒")
    office = org.personas["office_city"].user
    district = org.personas["office_district_a"].user
    inspector = org.personas["inspector"].user
    figures: dict[int, dict[str, object]] = {}
    for size in sizes:
        began = time.perf_counter()
        _points(org, size, seed)
        round_ = services.round_create(actor=office, title=f"压测{size}", kind="weekly", system=system, owner=org.city,
                                       scope_units=[org.city], period_start=datetime.date(2026, 11, 16),
                                       period_end=datetime.date(2026, 11, 22), weights={"SQ": 2, "NM": 2})
        services.round_sample(actor=office, round_=round_)
        services.round_assign(actor=office, round_=round_, inspectors=[inspector])
        _fill_round(round_, seed)
        from wenming.inspections.models import ItemResult

        results = ItemResult.objects.filter(inspection__round_point__round=round_).count()
        out(f"轮次 {size:,} 个点位、{results:,} 条检查项结果已写入，用时 {time.perf_counter() - began:.1f} 秒")
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            scores.unit_scores(round_)
            scores.score_rate(round_)
            scores.item_failure_rates(round_)
            times.append(time.perf_counter() - start)
        office_page = measure_page(office, f"/inspections/{round_.pk}/", repeat)
        unit_page = measure_page(district, f"/inspections/{round_.pk}/", repeat)
        figures[size] = {"scoring": statistics.median(times) * 1000, "office": office_page, "unit": unit_page}
        out(f"  {size:>6,} 个点位  评分计算 中位 {figures[size]['scoring']:7.1f} ms  "
            f"创建办轮次页 {office_page.queries} 次查询 中位 {office_page.median_ms:7.1f} ms  "
            f"区创建办轮次页 {unit_page.queries} 次查询 中位 {unit_page.median_ms:7.1f} ms  (HTTP {office_page.status}/{unit_page.status})")
    city = _city(org, seed, city_inspections, repeat, out) if city_inspections else {}
    small, large = figures[sizes[0]], figures[sizes[-1]]
    values: dict[str, object] = {"scoring_ms_small": small["scoring"], "scoring_ms_large": large["scoring"]}
    for name in ("office", "unit"):
        values[f"{name}_q_small"] = small[name].queries
        values[f"{name}_q_large"] = large[name].queries
        values[f"{name}_ms_small"] = small[name].median_ms
        values[f"{name}_ms_large"] = large[name].median_ms
    values["ratio_scoring"] = large["scoring"] / small["scoring"] if small["scoring"] else 0.0
    for name in ("office", "unit"):
        values[f"ratio_{name}"] = large[name].median_ms / small[name].median_ms if small[name].median_ms else 0.0
    values.update(city)
    if city and large["office"].median_ms:  # the same page, a 5,000-point round among a year of them
        values["ratio_city_office"] = city["city_office_ms"] / large["office"].median_ms
    values["small"], values["large"] = sizes[0], sizes[-1]
    line = result_line("round-score", values)
    out(line)
    return line


def _city(org, seed: int, count: int, repeat: int, out) -> dict[str, object]:
    """The demo's points and a year of rounds; the latest published round's pages."""
    from django.db import connection, transaction

    from wenming.demo.inspections import build_city_inspections
    from wenming.demo.places import build_points
    from wenming.inspections.models import (
        InspectionRound,
        ItemResult,
        RoundPoint,
        RoundStatus,
    )

    began = time.perf_counter()
    with transaction.atomic():
        build_points(org, seed=seed)
    result = build_city_inspections(org, seed=seed, count=count)
    with connection.cursor() as cursor:  # fresh planner statistics, as after a night's autovacuum
        cursor.execute("ANALYZE")
    results = ItemResult.objects.count()
    out(f"城市规模：{result.rounds} 个轮次、{result.inspections:,} 次测评、{results:,} 条检查项结果已写入，"
        f"用时 {time.perf_counter() - began:.1f} 秒")
    latest = InspectionRound.objects.filter(status=RoundStatus.PUBLISHED).order_by("-period_start", "-id").first()
    office = org.personas["office_city"].user
    handler = org.personas["handler_street_a1"].user
    office_page = measure_page(office, f"/inspections/{latest.pk}/", repeat)
    unit_page = measure_page(handler, f"/inspections/{latest.pk}/", repeat)
    office_list = measure_page(office, "/inspections/", repeat)
    unit_list = measure_page(handler, "/inspections/", repeat)
    sample = RoundPoint.objects.filter(round=latest).count()
    out(f"  最近一轮 {sample:,} 个点位  创建办轮次页 {office_page.queries} 次查询 中位 {office_page.median_ms:7.1f} ms  "
        f"街道经办人得分页 {unit_page.queries} 次查询 中位 {unit_page.median_ms:7.1f} ms  "
        f"(HTTP {office_page.status}/{unit_page.status})")
    out(f"  轮次列表（{result.rounds} 个轮次）  创建办 {office_list.queries} 次查询 中位 {office_list.median_ms:7.1f} ms  "
        f"街道经办人 {unit_list.queries} 次查询 中位 {unit_list.median_ms:7.1f} ms  "
        f"(HTTP {office_list.status}/{unit_list.status})")
    return {"city_office_q": office_page.queries, "city_office_ms": office_page.median_ms,
            "city_unit_q": unit_page.queries, "city_unit_ms": unit_page.median_ms,
            "city_list_office_q": office_list.queries, "city_list_office_ms": office_list.median_ms,
            "city_list_unit_q": unit_list.queries, "city_list_unit_ms": unit_list.median_ms,
            "city_inspections": result.inspections, "city_results": results, "city_sample": sample}


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="wenming bench round-score", description="测评轮次评分与轮次页面：不同样本规模下的查询数与用时")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--sizes", default="200,2000", help="样本点位数，逗号分隔（默认 200,2000）")
    parser.add_argument("--requests", type=int, default=15, help="每项计时的次数（默认15）")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--org", choices=["city", "small"], default="city", help="组织机构规模（默认 city）")
    parser.add_argument("--city-inspections", type=int, default=300_000,
                        help="城市规模阶段的测评次数（默认 300000，0 表示不做该阶段）")
    args = parser.parse_args(argv)
    try:
        sizes = [int(part.replace("_", "")) for part in args.sizes.split(",") if part.strip()]
    except ValueError:
        parser.error("--sizes 应为逗号分隔的整数，如 200,2000")
    with throwaway_database(args.db):
        run(sizes=sizes, repeat=args.requests, seed=args.seed, out=lambda line: print(line, flush=True),
            org_scale=args.org, city_inspections=args.city_inspections)
    return 0
