"""The ``wenming`` command: serve, demo, and a passthrough to Django's management commands.

    wenming serve [--host 127.0.0.1] [--port 8000] [--workers N]
    wenming demo [--scale small|city] [--seed N] [--reset] [--if-empty]
    wenming init-city --code 370200 --name 某某市 --office-username admin_office
    wenming audit-verify
    wenming sweep [--loop]                  (deadlines: warnings, 督办单, 督办函, 通报批评)
    wenming manage <any django command> …   (e.g. wenming manage check --deploy)
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
    parser = argparse.ArgumentParser(prog="wenming serve", description="迁移数据库并启动生产级 WSGI 服务（gunicorn）")
    parser.add_argument("--host", default=os.environ.get("WENMING_HOST", "127.0.0.1"))
    parser.add_argument("--port", default=os.environ.get("WENMING_PORT", "8000"))
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WENMING_WORKERS", "0")) or None)
    args = parser.parse_args(argv)
    call_command = _django()
    call_command("migrate", interactive=False, verbosity=1)
    call_command("collectstatic", interactive=False, verbosity=0)
    from django.conf import settings

    workers = args.workers or (2 if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3") else 2 * (os.cpu_count() or 1) + 1)
    print(f"文明城市创建管理平台 已启动： http://{args.host}:{args.port}/  （按 Ctrl+C 停止）", flush=True)
    os.execvp(sys.executable, [
        sys.executable, "-m", "gunicorn", "wenming.config.wsgi:application",
        "--bind", f"{args.host}:{args.port}", "--workers", str(workers), "--threads", "4",
        "--access-logfile", "-", "--forwarded-allow-ips", os.environ.get("WENMING_PROXY_IPS", "127.0.0.1"),
    ])
    return 0  # not reached


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
    "sweep": lambda argv: manage(["sweep", *argv]),
    "bench": lambda argv: __import__("wenming.bench.runner", fromlist=["main"]).main(argv),
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in {"-h", "--help", "help"} or argv[0] not in COMMANDS:
        print(__doc__)
        return 0 if not argv or argv[0] in {"-h", "--help", "help"} else 2
    return COMMANDS[argv[0]](argv[1:]) or 0


if __name__ == "__main__":
    sys.exit(main())
