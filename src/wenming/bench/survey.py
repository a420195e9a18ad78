"""``wenming bench survey``: a campaign's rates page at city scale.

In-process (Django's test Client: the whole middleware and template stack). The city organisation (12
districts, 120 streets, 1,500 communities) is built with a closed 入户调查 over every community; its responses
are written in bulk (demo.surveys.build_city_surveys: each answered by the questionnaire's rules, the tallies
kept as the services keep them) up to each of ``--sizes`` (default 50,000, then 500,000). At each size:

* ``rates`` — the city office's results page at community level (all 1,500 communities' four rates with their
  Wilson intervals and warnings worked out, the first page of them shown), read from the tallies;
* ``rates_sql`` — the hand-written SQL that gives the same figures from the responses themselves (counted
  responses grouped by community, each rate's answered and positive counts);

the page's query count must not grow with the responses (printed for both sizes).

    RESULT survey responses=50000,500000 rates_q=…,… rates_ms=…,… rates_sql_ms=…,… ratio=…
"""

from __future__ import annotations

import argparse
import time

from .ledger import measure_page
from .ranking import _time_sql
from .runner import result_line, throwaway_database


def rates_sql(campaign_id: int) -> None:
    from django.db import connection

    parts = ", ".join(f"SUM(CASE WHEN {r} IS NOT NULL THEN 1 ELSE 0 END), SUM(CASE WHEN {r} THEN 1 ELSE 0 END)"
                      for r in ("awareness", "support", "participation", "satisfaction"))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT unit_id, COUNT(*), {parts} FROM surveys_response "  # noqa: S608 (fixed names)
                       "WHERE campaign_id = %s AND status = 'counted' GROUP BY unit_id", [campaign_id])
        cursor.fetchall()


def run(*, sizes=(50_000, 500_000), repeat: int = 15, org_scale: str = "city", seed: int = 2026, out=print) -> str:
    from django.db import transaction

    from wenming.demo.org import build_org
    from wenming.demo.surveys import build_city_surveys

    began = time.perf_counter()
    with transaction.atomic():
        org = build_org(scale=org_scale, seed=seed)
    out(f"组织机构（{org_scale}）已生成：{len(org.districts)} 个区，{len(org.streets)} 个街道，"
        f"{len(org.communities)} 个社区，用时 {time.perf_counter() - began:.1f} 秒")
    office = org.personas["office_city"].user
    figures: dict[str, list] = {"rates_q": [], "rates_ms": [], "rates_sql_ms": []}
    campaign, made = None, 0
    for size in sizes:
        began = time.perf_counter()
        campaign, written = build_city_surveys(org, seed=seed + size, count=size - made, campaign=campaign)
        made += written
        page = measure_page(office, f"/surveys/campaigns/{campaign.pk}/results/?level=community", repeat)
        sql_ms = _time_sql(lambda: rates_sql(campaign.pk), repeat)
        figures["rates_q"].append(page.queries)
        figures["rates_ms"].append(page.median_ms)
        figures["rates_sql_ms"].append(sql_ms)
        out(f"{made:,} 份答卷（生成 {time.perf_counter() - began:.1f} 秒）：调查结果页 {page.queries} 次查询 中位 "
            f"{page.median_ms:.1f} ms，等效手写SQL（由答卷汇总） {sql_ms:.1f} ms")
    if len(set(figures["rates_q"])) != 1:
        raise AssertionError(f"查询数随答卷数增长：{figures['rates_q']}")

    def joined(values):
        return ",".join(f"{v:.4g}" if isinstance(v, float) else str(v) for v in values)

    line = result_line("survey", {"responses": joined(sizes), **{k: joined(v) for k, v in figures.items()},
                                  "ratio": figures["rates_ms"][-1] / figures["rates_sql_ms"][-1]})
    out(line)
    return line


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="wenming bench survey",
                                     description="问卷调查结果页（城市规模，1,500个社区，两种答卷数）")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--sizes", default="50000,500000", help="答卷数，逗号分隔（默认 50000,500000）")
    parser.add_argument("--requests", type=int, default=15, help="每个页面计时的请求数（默认15）")
    parser.add_argument("--org", choices=["city", "small"], default="city", help="组织机构规模（默认 city）")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    try:
        sizes = tuple(int(part) for part in args.sizes.split(","))
    except ValueError:
        parser.error("--sizes 应为逗号分隔的整数，如 50000,500000")
    with throwaway_database(args.db):
        run(sizes=sizes, repeat=args.requests, org_scale=args.org, seed=args.seed,
            out=lambda line: print(line, flush=True))
    return 0
