"""The `wenming` command: `serve`'s process supervision and the worker entry."""

import os
import signal
import sys
import threading

from wenming import cli


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def _helper(pidfile) -> list[str]:
    return [sys.executable, "-c",
            f"import os, pathlib, time; pathlib.Path({str(pidfile)!r}).write_text(str(os.getpid())); time.sleep(60)"]


def test_worker_command_wraps_the_database_worker():
    assert cli.COMMANDS["worker"] is not None
    assert "wenming worker" in cli.__doc__ and "--no-worker" in cli.__doc__ and "--no-sweep" in cli.__doc__


def test_supervise_stops_the_helpers_when_the_server_exits(tmp_path):
    pidfile = tmp_path / "helper.pid"
    server = [sys.executable, "-c", "import time; time.sleep(1.5); raise SystemExit(3)"]
    assert cli.supervise(server, [_helper(pidfile)]) == 3
    assert not _alive(int(pidfile.read_text()))  # the helper was stopped with the server


def test_supervise_forwards_sigterm(tmp_path):
    pidfile = tmp_path / "helper.pid"
    server = [sys.executable, "-c", "import time; time.sleep(60)"]
    threading.Timer(1.0, lambda: os.kill(os.getpid(), signal.SIGTERM)).start()
    assert cli.supervise(server, [_helper(pidfile)]) == 128 + signal.SIGTERM
    assert not _alive(int(pidfile.read_text()))
