"""``wenming bench ranking``: closing a month for the city's 1,500 communities, then the month's
ranking page and the leader dashboard, each against the hand-written SQL that gives the same
figures, timed in the same run.

In-process (Django's test Client: the whole middleware and template stack, no network). The demo
organisation at city scale (DESIGN.md §10: 12 districts, 120 streets, 1,500 communities, 6,000
grids) is built, the city generator (wenming.demo.city) writes ``--problems`` problems over three
years with their timelines and 督办 documents (default 100,000, a tenth of the city dataset, to keep
the run to a few minutes; the figures read only a month's or today's problems), ``--points``
points are spread over the grids (default 20,000) and a published 月考核 of the last full month
scores ``--sample`` of them (default 5,000; their latest scores feed the map). Then:

* ``close`` — ``scoring.services.period_close`` of that month for a scheme assessing every
  community of the city (实地测评, 问题整改, 督办; target ≤ 60 s);
* ``ranking`` — the city office's ranking page ``/scoring/periods/<id>/`` (first 100 rows, 红黄榜),
  against ``ranking_sql``: the same rows, count and lists in hand-written SQL;
* ``dashboard`` — the city office's ``/dashboard/`` (today by district and category, the
  rankings, the points' pass rates and map, the problem heat), against ``dashboard_sql``: the same
  aggregates in hand-written SQL (targets: ratio ≤ 1.5 and median ≤ 300 ms).

    RESULT ranking close_s=… units=… ranking_q=… ranking_ms=… ranking_sql_ms=… ratio_ranking=…
                   dashboard_q=… dashboard_ms=… dashboard_sql_ms=… ratio_dashboard=… problems=… points=…
"""

from __future__ import annotations

import argparse
import datetime
import random
import statistics
import time
from decimal import Decimal

from .ledger import _analyze, measure_page
from .runner import result_line, throwaway_database


def _month_before(now: datetime.datetime) -> datetime.date:
    first = now.astimezone(datetime.timezone(datetime.timedelta(hours=8))).date().replace(day=1)
    return (first - datetime.timedelta(days=1)).replace(day=15)


def _round(org, office, points: int, sample: int, day: datetime.date, seed: int):
    """A published 月考核 of the month holding ``day``, ``sample`` points scored (bulk)."""
    from django.db import transaction
    from django.utils import timezone

    from wenming.inspections.models import InspectionRound, RoundKind, RoundPoint, RoundStatus
    from wenming.places.models import Point
    from wenming.standards.models import IndexSystem
    from wenming.standards.services import load_builtin

    from .round_score import _points

    _points(org, points, seed)
    system = IndexSystem.objects.filter(status="active").first() or load_builtin()
    generator = random.Random(seed)
    chosen = list(Point.objects.order_by("pk").values_list("pk", "unit_id", "unit_path"))
    chosen = generator.sample(chosen, min(sample, len(chosen)))
    now = timezone.now()
    with transaction.atomic():
        round_ = InspectionRound.objects.create(
            title="全市月考核（基准）", kind=RoundKind.MONTHLY, system=system, owner=org.city,
            owner_path=org.city.path, period_start=day.replace(day=1), period_end=day.replace(day=28),
            status=RoundStatus.PUBLISHED, created_by=office, published_at=now)
        rows, scores = [], {}
        for pk, unit_id, unit_path in chosen:
            score = Decimal(generator.randint(40, 100))
            scores[pk] = score
            rows.append(RoundPoint(round=round_, point_id=pk, unit_id=unit_id, unit_path=unit_path,
                                   status=RoundPoint.Status.DONE, earned=score, possible=100, score=score,
                                   done_at=now))
        RoundPoint.objects.bulk_create(rows, batch_size=2000)
        batch = []
        for point in Point.objects.filter(pk__in=list(scores)):
            point.latest_score, point.latest_scored_at = scores[point.pk], now
            batch.append(point)
        Point.objects.bulk_update(batch, ["latest_score", "latest_scored_at"], batch_size=2000)
    return round_


