"""The ``wenming`` command: serve, demo, and a passthrough to Django's management commands.

    wenming serve [--host 127.0.0.1] [--port 8000] [--workers N] [--no-worker] [--no-sweep]
                                            (gunicorn + one task worker + `sweep --loop`)
    wenming worker [db_worker options]      (runs queued background jobs: exports …)
    wenming demo [--scale small|city] [--seed N] [--reset] [--if-empty]
    wenming init-city --code 370200 --name 某某市 --office-username admin_office
    wenming audit-verify [--anchor PATH]    (the audit log's and the timeline's hash chains, and the last anchor)
    wenming audit-anchor [--file PATH]      (append the chains' length and last hash to an anchor file)
    wenming sweep [--loop]                  (deadlines: warnings, 督办单, 督办函, 通报批评)
    wenming manage <any django command> …   (e.g. wenming manage check --deploy)
    wenming fuzz-api [--examples N] [--db sqlite|postgres|both]   (schemathesis on the whole API; a checkout)
    wenming createsuperuser
"""

from __future__ import annotations

import argparse
import os
import sys


def _django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wenming.config.settings")
    import django

    django.setup()
    from django.core.management import call_command

    return call_command


def serve(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="wenming serve",
                                     description="迁移数据库并启动生产级 WSGI 服务（gunicorn），以及后台任务进程和到期巡检")
    parser.add_argument("--host", default=os.environ.get("WENMING_HOST", "127.0.0.1"))
    parser.add_argument("--port", default=os.environ.get("WENMING_PORT", "8000"))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WENMING_WORKERS", "0")) or None)
    parser.add_argument("--no-worker", action="store_true",
                        help="不启动后台任务进程（另行运行 wenming worker 时使用）")
    parser.add_argument("--no-sweep", action="store_true",
                        help="不启动到期巡检（另行运行 wenming sweep --loop 时使用）")
    args = parser.parse_args(argv)
    call_command = _django()
    call_command("migrate", interactive=False, verbosity=1)
    call_command("collectstatic", interactive=False, verbosity=0)
    from django.conf import settings

    workers = args.workers or (2 if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3") else 2 * (os.cpu_count() or 1) + 1)
    server = [
        sys.executable, "-m", "gunicorn", "wenming.config.wsgi:application",
        "--bind", f"{args.host}:{args.port}", "--workers", str(workers), "--threads", "4",
        "--access-logfile", "-", "--forwarded-allow-ips", os.environ.get("WENMING_PROXY_IPS", "127.0.0.1"),
    ]
    helpers = []
    if not args.no_worker:
        if _database_task_backend():
            helpers.append([sys.executable, "-m", "wenming.cli", "worker", "--no-reload"])
        else:
            print("提示：任务队列不是数据库后端，未启动 wenming worker；请按该后端的方式运行任务进程。", flush=True)
    if not args.no_sweep:
        helpers.append([sys.executable, "-m", "wenming.cli", "sweep", "--loop"])
    print(f"文明城市创建管理平台 已启动： http://{args.host}:{args.port}/  （按 Ctrl+C 停止）", flush=True)
    if not helpers:
        os.execvp(sys.executable, server)
    return supervise(server, helpers)


def _database_task_backend() -> bool:
    from django_tasks_db.backend import DatabaseBackend

    try:
        from django.tasks import task_backends  # type: ignore[import-not-found]
    except ImportError:
        from django_tasks import task_backends
    return isinstance(task_backends["default"], DatabaseBackend)


def supervise(server: list[str], helpers: list[list[str]], *, restart_delay: float = 5.0) -> int:
    """Run ``server`` and the ``helpers`` (worker, sweeper) as child processes, each in its own
    process group so that a terminal's Ctrl+C reaches them once, through us. SIGINT/SIGTERM are
    forwarded to all; a helper that dies is restarted; when the server exits, the helpers are
    stopped and its exit code is ours."""
    import signal
    import subprocess
    import time

    def start(command):
        return subprocess.Popen(command, process_group=0)

    children = [start(command) for command in helpers]
    main = start(server)
    stopping = False

    def forward(signum, frame):  # noqa: ARG001
        # the server gets the signal as sent (gunicorn: SIGINT quick, SIGTERM graceful); a helper
        # gets SIGTERM (the worker then finishes its current task; a second one ends it)
        nonlocal stopping
        stopping = True
        if main.poll() is None:
            main.send_signal(signum)
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    died_at: dict[int, float] = {}
    try:
        while main.poll() is None:
            for index, child in enumerate(children):
                if stopping or child.poll() is None:
                    continue
                if index not in died_at:
                    print(f"后台进程已退出（{' '.join(helpers[index][3:])}，退出码 {child.returncode}），"
                          f"{restart_delay:g} 秒后重启", file=sys.stderr, flush=True)
                    died_at[index] = time.monotonic()
                elif time.monotonic() - died_at[index] >= restart_delay:
                    children[index] = start(helpers[index])
                    del died_at[index]
            time.sleep(0.5)
    finally:
        if not stopping:  # the server exited by itself
            for child in children:
                if child.poll() is None:
                    child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 30
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()
        if main.poll() is None:
            main.terminate()
            main.wait()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return main.returncode if main.returncode >= 0 else 128 - main.returncode


def demo(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="wenming demo", description="生成演示城市数据")
    parser.add_argument("--scale", choices=["small", "city"], default="small")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--reset", action="store_true", help="先清除已有的演示数据")
    parser.add_argument("--if-empty", action="store_true", help="已有数据时跳过")
    args = parser.parse_args(argv)
    call_command = _django()
    call_command("migrate", interactive=False, verbosity=0)
    from django.core.management import CommandError

    try:
        call_command("demo", scale=args.scale, seed=args.seed, reset=args.reset, if_empty=args.if_empty)
    except CommandError as error:
        print(f"错误：{error}", file=sys.stderr)
        return 1
    return 0


def manage(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wenming.config.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["wenming manage", *argv])
    return 0


COMMANDS = {
    "serve": serve,
    "demo": demo,
    "manage": manage,
    "createsuperuser": lambda argv: manage(["createsuperuser", *argv]),
    "init-city": lambda argv: manage(["init_city", *argv]),
    "audit-verify": lambda argv: manage(["audit_verify", *argv]),
    "audit-anchor": lambda argv: manage(["audit_anchor", *argv]),
    "sweep": lambda argv: manage(["sweep", *argv]),
    "worker": lambda argv: manage(["db_worker", *argv]),
    "bench": lambda argv: __import__("wenming.bench.runner", fromlist=["main"]).main(argv),
    "fuzz-api": lambda argv: __import__("wenming.devtools.fuzz", fromlist=["main"]).main(argv),
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in {"-h", "--help", "help"} or argv[0] not in COMMANDS:
        print(__doc__)
        return 0 if not argv or argv[0] in {"-h", "--help", "help"} else 2
    return COMMANDS[argv[0]](argv[1:]) or 0


if __name__ == "__main__":
    sys.exit(main())
