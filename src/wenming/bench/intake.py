"""``wenming bench intake``: problems created per second through the JSON API by concurrent
clients, next to the throughput of a bare Django JSON view on the same server, in the same run.

The server is the production one (gunicorn, as ``wenming serve`` starts it: 2 workers × 4
threads on SQLite) on a throwaway database holding the small demo city. ``--clients`` threads
each log in as a different reporter (grid worker, community handler, inspector) through the
login form — cookies and CSRF token as a browser has them — and then, for ``--seconds`` (or
until ``--requests`` have been sent), POST JSON to ``/api/problems/`` (each with its own
Idempotency-Key) or, for the baseline, the same body to ``/bench/ping/``. Phases: baseline, API,
baseline again; the baseline figure is the mean of its two phases.

Before that (``--in-process N``, 0 to skip), the same two requests are measured in this process
through Django's test client: the SQL statements of one request and its CPU time
(``queries_api``, ``cpu_ms_api``, ``queries_ping``, ``cpu_ms_ping``).

    RESULT intake api_per_s=… baseline_per_s=… ratio=… api_p50_ms=… baseline_p50_ms=… errors=…
           queries_api=… cpu_ms_api=… queries_ping=… cpu_ms_ping=…
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field

from .runner import result_line, throwaway_database

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class HttpError(RuntimeError):
    pass


class BrowserLike:
    """One client: a keep-alive connection, a cookie jar, the CSRF token."""

    def __init__(self, host: str, port: int, timeout: float = 30):
        self.host, self.port, self.timeout = host, port, timeout
        self.cookies: dict[str, str] = {}
        self.conn: http.client.HTTPConnection | None = None
        self.location: str | None = None  # the Location header of the last response

    def _connection(self) -> http.client.HTTPConnection:
        if self.conn is None:
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        return self.conn

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        headers = dict(headers or {})
        headers["Host"] = f"{self.host}:{self.port}"
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        for attempt in (1, 2):  # the server may have closed an idle keep-alive connection
            conn = self._connection()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
                    http.client.CannotSendRequest, http.client.ResponseNotReady):
                self.close()
                if attempt == 2:
                    raise
                continue
            self.location = response.getheader("Location")
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    cookie = value.split(";", 1)[0]
                    key, _, val = cookie.partition("=")
                    self.cookies[key.strip()] = val.strip()
            if response.getheader("Connection", "").lower() == "close":
                self.close()
            return response.status, data
        raise AssertionError("unreachable")

    def login(self, username: str, password: str) -> None:
        status, page = self.request("GET", "/login/")
        match = CSRF_INPUT.search(page.decode("utf-8", "replace"))
        if status != 200 or not match:
            raise HttpError(f"登录页无法打开（HTTP {status}）")
        form = urllib.parse.urlencode({"username": username, "password": password,
                                       "csrfmiddlewaretoken": match.group(1)}).encode()
        status, _ = self.request("POST", "/login/", form, {"Content-Type": "application/x-www-form-urlencoded"})
        if status != 302 or "sessionid" not in self.cookies:
            raise HttpError(f"{username} 登录失败（HTTP {status}）")

    def post_json(self, path: str, payload: dict, extra: dict[str, str] | None = None) -> int:
        headers = {"Content-Type": "application/json", "X-CSRFToken": self.cookies.get("csrftoken", ""),
                   "Accept": "application/json", **(extra or {})}
        status, _ = self.request("POST", path, json.dumps(payload, ensure_ascii=False).encode(), headers)
        return status


@dataclass
class Reporter:
    username: str
    area: str  # unit code where this reporter may report


@dataclass
class Phase:
    name: str
    ok: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)

    @property
    def per_second(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0

    @property
    def p50_ms(self) -> float:
        return statistics.median(self.latencies) * 1000 if self.latencies else 0.0


def pick_reporters(n: int, seed: int = 1) -> list[Reporter]:
    """``n`` different accounts that may report: grid workers in their grid, community handlers
    in their community, inspectors anywhere."""
    from wenming.org.models import Membership, Role, UnitKind

    rng = random.Random(seed)
    rows = list(Membership.objects.filter(role__in=[Role.GRID_WORKER, Role.HANDLER, Role.INSPECTOR], is_active=True)
                .select_related("user", "unit").order_by("id"))
    communities = [m.unit.code for m in rows if m.unit.kind == UnitKind.COMMUNITY]
    pool = []
    for m in rows:
        if m.role == Role.GRID_WORKER or (m.role == Role.HANDLER and m.unit.kind == UnitKind.COMMUNITY):
            pool.append(Reporter(m.user.username, m.unit.code))
        elif m.role == Role.INSPECTOR:
            pool.append(Reporter(m.user.username, rng.choice(communities)))
    rng.shuffle(pool)
    if len(pool) < n:
        raise SystemExit(f"演示城市只有 {len(pool)} 个可报告问题的账号，--clients 不能超过这个数")
    return pool[:n]


def problem_payload(rng: random.Random, area: str) -> dict:
    from wenming.demo.catalog import CATALOG

    code = rng.choice(list(CATALOG))
    where, title, description, _ = rng.choice(CATALOG[code][1])
    values = {"road": "人民路", "road2": "解放路", "no": str(rng.randint(1, 300)), "estate": "桂花小区",
              "bldg": str(rng.randint(1, 20)), "market": "东门", "park": "江滨公园", "community": "本社区",
              "district": "东湖区"}
    return {"title": title.format(**values)[:100], "category": code, "area": area, "severity": "normal",
            "address": "江城市" + where.format(**values), "description": description,
            "latitude": f"{28.42 + rng.uniform(-0.1, 0.1):.6f}", "longitude": f"{115.98 + rng.uniform(-0.1, 0.1):.6f}"}


def run_phase(name: str, clients: list[BrowserLike], reporters: list[Reporter], *, seconds: float,
              max_requests: int, api: bool, seed: int) -> Phase:
    """All clients at once, until ``seconds`` pass or ``max_requests`` have been sent."""
    phase = Phase(name)
    lock = threading.Lock()
    budget = [max_requests]
    barrier = threading.Barrier(len(clients) + 1)
    path = "/api/problems/" if api else "/bench/ping/"

    def work(k: int) -> None:
        rng = random.Random(f"{seed}:{name}:{k}")
        client, reporter = clients[k], reporters[k]
        barrier.wait()
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            with lock:
                if budget[0] <= 0:
                    return
                budget[0] -= 1
            payload = problem_payload(rng, reporter.area)
            extra = {"Idempotency-Key": uuid.UUID(int=rng.getrandbits(128)).hex} if api else None
            began = time.perf_counter()
            try:
                status = client.post_json(path, payload, extra)
            except OSError:
                status = 0
            spent = time.perf_counter() - began
            with lock:
                phase.statuses[status] = phase.statuses.get(status, 0) + 1
                if status in (200, 201):
                    phase.ok += 1
                    phase.latencies.append(spent)
                else:
                    phase.errors += 1

    threads = [threading.Thread(target=work, args=(k,), daemon=True) for k in range(len(clients))]
    for t in threads:
        t.start()
    barrier.wait()
    started = time.perf_counter()
    for t in threads:
        t.join()
    phase.seconds = time.perf_counter() - started
    return phase


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(env: dict, port: int, workers: int, threads: int, log_path: str) -> subprocess.Popen:
    log = open(log_path, "ab")  # noqa: SIM115 (closed with the process)
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "wenming.config.wsgi:application", "--bind", f"127.0.0.1:{port}",
         "--workers", str(workers), "--threads", str(threads), "--log-level", "warning"],
        env={**env, "DJANGO_SETTINGS_MODULE": "wenming.bench.settings"}, stdout=log, stderr=log)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn 启动失败，见 {log_path}")
        try:
            probe = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            probe.request("GET", "/bench/ping/", headers={"Host": f"127.0.0.1:{port}"})
            if probe.getresponse().status == 200:
                probe.close()
                return process
        except OSError:
            time.sleep(0.2)
    stop_server(process)
    raise SystemExit("gunicorn 在60秒内没有就绪")


def stop_server(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def measure(host: str, port: int, reporters: list[Reporter], password: str, *, seconds: float, max_requests: int,
            warmup: float = 1.0, seed: int = 2026, out=print) -> dict[str, float]:
    """Log the clients in, then run warm-up, baseline, API, baseline. Returns the figures."""
    clients = [BrowserLike(host, port) for _ in reporters]
    for client, reporter in zip(clients, reporters, strict=True):
        client.login(reporter.username, password)
    out(f"{len(clients)} 个客户端已登录：{'、'.join(r.username for r in reporters)}")
    if warmup:
        run_phase("warm-ping", clients, reporters, seconds=warmup, max_requests=max_requests, api=False, seed=seed)
        run_phase("warm-api", clients, reporters, seconds=warmup, max_requests=max_requests, api=True, seed=seed)
    phases = [
        run_phase("baseline-1", clients, reporters, seconds=seconds, max_requests=max_requests, api=False, seed=seed),
        run_phase("api", clients, reporters, seconds=seconds, max_requests=max_requests, api=True, seed=seed),
        run_phase("baseline-2", clients, reporters, seconds=seconds, max_requests=max_requests, api=False, seed=seed),
    ]
    for client in clients:
        client.close()
    for phase in phases:
        out(f"  {phase.name:<11} {phase.ok:>6} 成功 / {phase.errors} 失败，{phase.seconds:6.2f} 秒，"
            f"{phase.per_second:8.1f} 次/秒，中位延迟 {phase.p50_ms:.1f} ms，状态码 {phase.statuses}")
    baseline = (phases[0].per_second + phases[2].per_second) / 2
    api = phases[1]
    return {
        "api_per_s": api.per_second, "baseline_per_s": baseline,
        "ratio": api.per_second / baseline if baseline else 0.0,
        "api_p50_ms": api.p50_ms, "baseline_p50_ms": statistics.mean([phases[0].p50_ms, phases[2].p50_ms]),
        "api_ok": api.ok, "errors": sum(p.errors for p in phases), "clients": len(clients),
    }


def measure_in_process(reporters: list[Reporter], *, requests: int = 300, rounds: int = 3, seed: int = 2026,
                       out=print) -> dict[str, float]:
    """What one request costs the server, without the network and the other clients: through
    Django's test client in this process (all the middleware, no CSRF), the statements one API
    intake and one baseline request run, and the CPU time of each (best of ``rounds`` runs of
    ``requests``)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from wenming.org.models import User

    clients = []
    for reporter in reporters[:4]:
        client = Client(HTTP_HOST="localhost")
        client.force_login(User.objects.get(username=reporter.username))
        clients.append((client, reporter))
    rng = random.Random(f"{seed}:in-process")

    def post(k: int, api: bool) -> None:
        client, reporter = clients[k % len(clients)]
        extra = {"HTTP_IDEMPOTENCY_KEY": uuid.UUID(int=rng.getrandbits(128)).hex} if api else {}
        response = client.post("/api/problems/" if api else "/bench/ping/",
                               json.dumps(problem_payload(rng, reporter.area), ensure_ascii=False),
                               content_type="application/json", **extra)
        if response.status_code not in (200, 201):
            raise HttpError(f"进程内请求失败（HTTP {response.status_code}）：{response.content[:200]!r}")

    for k in range(20):  # caches, the sessions' first save
        post(k, True)
        post(k, False)
    statements = {}
    for api in (True, False):
        with CaptureQueriesContext(connection) as context:
            post(0, api)
        statements[api] = len(context.captured_queries)
    cpu: dict[bool, list[float]] = {True: [], False: []}
    for _ in range(rounds):
        for api in (False, True):
            started = time.process_time()
            for k in range(requests):
                post(k, api)
            cpu[api].append((time.process_time() - started) / requests * 1000)
    figures = {"queries_api": statements[True], "queries_ping": statements[False],
               "cpu_ms_api": min(cpu[True]), "cpu_ms_ping": min(cpu[False])}
    out(f"进程内（无网络、无并发）：API 每次 {figures['queries_api']} 条SQL、CPU {figures['cpu_ms_api']:.2f} ms；"
        f"空白视图 {figures['queries_ping']} 条SQL、CPU {figures['cpu_ms_ping']:.2f} ms")
    return figures


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="wenming bench intake", description="问题接收（API）吞吐量与空白Django视图对比")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--clients", type=int, default=8, help="并发客户端数（默认8）")
    parser.add_argument("--seconds", type=float, default=10.0, help="每个阶段的时长（秒，默认10）")
    parser.add_argument("--requests", type=int, default=50000, help="每个阶段的请求数上限（默认50000）")
    parser.add_argument("--workers", type=int, default=0, help="gunicorn 进程数（默认同 wenming serve）")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--in-process", type=int, default=300, metavar="N",
                        help="先在本进程内测量单次请求的SQL条数和CPU时间（每轮N次，默认300；0为跳过）")
    args = parser.parse_args(argv)

    with throwaway_database(args.db, settings_module="wenming.bench.settings") as env:
        from django.conf import settings
        from django.db import connections

        from wenming.demo.build import build_demo
        from wenming.demo.org import DEMO_PASSWORD

        print("生成小型演示城市（含约125个问题）……", flush=True)
        build_demo(scale="small", seed=args.seed, plans=False)
        reporters = pick_reporters(args.clients, args.seed)
        single = {}
        if args.in_process:
            single = measure_in_process(reporters, requests=args.in_process, seed=args.seed,
                                        out=lambda s: print(s, flush=True))
        from wenming.cases.models import Problem

        before = Problem.objects.count()
        connections.close_all()  # the server's processes have the database to themselves
        sqlite = settings.DATABASES["default"]["ENGINE"].endswith("sqlite3")
        workers = args.workers or (2 if sqlite else 2 * (os.cpu_count() or 1) + 1)
        port = free_port()
        log_path = os.path.join(env["WENMING_DATA_DIR"], "gunicorn.log")
        print(f"启动 gunicorn：127.0.0.1:{port}，{workers} 个进程 × {args.threads} 线程，"
              f"{args.clients} 个客户端，每阶段 {args.seconds:g} 秒（至多 {args.requests} 次请求）", flush=True)
        server = start_server(env, port, workers, args.threads, log_path)
        try:
            figures = measure("127.0.0.1", port, reporters, DEMO_PASSWORD, seconds=args.seconds,
                              max_requests=args.requests, seed=args.seed, out=lambda s: print(s, flush=True))
        finally:
            stop_server(server)
        created = Problem.objects.count() - before
        print(f"数据库中新增问题 {created} 个（计时阶段成功 {figures['api_ok']} 个，另含预热）", flush=True)
        if figures["errors"]:
            print(f"注意：共有 {figures['errors']} 个请求失败，见 {log_path}", flush=True)
    print(result_line("intake", {
        "api_per_s": figures["api_per_s"], "baseline_per_s": figures["baseline_per_s"], "ratio": figures["ratio"],
        "api_p50_ms": figures["api_p50_ms"], "baseline_p50_ms": figures["baseline_p50_ms"],
        "clients": figures["clients"], "errors": figures["errors"], **single, "db": args.db}), flush=True)
    return 0
