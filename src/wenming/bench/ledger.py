"""``wenming bench ledger``: the ledger pages at two data sizes (default 10,000 and 1,000,000
problems): queries per request and median time, and how they grow.

In-process, through Django's test Client (the whole middleware and template stack, no network):
the demo organisation (city scale by default: 1,500 communities, 6,000 grids) is built, the
city generator (wenming.demo.city) fills it to the first size, the pages are measured, it is
filled up to the next size, measured again. Pages:

* ``handler`` — a street handler's ledger ``/problems/`` (handler_street_a1: his unit's problems);
* ``mine`` — the same handler's phone list ``/problems/mine/`` (open problems by urgency);
* ``office`` — the city office's filtered ledger ``/problems/?state=rectifying&category=0201``.

    RESULT ledger handler_q_small=… handler_q_large=… handler_ms_small=… handler_ms_large=…
                  mine_… office_… ratio_handler=… ratio_mine=… ratio_office=… small=… large=…

``ratio_*`` is median time at the large size over median time at the small size.
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import dataclass

from .runner import result_line, throwaway_database

PAGES = [
    ("handler", "handler_street_a1", "/problems/"),
    ("mine", "handler_street_a1", "/problems/mine/"),
    ("office", "office_city", "/problems/?state=rectifying&category=0201"),
]


@dataclass
class PageFigures:
    queries: int
    median_ms: float
    in_scope: int  # problems the page's filter covers (what a COUNT has to go through)
    status: int


def measure_page(user, url: str, repeat: int) -> PageFigures:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    for _ in range(2):  # warm up: templates, the session, caches
        client.get(url)
    counts, times, status = [], [], 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            began = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - began)
        status = response.status_code
        counts.append(len(captured.captured_queries))
    if len(set(counts)) != 1:
        raise AssertionError(f"{url}: 同一页面的查询数不稳定 {counts}")
    return PageFigures(queries=counts[0], median_ms=statistics.median(times) * 1000, in_scope=_in_scope(user, url),
                       status=status)


def _in_scope(user, url: str) -> int:
    from django.test import RequestFactory

    from wenming.cases.ledger import selectors
    from wenming.cases.ledger.views import ledger_filter

    if url.startswith("/problems/mine/"):
        return selectors.my_unit_problems(user).count()
    request = RequestFactory().get(url)
    request.user = user
    f, _ = ledger_filter(request)
    return selectors.ledger(user, f).count()


def run(*, sizes: list[int], repeat: int = 15, org_scale: str = "city", seed: int = 2026, org=None,
        out=print, now=None) -> str:
    """Measure at each size (growing the data in between); print the figures and return the
    RESULT line (also printed, last). ``now``: the moment the generated history ends (default: now)."""
    from django.db import transaction

    from wenming.cases.models import Problem
    from wenming.demo.city import build_city_cases
    from wenming.demo.org import build_org

    sizes = sorted(sizes)
    if len(sizes) < 2:
        raise SystemExit("--sizes 至少需要两个规模，如 10000,1000000")
    if org is None:
        began = time.perf_counter()
        with transaction.atomic():
            org = build_org(scale=org_scale, seed=seed)
        out(f"组织机构（{org_scale}）已生成：{len(org.communities)} 个社区，{len(org.grids)} 个网格，"
            f"{org.account_count} 个账号，用时 {time.perf_counter() - began:.1f} 秒")
    users = {username: org.personas[username].user for _, username, _ in PAGES}
    results: dict[int, dict[str, PageFigures]] = {}
    for size in sizes:
        have = Problem.objects.count()
        if size > have:
            began = time.perf_counter()
            build_city_cases(org, count=size - have, seed=seed, now=now)
            spent = time.perf_counter() - began
            out(f"已生成问题至 {size:,} 个（新增 {size - have:,} 个，用时 {spent:.1f} 秒，{(size - have) / spent:,.0f} 个/秒）")
        _analyze()
        results[size] = {}
        for name, username, url in PAGES:
            figures = measure_page(users[username], url, repeat)
            results[size][name] = figures
            out(f"  {size:>9,} 个问题  {name:<8} {url:<45} HTTP {figures.status}  {figures.queries:>3} 次查询  "
                f"中位 {figures.median_ms:8.1f} ms  （范围内 {figures.in_scope:,} 个问题）")
    small, large = results[sizes[0]], results[sizes[-1]]
    values: dict[str, object] = {}
    for name, _, _ in PAGES:
        values[f"{name}_q_small"] = small[name].queries
        values[f"{name}_q_large"] = large[name].queries
        values[f"{name}_ms_small"] = small[name].median_ms
        values[f"{name}_ms_large"] = large[name].median_ms
    for name, _, _ in PAGES:
        values[f"ratio_{name}"] = large[name].median_ms / small[name].median_ms if small[name].median_ms else 0.0
    values["small"], values["large"] = sizes[0], sizes[-1]
    line = result_line("ledger", values)
    out(line)
    return line


def _analyze() -> None:
    """Fresh planner statistics after a bulk load (what a production database has)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="wenming bench ledger", description="问题台账页面：不同数据规模下的查询数与响应时间")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--sizes", default="10000,1000000", help="问题数，逗号分隔（默认 10000,1000000）")
    parser.add_argument("--requests", type=int, default=15, help="每个页面计时的请求数（默认15）")
    parser.add_argument("--org", choices=["city", "small"], default="city", help="组织机构规模（默认 city）")
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args(argv)
    try:
        sizes = [int(part.replace("_", "")) for part in args.sizes.split(",") if part.strip()]
    except ValueError:
        parser.error("--sizes 应为逗号分隔的整数，如 10000,100000")
    with throwaway_database(args.db):
        run(sizes=sizes, repeat=args.requests, org_scale=args.org, seed=args.seed,
            out=lambda line: print(line, flush=True))
    return 0
