"""Production mode: `check --deploy` is clean with the documented variables; required ones are required."""

import os
import subprocess
import sys

PRODUCTION_ENV = {
    "WENMING_PRODUCTION": "1",
    "WENMING_SECRET_KEY": "k" * 20 + "T7pQ2vX9mZ4rL8sW1nB6cY3hJ5gF0dKaE",
    "WENMING_ALLOWED_HOSTS": "cw.example.gov.cn",
    "WENMING_CSRF_TRUSTED_ORIGINS": "https://cw.example.gov.cn",
    "WENMING_BEHIND_PROXY": "1",
}


def run_manage(args, extra_env, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("WENMING_") and k not in {"DATABASE_URL", "DJANGO_ALLOW_ASYNC_UNSAFE"}}
    env.update({"DJANGO_SETTINGS_MODULE": "wenming.config.settings", "WENMING_DATA_DIR": str(tmp_path)}, **extra_env)
    return subprocess.run([sys.executable, "-m", "django", *args], env=env, capture_output=True, text=True,
                          timeout=120)


def test_check_deploy_is_clean_in_production(tmp_path):
    result = run_manage(["check", "--deploy", "--fail-level", "WARNING"], PRODUCTION_ENV, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_requires_secret_key(tmp_path):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "WENMING_SECRET_KEY"}
    result = run_manage(["check"], env, tmp_path)
    assert result.returncode != 0 and "WENMING_SECRET_KEY must be set" in result.stderr


def test_development_generates_and_keeps_a_secret_key(tmp_path):
    assert run_manage(["check"], {}, tmp_path).returncode == 0
    key = (tmp_path / "secret_key").read_text()
    assert len(key) > 50 and oct((tmp_path / "secret_key").stat().st_mode)[-3:] == "600"
    assert run_manage(["check"], {}, tmp_path).returncode == 0
    assert (tmp_path / "secret_key").read_text() == key


def test_sqlite_runs_in_wal_mode(db):
    from django.db import connection

    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        mode = cursor.fetchone()[0]
    # the in-memory test database cannot use WAL; the configured init command asks for it
    assert "journal_mode=WAL" in connection.settings_dict["OPTIONS"]["init_command"]
    assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert mode in {"wal", "memory"}
