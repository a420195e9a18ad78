"""Smoke tests of the benchmarks: the ledger workload at a tiny size, in-process; the intake
clients (login form, cookies, CSRF, JSON) and the inspection clients (the multipart inspection
form with photos) against a live server. Timings are not asserted."""

import re
import threading
from contextlib import contextmanager
from datetime import datetime
from wsgiref.simple_server import WSGIRequestHandler, make_server
from zoneinfo import ZoneInfo

import pytest

from wenming.bench.runner import main as bench_main
from wenming.bench.runner import result_line

RESULT = re.compile(r"^RESULT (?P<workload>\w+)(?P<pairs>( [a-z_0-9]+=[^\s=]+)+)$")


def parse(line: str) -> tuple[str, dict[str, str]]:
    match = RESULT.match(line)
    assert match, line
    pairs = dict(pair.split("=", 1) for pair in match.group("pairs").split())
    return match.group("workload"), pairs


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def test_result_line_format():
    line = result_line("intake", {"api_per_s": 123.456, "ratio": 0.83251, "errors": 0, "big": 12345.678})
    assert line == "RESULT intake api_per_s=123.5 ratio=0.8325 errors=0 big=12345.7"
    assert parse(line)[0] == "intake"


@pytest.mark.django_db
def test_ledger_workload_at_a_tiny_size():
    from wenming.bench.ledger import run

    printed: list[str] = []
    # a fixed history (seed and end), whose office page has problems at both sizes: an empty page
    # would save the query of its rows
    now = datetime(2026, 11, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    line = run(sizes=[400, 200], repeat=3, org_scale="small", seed=2, out=printed.append, now=now)
    assert printed[-1] == line  # the RESULT line comes last
    office = [text for text in printed if " office " in text and "次查询" in text]
    assert len(office) == 2 and not any("（范围内 0 个问题）" in text for text in office), office
    workload, values = parse(line)
    assert workload == "ledger"
    assert values["small"] == "200" and values["large"] == "400"
    for page in ("handler", "mine", "office"):
        for key in (f"{page}_q_small", f"{page}_q_large", f"{page}_ms_small", f"{page}_ms_large", f"ratio_{page}"):
            assert key in values, key
            float(values[key])
        # a fixed number of queries, whatever the size
        assert values[f"{page}_q_small"] == values[f"{page}_q_large"], page
        assert int(values[f"{page}_q_small"]) > 0
    assert all("HTTP 200" in text for text in printed if "次查询" in text)
    from wenming.cases.models import Problem

    assert Problem.objects.count() == 400


class _Quiet(WSGIRequestHandler):
    def log_message(self, *args):
        pass


@contextmanager
def server_on_the_test_connection():
    """A WSGI server in a thread that uses the test's own database connection (as Django's
    live server does for in-memory SQLite), so it sees the test's rows and its writes are rolled
    back with the test — no flush that would also remove what the migrations seeded."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connections

    conn = connections["default"]
    conn.inc_thread_sharing()
    server = make_server("127.0.0.1", 0, WSGIHandler(), handler_class=_Quiet)

    def serve():
        connections["default"] = conn
        server.serve_forever(poll_interval=0.05)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.server_address
    finally:
        server.shutdown()
        thread.join()
        server.server_close()
        conn.dec_thread_sharing()


@pytest.mark.django_db
def test_intake_against_a_live_server_and_in_process(settings):
    """One small city (without its assessment and plan: the intake needs its people and places) for both ways of
    measuring the intake: clients over HTTP against a live server (SQLite only), and in-process."""
    from django.db import connection

    from wenming.bench.intake import measure, measure_in_process, pick_reporters
    from wenming.cases.models import Problem
    from wenming.demo.build import build_demo
    from wenming.demo.org import DEMO_PASSWORD

    settings.ROOT_URLCONF = "wenming.bench.urls"
    settings.ALLOWED_HOSTS = ["*"]
    build_demo(scale="small", seed=3, scoring=False, plans=False)
    reporters = pick_reporters(2, seed=3)
    if connection.vendor == "sqlite":   # the in-thread server shares the connection only on SQLite
        before = Problem.objects.count()
        lines: list[str] = []
        with server_on_the_test_connection() as (host, port):
            # one request at a time: the clients take turns on the one shared connection
            figures = {}
            for reporter in reporters:
                figures = measure(host, port, [reporter], DEMO_PASSWORD, seconds=0.5, max_requests=3, warmup=0,
                                  out=lines.append)
                assert figures["errors"] == 0, lines
                assert figures["api_ok"] == 3 and figures["api_per_s"] > 0 and figures["baseline_per_s"] > 0
        assert Problem.objects.count() - before == 6
        made_by = set(Problem.objects.order_by("-id")[:6].values_list("reporter__username", flat=True))
        assert made_by == {r.username for r in reporters}

    before = Problem.objects.count()
    lines = []
    figures = measure_in_process(reporters, requests=5, rounds=2, out=lines.append)
    assert Problem.objects.count() - before == 20 + 1 + 2 * 5  # warm-up, the counted one, the timed ones
    # the API's statements (see cases/tests/test_intake.py) and the baseline's session and user
    assert figures["queries_api"] == 15 and figures["queries_ping"] == 2
    assert figures["cpu_ms_api"] > 0 and figures["cpu_ms_ping"] > 0
    assert lines and "15 条SQL" in lines[0]


@pytest.mark.django_db
def test_inspect_clients_against_a_live_server(settings):
    from django.db import connection

    from wenming.bench.inspection import (
        figures_line,
        make_photos,
        measure,
        measure_in_process,
        prepare,
    )
    from wenming.cases.models import Problem
    from wenming.demo.org import DEMO_PASSWORD
    from wenming.inspections.models import Inspection, ItemResult, RoundPoint

    if connection.vendor != "sqlite":
        pytest.skip("the in-thread server shares the connection only on SQLite")
    settings.ROOT_URLCONF = "wenming.bench.urls"
    settings.ALLOWED_HOSTS = ["*"]
    lines: list[str] = []
    prepared = prepare(clients=1, per_inspector=8, seed=3, out=lines.append)
    assert len(prepared.items) == 30 and len(prepared.inspectors) == 2
    assert all(len(queue) == 8 for queue in prepared.queues.values())
    photos = make_photos(seed=3)
    assert len(photos) == 3 and all(20_000 < len(photo) < 150_000 for photo in photos)
    with server_on_the_test_connection() as (host, port):
        figures = measure(host, port, prepared, prepared.inspectors[:1], DEMO_PASSWORD, photos, seconds=60,
                          max_requests=2, warmup=0, out=lines.append)
    assert figures["errors"] == 0, lines
    assert figures["inspect_ok"] == 2 and figures["inspect_per_s"] > 0 and figures["baseline_per_s"] > 0
    workload, values = parse(figures_line(figures, {}, "sqlite"))
    assert workload == "inspect"
    assert (values["items"], values["photos"], values["clients"], values["errors"], values["db"]) == (
        "30", "3", "1", "0", "sqlite")
    for key in ("inspect_per_s", "baseline_per_s", "ratio", "inspect_p50_ms", "baseline_p50_ms"):
        float(values[key])
    # the two submissions: scored, their photos kept, a problem raised per failed item
    done = RoundPoint.objects.filter(round_id=prepared.round_id, status=RoundPoint.Status.DONE)
    assert done.count() == 2 and all(row.score is not None for row in done)
    assert Inspection.objects.filter(round_point__in=done, status=Inspection.Status.SUBMITTED).count() == 2
    results = ItemResult.objects.filter(inspection__round_point__in=done)
    assert results.count() == 60
    assert ItemResult.photos.through.objects.filter(itemresult__in=results).count() == 6
    failed = results.filter(failed=True)
    assert 2 <= failed.count() <= 6 and failed.filter(problem__isnull=True).count() == 0
    assert Problem.objects.filter(item_results__in=failed).count() == failed.count()

    single = measure_in_process(prepared, photos, requests=1, rounds=1, out=lines.append)
    assert single["queries_inspect"] > single["queries_ping"] > 0
    assert single["cpu_ms_inspect"] > 0 and single["cpu_ms_ping"] > 0
    assert done.all().count() == 2 + 3 + 3 + 1  # and warm-up, the counted ones, the timed one
    assert parse(figures_line(figures, single, "sqlite"))[1]["queries_inspect"] == str(single["queries_inspect"])


def test_unknown_workload_is_refused(capsys):
    assert bench_main(["nonsense"]) == 2
    assert "intake" in capsys.readouterr().err
    assert bench_main([]) == 0
