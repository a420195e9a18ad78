"""A throwaway PostgreSQL server for the test suite.

    with temporary_postgres() as url:
        os.environ["DATABASE_URL"] = url   # postgres://postgres@127.0.0.1:PORT/wenming

The server lives in a fresh temporary directory (data, socket and log), listens on
127.0.0.1 only with trust authentication, runs with durability switched off for speed,
and is stopped and deleted when the ``with`` block exits, however it exits.

Running as root: initdb refuses to, so every server command then runs as the ``postgres``
system user through ``runuser`` (the user is created if missing) and the directory is
chowned to it.
"""

from __future__ import annotations

import glob
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PREFERRED_MAJOR = 15  # production runs PostgreSQL 15
SERVICE_USER = "postgres"
INSTALL_HINT = (
    "PostgreSQL server binaries (initdb, pg_ctl) not found on PATH or under "
    "/usr/lib/postgresql/*/bin. Install them: Debian/Ubuntu `apt-get install postgresql` "
    "(bookworm: package postgresql-15); or set WENMING_PG_BINDIR to the bin directory."
)


class PostgresNotFound(RuntimeError):
    """The server binaries are not installed."""


class PostgresStartError(RuntimeError):
    """initdb or pg_ctl failed; the message carries their output / the server log."""


@dataclass(frozen=True)
class PgBinaries:
    bindir: Path
    major: int
    version: str  # e.g. "15.18"

    def tool(self, name: str) -> str:
        return str(self.bindir / name)


