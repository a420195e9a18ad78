"""Test helpers for background jobs: run what the task queue holds, in-process."""

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
