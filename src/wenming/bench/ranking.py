"""``wenming bench ranking``: closing a month for the city's 1,500 communities, then the month's
ranking page and the leader dashboard, each against the hand-written SQL aggregate that gives the
same figures from the data, timed in the same run.

In-process (Django's test Client: the whole middleware and template stack, no network). The demo
organisation at city scale (DESIGN.md §10: 12 districts, 120 streets, 1,500 communities, 6,000
grids) is built, the city generator (wenming.demo.city) writes ``--problems`` problems over three
years with their timelines and 督办 documents (default 100,000; ``--problems 1000000`` is the city
dataset), ``--points`` points are spread over the grids (default 20,000) and a published 月考核 of
the last full month scores ``--sample`` of them (default 5,000; their latest scores feed the map).
The sweeper's day counts (cases.metrics.daily) are filled, as a running system has them. Then:

* ``close`` — ``scoring.services.period_close`` of that month for a scheme assessing every
  community of the city (实地测评, 问题整改, 督办; target ≤ 60 s);
* ``ranking`` — the city office's ranking page ``/scoring/periods/<id>/`` (first 100 rows, 红黄榜),
  against ``ranking_sql``: the month's figures of every community aggregated by hand from the
  data (the round's point scores, the problems as they stood at the month's end, the 督办 notices),
  rolled up to the communities and ranked — what the page would cost without the stored scores;
* ``dashboard`` — the city office's ``/dashboard/`` (today by district and category, the
  rankings, the points' pass rates and map, the problem heat), against ``dashboard_sql``: the same
  aggregates by hand from the problems, notices and points (targets for both: ratio ≤ 1.5 and
  median ≤ 300 ms);
* ``floor`` — for reading the ratios: a bare SELECT of the stored rows the ranking page shows
  (``stored_sql``), the least any page could cost;
* ``bulletin`` — a 通报 of 150 units with 20 photos (``bulletins.specimen``) rendered as the background
  job renders it: the .docx from the shipped template, then the PDF through LibreOffice (target ≤ 30 s
  together; ``bulletin_pdf_s`` is -1 where LibreOffice is not installed).

    RESULT ranking close_s=… units=… counts_s=… ranking_q=… ranking_ms=… ranking_sql_ms=… ratio_ranking=…
                   dashboard_q=… dashboard_ms=… dashboard_sql_ms=… ratio_dashboard=… stored_sql_ms=…
                   bulletin_docx_s=… bulletin_pdf_s=… bulletin_s=… problems=… points=…
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
            point.latest_score, point.latest_scored_at, point.updated_at = scores[point.pk], now, now
            batch.append(point)
        Point.objects.bulk_update(batch, ["latest_score", "latest_scored_at", "updated_at"], batch_size=2000)
    return round_


def time_bulletin() -> tuple[float, float]:
    """Seconds for the specimen 通报's .docx and its PDF (-1: no LibreOffice here)."""
    from wenming.bulletins import documents
    from wenming.bulletins.specimen import specimen

    content = specimen()
    began = time.perf_counter()
    docx = documents.bulletin_docx(content)
    docx_s = time.perf_counter() - began
    if documents.find_soffice() is None:
        return docx_s, -1.0
    began = time.perf_counter()
    documents.bulletin_pdf(docx)
    return docx_s, time.perf_counter() - began


def _time_sql(run, repeat: int) -> float:
    run()
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        run()
        times.append(time.perf_counter() - began)
    return statistics.median(times) * 1000


def stored_sql(period) -> None:
    """The floor: the ranking page's stored rows read by hand (first 100 in order, the count, the lists)."""
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