def _time_sql(run, repeat: int) -> float:
    run()
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        run()
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1000


def ranking_sql(period) -> None:
    """The ranking page's figures, by hand: the first 100 rows in order, the count, the lists."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT unit_id, unit_name, rank, total, previous_total, previous_rank, honour, mark, components, sample,"
            " adjustments, disqualified FROM scoring_periodscore WHERE period_id = %s AND version = %s"
            " ORDER BY rank IS NULL, rank, total DESC, unit_name LIMIT 100", [period.pk, period.version])
        cursor.fetchall()
        cursor.execute("SELECT COUNT(*), COUNT(rank) FROM scoring_periodscore WHERE period_id = %s AND version = %s",
                       [period.pk, period.version])
        cursor.fetchall()
        cursor.execute("SELECT unit_id, unit_name, rank, total, honour FROM scoring_periodscore"
                       " WHERE period_id = %s AND version = %s AND honour IN ('red', 'yellow')",
                       [period.pk, period.version])
        cursor.fetchall()


def dashboard_sql(city_path: str, now: datetime.datetime) -> None:
    """The dashboard's aggregates, by hand, over the same rows: today's problems by responsible unit
    and category, the month's notices, the latest ranking's rows, the points by area, the heat."""
    from django.db import connection

    from wenming.cases.metrics.figures import TZ

    local = now.astimezone(TZ)
    day_start = datetime.datetime.combine(local.date(), datetime.time.min, tzinfo=TZ)
    month_start = day_start.replace(day=1)
    soon = now + datetime.timedelta(days=1)
    like = city_path + "%"
    with connection.cursor() as cursor:
        # the same three index ranges the page reads (new by created_at, running deadlines, overdue flag)
        cursor.execute("SELECT area_path, category_id, COUNT(*) FROM cases_problem WHERE created_at >= %s"
                       " AND created_at <= %s AND area_path LIKE %s AND state NOT IN ('rejected', 'merged')"
                       " GROUP BY area_path, category_id", [day_start, now, like])
        cursor.fetchall()
        cursor.execute("SELECT unit_path, category_id, COUNT(*) FROM cases_problem WHERE state IN"
                       " ('assigned', 'rectifying') AND deadline >= %s AND deadline < %s AND unit_path LIKE %s"
                       " GROUP BY unit_path, category_id", [now, soon, like])
        cursor.fetchall()
        cursor.execute("SELECT unit_path, category_id, COUNT(*) FROM cases_problem WHERE is_overdue AND state IN"
                       " ('reported', 'pending_assignment', 'assigned', 'rectifying', 'submitted')"
                       " AND unit_path LIKE %s GROUP BY unit_path, category_id", [like])
        cursor.fetchall()
        cursor.execute("SELECT u.path, p.category_id, COUNT(*) FROM cases_supervisionnotice n"
                       " JOIN org_unit u ON u.id = n.unit_id JOIN cases_problem p ON p.id = n.problem_id"
                       " WHERE n.issued_at >= %s AND u.path LIKE %s GROUP BY u.path, p.category_id", [month_start, like])
        cursor.fetchall()
        cursor.execute("SELECT s.unit_id, s.unit_name, s.rank, s.total, s.previous_total, s.honour"
                       " FROM scoring_periodscore s JOIN scoring_period p ON p.id = s.period_id AND p.version = s.version"
                       " WHERE p.status = 'closed' AND s.unit_path LIKE %s", [like])
        cursor.fetchall()
        cursor.execute("SELECT area_path, COUNT(*), COUNT(latest_score), SUM(CASE WHEN latest_score >= 60 THEN 1 ELSE 0"
                       " END), AVG(latest_score) FROM places_point WHERE is_active AND area_path LIKE %s"
                       " GROUP BY area_path", [like])
        cursor.fetchall()
        cursor.execute("SELECT area_path, category_id, COUNT(*) FROM cases_problem WHERE created_at >= %s AND"
                       " created_at <= %s AND area_path LIKE %s AND state NOT IN ('rejected', 'merged')"
                       " GROUP BY area_path, category_id", [now - datetime.timedelta(days=30), now, like])
        cursor.fetchall()


def run(*, problems: int = 100_000, points: int = 20_000, sample: int = 5_000, repeat: int = 15,
        org_scale: str = "city", seed: int = 2026, out=print) -> str:
    from django.db import transaction
    from django.utils import timezone

    from wenming.demo.city import build_city_cases
    from wenming.demo.org import build_org
    from wenming.scoring import services as scoring

    now = timezone.now()
    began = time.perf_counter()
    with transaction.atomic():
        org = build_org(scale=org_scale, seed=seed)
    out(f"组织机构（{org_scale}）已生成：{len(org.communities)} 个社区，{len(org.grids)} 个网格，用时 "
        f"{time.perf_counter() - began:.1f} 秒")
    began = time.perf_counter()
    build_city_cases(org, count=problems, seed=seed, now=now)
    out(f"已生成问题 {problems:,} 个（三年），用时 {time.perf_counter() - began:.1f} 秒")
    office = org.personas["office_city"].user
    day = _month_before(now)
    began = time.perf_counter()
    _round(org, office, points, sample, day, seed)
    out(f"已生成点位 {points:,} 个，{day.year}年{day.month}月考核测评 {sample:,} 个，用时 {time.perf_counter() - began:.1f} 秒")
    scheme = scoring.scheme_create(actor=office, owner=org.city, root=org.city, unit_kind="community",
                                   rules=scoring.default_rules("社区月度考核"), activate=True)
    _analyze()
    began = time.perf_counter()
    period = scoring.period_close(actor=office, scheme=scheme, kind="month", day=day)
    close_s = time.perf_counter() - began
    units = period.scores.count()
    out(f"关闭{period.label}：{units:,} 个社区，用时 {close_s:.2f} 秒")
    _analyze()
    ranking = measure_page(office, f"/scoring/periods/{period.pk}/", repeat)
    ranking_sql_ms = _time_sql(lambda: ranking_sql(period), repeat)
    dashboard = measure_page(office, "/dashboard/", repeat)
    dashboard_sql_ms = _time_sql(lambda: dashboard_sql(org.city.path, timezone.now()), repeat)
    for name, page, sql_ms in (("排名页", ranking, ranking_sql_ms), ("驾驶舱", dashboard, dashboard_sql_ms)):
        out(f"  {name}：HTTP {page.status}，{page.queries} 次查询，中位 {page.median_ms:.1f} ms；"
            f"等效手写SQL 中位 {sql_ms:.1f} ms，比值 {page.median_ms / sql_ms:.2f}")
    line = result_line("ranking", {
        "close_s": close_s, "units": units, "ranking_q": ranking.queries, "ranking_ms": ranking.median_ms,
        "ranking_sql_ms": ranking_sql_ms, "ratio_ranking": ranking.median_ms / ranking_sql_ms,
        "dashboard_q": dashboard.queries, "dashboard_ms": dashboard.median_ms, "dashboard_sql_ms": dashboard_sql_ms,
        "ratio_dashboard": dashboard.median_ms / dashboard_sql_ms, "problems": problems, "points": points})
    out(line)
    return line


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="wenming bench ranking",
                                     description="全市1500个社区的月度考核关闭、排名页和领导驾驶舱，与等效手写SQL对比")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--problems", type=int, default=100_000, help="问题数（默认100000）")
    parser.add_argument("--points", type=int, default=20_000, help="点位数（默认20000）")
    parser.add_argument("--sample", type=int, default=5_000, help="月考核测评的点位数（默认5000）")
    parser.add_argument("--requests", type=int, default=15, help="每个页面计时的请求数（默认15）")
    parser.add_argument("--org", choices=["city", "small"], default="city", help="组织机构规模（默认 city）")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    with throwaway_database(args.db):
        run(problems=args.problems, points=args.points, sample=args.sample, repeat=args.requests,
            org_scale=args.org, seed=args.seed, out=lambda line: print(line, flush=True))
    return 0
