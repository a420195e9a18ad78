"""``wenming bench <workload> [options]`` — run one benchmark and print its RESULT line.

    wenming bench intake [--db sqlite|postgres] [--clients 8] [--seconds 10] [--requests 50000]
    wenming bench inspect [--db sqlite|postgres] [--clients 8] [--seconds 10] [--in-process 10] [--profile 0]
    wenming bench ledger [--db sqlite|postgres] [--sizes 10000,1000000] [--requests 15] [--org city|small]
    wenming bench round-score [--db sqlite|postgres] [--sizes 200,2000] [--requests 15]
    wenming bench ranking [--db sqlite|postgres] [--problems 100000] [--points 20000] [--sample 5000] [--requests 15]
    wenming bench plans [--db sqlite|postgres] [--sizes 200,2000] [--import-rows 5000] [--requests 15]
    wenming bench survey [--db sqlite|postgres] [--sizes 50000,500000] [--requests 15]

Every workload runs on a throwaway database (a SQLite file in a temporary directory, or with
``--db postgres`` a temporary PostgreSQL server from wenming.devtools.pgserver) that is deleted
at the end, and its last line is ``RESULT <workload> <name>=<value> …``.
Also: ``python -m wenming.bench.runner <workload> …``.
"""

from __future__ import annotations

import importlib
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

WORKLOADS = {
    "intake": "wenming.bench.intake",
    "inspect": "wenming.bench.inspection",
    "ledger": "wenming.bench.ledger",
    "round-score": "wenming.bench.round_score",
    "ranking": "wenming.bench.ranking",
    "plans": "wenming.bench.plans",
    "survey": "wenming.bench.survey",
}


def result_line(workload: str, values: dict[str, object]) -> str:
    """``RESULT <workload> name=value …``; floats with up to 4 significant decimals."""

    def fmt(value) -> str:
        if isinstance(value, float):
            return f"{value:.4g}" if abs(value) < 1000 else f"{value:.1f}"
        return str(value)

    return " ".join(["RESULT", workload, *(f"{name}={fmt(value)}" for name, value in values.items())])


@contextmanager
def throwaway_database(kind: str = "sqlite", settings_module: str = "wenming.config.settings") -> Iterator[dict]:
    """Point this process (and the children it starts) at a fresh, empty database, set up
    Django, migrate, and delete everything afterwards. Yields the environment to pass to
    child processes."""
    if kind not in {"sqlite", "postgres"}:
        raise SystemExit(f"--db 应为 sqlite 或 postgres，而不是 {kind}")
    data_dir = tempfile.mkdtemp(prefix="wenming-bench-")
    saved = {name: os.environ.get(name) for name in ("WENMING_DATA_DIR", "DATABASE_URL", "DJANGO_SETTINGS_MODULE")}
    try:
        os.environ["WENMING_DATA_DIR"] = data_dir
        os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
        os.environ.pop("DATABASE_URL", None)
        if kind == "postgres":
            from wenming.devtools.pgserver import temporary_postgres

            with temporary_postgres("wenming_bench") as url:
                os.environ["DATABASE_URL"] = url
                yield _setup(data_dir)
        else:
            yield _setup(data_dir)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        shutil.rmtree(data_dir, ignore_errors=True)


def _setup(data_dir: str) -> dict:
    import warnings

    import django

    warnings.filterwarnings("ignore", message="No directory at")  # whitenoise: no collectstatic here
    from django.conf import settings

    django.setup()
    from django.core.management import call_command

    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(f"数据库：{engine}（临时，位于 {data_dir if engine == 'sqlite3' else os.environ.get('DATABASE_URL')}）",
          flush=True)
    call_command("migrate", interactive=False, verbosity=0)
    return dict(os.environ)


def usage() -> str:
    return __doc__


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(usage())
        return 0
    if argv[0] not in WORKLOADS:
        print(f"未知的基准测试：{argv[0]}；可选：{'、'.join(WORKLOADS)}", file=sys.stderr)
        return 2
    module = importlib.import_module(WORKLOADS[argv[0]])
    return module.main(argv[1:]) or 0


if __name__ == "__main__":
    sys.exit(main())