def ranking_sql(period, root_path: str) -> list[tuple[float, str, int]]:
    """The month's ranking aggregated by hand from the data, with the default scheme's rules: the
    mean point score of each community's points in the published rounds ending in the month (实地测评
    50), its problems as they stood at the month's end — due, closed on time, closed, reworked,
    overdue at the end, recurrences (问题整改 20) — and the 督办单, 督办函 and 通报批评 of the month
    (督办 10), rolled up from the responsible units' paths to the communities, scored and sorted:
    [(total, name, id)] best first."""
    from django.db import connection

    from wenming.cases.metrics.figures import TZ

    start = datetime.datetime.combine(period.start, datetime.time.min, tzinfo=TZ)
    end = datetime.datetime.combine(period.end + datetime.timedelta(days=1), datetime.time.min, tzinfo=TZ)
    like = root_path + "%"
    # per path: score sum, points, due, on time, closed, reworked, overdue, recurrences, notices, letters, bulletins
    figures: dict[str, list[float]] = {}

    def add(rows, first: int):
        for path, *values in rows:
            row = figures.setdefault(path, [0.0] * 11)
            for n, value in enumerate(values, start=first):
                row[n] += float(value or 0)

    with connection.cursor() as cursor:
        cursor.execute("SELECT rp.unit_path, SUM(rp.score), COUNT(*) FROM inspections_roundpoint rp"
                       " JOIN inspections_inspectionround r ON r.id = rp.round_id WHERE r.status = 'published'"
                       " AND r.period_end >= %s AND r.period_end <= %s AND rp.status = 'done'"
                       " AND rp.score IS NOT NULL AND rp.unit_path LIKE %s GROUP BY rp.unit_path",
                       [period.start, period.end, like])
        add(cursor.fetchall(), 0)
        cursor.execute(
            "SELECT unit_path, SUM(CASE WHEN deadline >= %s AND deadline < %s THEN 1 ELSE 0 END),"
            " SUM(CASE WHEN deadline >= %s AND deadline < %s AND closed_on_time THEN 1 ELSE 0 END),"
            " SUM(CASE WHEN closed_at >= %s AND closed_at < %s THEN 1 ELSE 0 END),"
            " SUM(CASE WHEN closed_at >= %s AND closed_at < %s AND rework_count > 0 THEN 1 ELSE 0 END),"
            " SUM(CASE WHEN overdue_at < %s AND (closed_at IS NULL OR closed_at >= %s) THEN 1 ELSE 0 END)"
            " FROM cases_problemversion WHERE valid_from < %s AND (valid_to IS NULL OR valid_to >= %s)"
            " AND state NOT IN ('rejected', 'merged') AND unit_path LIKE %s GROUP BY unit_path",
            [start, end, start, end, start, end, start, end, end, end, end, end, like])
        add(cursor.fetchall(), 2)
        cursor.execute("SELECT o.unit_path, COUNT(*) FROM cases_problem p JOIN cases_problem o ON o.id = p.recurrence_of_id"
                       " WHERE p.created_at >= %s AND p.created_at < %s AND p.state NOT IN ('rejected', 'merged')"
                       " AND o.unit_path LIKE %s GROUP BY o.unit_path", [start, end, like])
        add(cursor.fetchall(), 7)
        cursor.execute("SELECT u.path, SUM(CASE WHEN n.kind = 'letter' THEN 0 ELSE 1 END),"
                       " SUM(CASE WHEN n.kind = 'letter' THEN 1 ELSE 0 END) FROM cases_supervisionnotice n"
                       " JOIN org_unit u ON u.id = n.unit_id WHERE n.issued_at >= %s AND n.issued_at < %s"
                       " AND u.path LIKE %s GROUP BY u.path", [start, end, like])
        add(cursor.fetchall(), 8)
        cursor.execute("SELECT p.unit_path, COUNT(*) FROM cases_problemevent e JOIN cases_problem p ON p.id = e.problem_id"
                       " WHERE e.action = 'bulletin' AND e.at >= %s AND e.at < %s AND p.unit_path LIKE %s"
                       " GROUP BY p.unit_path", [start, end, like])
        add(cursor.fetchall(), 10)
        cursor.execute("SELECT id, name, path FROM org_unit WHERE kind = 'community' AND is_active AND path LIKE %s",
                       [like])
        communities = {path: (pk, name) for pk, name, path in cursor.fetchall()}
    depth = next(iter(communities), "/").count("/")   # a community's path: "/1/2/3/4/" → 5
    rolled: dict[str, list[float]] = {}
    for path, values in figures.items():
        community = "/".join(path.split("/")[:depth]) + "/"
        if community in communities:
            row = rolled.setdefault(community, [0.0] * 11)
            for n, value in enumerate(values):
                row[n] += value

    def share(numerator, denominator, invert=False):
        if not denominator:
            return 1.0
        rate = min(numerator / denominator, 1.0)
        return 1 - rate if invert else rate

    ranked = []
    for path, (pk, name) in communities.items():
        total, points, due, on_time, closed, reworked, overdue, recurrences, notices, letters, bulletins = \
            rolled.get(path, [0.0] * 11)
        inspection = round(total / points, 2) if points else None
        rectification = round(min(max(60 * share(on_time, due) + 20 * share(reworked, closed, True)
                                      + 20 * share(recurrences, closed, True) - 2 * overdue, 0.0), 100.0), 2)
        supervision = round(max(100 - 5 * notices - 10 * letters - 20 * bulletins, 0.0), 2)
        parts = [(50, inspection), (20, rectification), (10, supervision)]
        weight = sum(w for w, v in parts if v is not None)
        ranked.append((round(sum(w * v for w, v in parts if v is not None) / weight, 2), name, pk))
    ranked.sort(key=lambda row: (-row[0], row[1]))
    return ranked


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
        org_scale: str = "city", seed: int = 2026, bulletin: bool = True, out=print) -> str:
    from django.db import transaction
    from django.utils import timezone

    from wenming.cases.metrics import daily
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
    began = time.perf_counter()
    counted = daily.refresh()
    counts_s = time.perf_counter() - began
    out(f"问题日汇总（驾驶舱热度）：{len(counted)} 天，用时 {counts_s:.2f} 秒")
    _analyze()
    began = time.perf_counter()
    period = scoring.period_close(actor=office, scheme=scheme, kind="month", day=day)
    close_s = time.perf_counter() - began
    units = period.scores.count()
    out(f"关闭{period.label}：{units:,} 个社区，用时 {close_s:.2f} 秒")
    _analyze()
    ranking = measure_page(office, f"/scoring/periods/{period.pk}/", repeat)
    ranking_sql_ms = _time_sql(lambda: ranking_sql(period, org.city.path), repeat)
    stored_sql_ms = _time_sql(lambda: stored_sql(period), repeat)
    dashboard = measure_page(office, "/dashboard/", repeat)
    dashboard_sql_ms = _time_sql(lambda: dashboard_sql(org.city.path, timezone.now()), repeat)
    for name, page, sql_ms in (("排名页", ranking, ranking_sql_ms), ("驾驶舱", dashboard, dashboard_sql_ms)):
        out(f"  {name}：HTTP {page.status}，{page.queries} 次查询，中位 {page.median_ms:.1f} ms；"
            f"等效手写SQL汇总 中位 {sql_ms:.1f} ms，比值 {page.median_ms / sql_ms:.2f}")
    out(f"  参照：直接读取已存排名行的手写SQL 中位 {stored_sql_ms:.1f} ms")
    docx_s, pdf_s = time_bulletin() if bulletin else (0.0, -1.0)
    bulletin_s = docx_s + max(pdf_s, 0)
    if bulletin:
        out(f"通报（150个单位、20张照片）：Word {docx_s:.2f} 秒，"
            + (f"PDF {pdf_s:.2f} 秒，合计 {bulletin_s:.2f} 秒" if pdf_s >= 0 else "未安装 LibreOffice，未生成PDF"))
    line = result_line("ranking", {
        "close_s": close_s, "units": units, "counts_s": counts_s, "ranking_q": ranking.queries, "ranking_ms": ranking.median_ms,
        "ranking_sql_ms": ranking_sql_ms, "ratio_ranking": ranking.median_ms / ranking_sql_ms,
        "dashboard_q": dashboard.queries, "dashboard_ms": dashboard.median_ms, "dashboard_sql_ms": dashboard_sql_ms,
        "ratio_dashboard": dashboard.median_ms / dashboard_sql_ms, "stored_sql_ms": stored_sql_ms,
        "bulletin_docx_s": docx_s, "bulletin_pdf_s": pdf_s, "bulletin_s": bulletin_s, "problems": problems,
        "points": points})
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