def _version_of(bindir: Path) -> tuple[int, str] | None:
    """(major, full version) reported by ``bindir/initdb --version``, or None if unusable."""
    initdb, pg_ctl = bindir / "initdb", bindir / "pg_ctl"
    if not (os.access(initdb, os.X_OK) and os.access(pg_ctl, os.X_OK)):
        return None
    try:
        out = subprocess.run([str(initdb), "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"(\d+)(?:\.(\d+))?", out)
    if not match:
        return None
    return int(match.group(1)), match.group(0)


def find_postgres() -> PgBinaries:
    """Locate initdb/pg_ctl: WENMING_PG_BINDIR, then PATH, then /usr/lib/postgresql/*/bin.

    Among what is found, major version 15 (production) is preferred, then the closest
    newer major, then the newest older one (which may work, but is not what we ship on).
    """
    candidates: list[Path] = []
    if override := os.environ.get("WENMING_PG_BINDIR"):
        candidates.append(Path(override))
    if on_path := shutil.which("initdb"):
        # Debian puts symlinks or wrappers on PATH; resolve to the real bin directory
        candidates.append(Path(on_path).resolve().parent)
    candidates += [Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin")]

    found: list[PgBinaries] = []
    for bindir in dict.fromkeys(candidates):  # dedupe, keep order
        if (info := _version_of(bindir)) is not None:
            found.append(PgBinaries(bindir, *info))
    if not found:
        raise PostgresNotFound(INSTALL_HINT)

    def rank(b: PgBinaries) -> tuple[int, int]:
        if b.major == PREFERRED_MAJOR:
            return (2, 0)
        return (1, -b.major) if b.major > PREFERRED_MAJOR else (0, b.major)

    return max(found, key=rank)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _ensure_service_user() -> pwd.struct_passwd:
    try:
        return pwd.getpwnam(SERVICE_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", SERVICE_USER], check=True)
        return pwd.getpwnam(SERVICE_USER)


def _base_tmpdir(as_service_user: bool) -> str:
    """Parent for the server directory.

    The unix socket path must stay short (~107 bytes), and when we drop to the service
    user every ancestor must be traversable by it, so fall back to /tmp when in doubt.
    """
    base = tempfile.gettempdir()
    if len(base) > 60:
        return "/tmp"
    if as_service_user:
        path = Path(base).resolve()
        for part in [path, *path.parents]:
            if not os.stat(part).st_mode & 0o001:
                return "/tmp"
    return base


class _Server:
    """One server instance in ``root``; commands run as the service user when we are root."""

    def __init__(self, pg: PgBinaries, root: Path, prefix: list[str]) -> None:
        self.pg = pg
        self.root = root
        self.data = root / "data"
        self.log = root / "server.log"
        self.prefix = prefix
        self.port = 0

    def run(self, name: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        # cwd=root: a cwd the service user cannot read (e.g. /root) makes the tools complain
        return subprocess.run(
            [*self.prefix, self.pg.tool(name), *args],
            cwd=self.root,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )

    def initdb(self) -> None:
        common = ["-D", str(self.data), "-U", SERVICE_USER, "--auth=trust", "--encoding=UTF8", "--no-sync"]
        result = self.run("initdb", *common, "--locale=C.UTF-8")
        if result.returncode != 0:  # C.UTF-8 missing on this system: plain C always exists
            shutil.rmtree(self.data, ignore_errors=True)
            result = self.run("initdb", *common, "--locale=C")
        if result.returncode != 0:
            raise PostgresStartError(f"initdb failed:\n{result.stdout}{result.stderr}")

        # TCP on loopback only, trust auth; speed over durability (the data is thrown away)
        settings = {
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{self.root}'",
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": "100",
            "log_min_messages": "warning",
        }
        with open(self.data / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write("\n# wenming throwaway test server\n")
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())
        (self.data / "pg_hba.conf").write_text(
            "local all all trust\nhost all all 127.0.0.1/32 trust\n", encoding="utf-8"
        )

    def start(self, attempts: int = 3) -> None:
        for attempt in range(1, attempts + 1):
            self.port = _free_port()
            result = self.run(
                "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60",
                "-o", f"-p {self.port}", "start",
            )  # fmt: skip
            if result.returncode == 0:
                return
            log = self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
            # another process may have grabbed the port between probing and binding: retry
            if attempt < attempts and "could not bind" in log:
                continue
            raise PostgresStartError(f"pg_ctl start failed:\n{result.stdout}{result.stderr}\n--- server log ---\n{log}")

    def createdb(self, name: str) -> None:
        result = self.run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", SERVICE_USER, name)
        if result.returncode != 0:
            raise PostgresStartError(f"createdb {name} failed:\n{result.stdout}{result.stderr}")

    def _postmaster_pid(self) -> int | None:
        try:
            return int((self.data / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return None

    def stop(self) -> None:
        """Stop the server; never raises. Falls back to killing the postmaster."""
        pid = self._postmaster_pid()
        if pid is None:
            return  # never started (or already gone)
        try:
            # immediate: no checkpoint, nothing worth keeping
            self.run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "-t", "30", "stop", timeout=60)
        except (OSError, subprocess.SubprocessError):
            pass
        for sig in (signal.SIGQUIT, signal.SIGKILL):
            if not _alive(pid):
                return
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                return
            except PermissionError:
                break
            deadline = time.monotonic() + 10
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # a zombie still answers kill(0); treat it as gone
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


@contextmanager
def temporary_postgres(dbname: str = "wenming") -> Iterator[str]:
    """Start a throwaway PostgreSQL server; yield a DATABASE_URL for database ``dbname``.

    The database exists (pytest-django then creates ``test_<dbname>`` next to it). The
    server is stopped and its directory removed on exit, exceptions and Ctrl-C included.
    Raises PostgresNotFound if the binaries are missing, PostgresStartError if they fail.
    """
    pg = find_postgres()
    as_root = os.geteuid() == 0
    prefix: list[str] = []
    owner: pwd.struct_passwd | None = None
    if as_root:
        owner = _ensure_service_user()
        prefix = ["runuser", "-u", SERVICE_USER, "--"]

    root = Path(tempfile.mkdtemp(prefix="wenming-pg-", dir=_base_tmpdir(as_root)))
    server = _Server(pg, root, prefix)
    try:
        if owner is not None:
            os.chown(root, owner.pw_uid, owner.pw_gid)
        server.initdb()
        if owner is not None:  # files we wrote as root must stay readable by the server
            for name in ("postgresql.conf", "pg_hba.conf"):
                os.chown(server.data / name, owner.pw_uid, owner.pw_gid)
        server.start()
        server.createdb(dbname)
        yield f"postgres://{SERVICE_USER}@127.0.0.1:{server.port}/{dbname}"
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":  # manual check: python -m wenming.devtools.pgserver
    found = find_postgres()
    print(f"using PostgreSQL {found.version} from {found.bindir}")
    with temporary_postgres() as url:
        print(url)
