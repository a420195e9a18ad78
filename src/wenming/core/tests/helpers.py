"""Test helpers for background work: run what the task queue holds, in-process; a local SMS gateway."""

from __future__ import annotations

from unittest import mock


def run_pending_tasks() -> int:
    """What ``wenming worker --batch`` does: run every ready task of the default database
    backend, here in the test's process and transaction; returns how many ran."""
    from django_tasks_db.management.commands import db_worker

    worker = db_worker.Worker(queue_names=["*"], interval=0, batch=True, backend_name="default",
                              startup_delay=False, max_tasks=None, worker_id="test-worker", excluded_queue_names=[])
    # the worker closes "obsolete" connections between tasks, and a connection inside the test's
    # transaction looks obsolete to Django (as in Django's own TestCase, which disconnects this
    # from the request signals); signals are left to the test runner (no configure_signals())
    with mock.patch.object(db_worker, "close_old_connections", lambda: None):
        worker.run()
    return worker._run_tasks


class LocalGateway:
    """A stand-in for the city's SMS gateway: an HTTP server on 127.0.0.1 (a free port) in a
    thread, answering every POST with ``statuses`` in turn (the last one repeats). Each call is
    kept in ``calls`` as ``(payload, seen)``, where ``seen`` is what ``observe()`` returned while
    the request was being handled — run in the server's thread, so with its own database
    connection, it tells what another process could read at that moment."""

    def __init__(self, statuses=(200,), observe=None):
        self.statuses = list(statuses)
        self.observe = observe
        self.calls: list[tuple[dict, object]] = []

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}/sms"

    def __enter__(self) -> LocalGateway:
        import json
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                length = int(self.headers.get("Content-Length") or 0)
                payload = json.loads(self.rfile.read(length) or b"{}")
                seen = None
                if gateway.observe is not None:
                    from django.db import connections

                    try:
                        seen = gateway.observe()
                    except Exception as error:  # noqa: BLE001 (a locked database is what some tests look for)
                        seen = f"error: {error}"
                    finally:
                        connections.close_all()
                gateway.calls.append((payload, seen))
                status = gateway.statuses[min(len(gateway.calls), len(gateway.statuses)) - 1]
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b'{"ok": %s}' % (b"true" if status < 300 else b"false"))

            def log_message(self, *args):  # keep the test output clean
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


def tamper(table: str, sql: str, params=None) -> None:
    """What someone with full rights on the database can do: drop (SQLite) or disable
    (PostgreSQL) the append-only triggers of ``table`` by hand, then run ``sql`` on it."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [table])
            for (name,) in cursor.fetchall():
                cursor.execute(f'DROP TRIGGER "{name}"')
        else:  # (ALTER TABLE waits for no deferred foreign-key check of the test's own rows)
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER USER')
        cursor.execute(sql, params)
