"""Run the pytest suite against SQLite and against a throwaway PostgreSQL 15.

    python -m wenming.devtools.testrun [--db sqlite|postgres|both] [pytest args...]

Each pass runs pytest from the repository root in a child process:
  * SQLite: DATABASE_URL unset, WENMING_DATA_DIR pointing at a fresh temp directory;
  * PostgreSQL: DATABASE_URL pointing at a server started by ``temporary_postgres()``.
Headless Chromium (Debian's package, plus fonts-noto-cjk), LibreOffice Writer without a GUI
(``soffice --convert-to pdf`` for the bulletins), poppler-utils (pdftotext/pdftoppm/pdfinfo for
the PDF tests) and the PostgreSQL server are installed with apt-get, in one run, when missing
and we are root; Chromium's path is passed to the browser tests as WENMING_CHROMIUM.

Exit status is non-zero if any pass fails; "no tests collected" (pytest exit 5) fails too.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from wenming.devtools.pgserver import PostgresNotFound, PostgresStartError, find_postgres, temporary_postgres

DB_CHOICES = ("sqlite", "postgres", "both")
CHILDREN: list[subprocess.Popen] = []   # the pytest processes started (stopped together when interrupted)
serial = False   # --serial: the two passes one after the other (default: side by side on two cores)
CHROMIUM_PATHS = ("/usr/bin/chromium",)
CJK_FONT_PACKAGE = "fonts-noto-cjk"
# the smallest Debian package giving `soffice --headless --convert-to pdf` (no X11, no Java)
LIBREOFFICE_PACKAGE = "libreoffice-writer-nogui"
POPPLER_PACKAGE = "poppler-utils"
USAGE = """\
用法 usage: python -m wenming.devtools.testrun [--db sqlite|postgres|both] [pytest args...]

  --db sqlite     只用 SQLite 测试 / SQLite pass only
  --db postgres   只用临时 PostgreSQL 15 测试 / throwaway PostgreSQL pass only
  --db both       两者都测（默认，两个测试同时运行）/ both passes (default, side by side)
  --serial        两个测试依次运行 / the passes one after the other

其余参数原样传给 pytest / all other arguments go to pytest (e.g. -k name, -x, -m "not browser").
"""


@dataclass
class PassResult:
    name: str
    exit_code: int
    seconds: float
    passed: int = 0
    failed: int = 0  # failures + errors
    skipped: int = 0
    note: str = ""

    @property
    def ok(self) -> bool:
        return self.exit_code == 0


def repo_root() -> Path:
    """The directory holding pyproject.toml: this checkout (editable install) or the cwd's."""
    here = Path(__file__).resolve()
    for start in (here.parent, Path.cwd()):
        for candidate in (start, *start.parents):
            if (candidate / "pyproject.toml").is_file():
                return candidate
    return Path.cwd()


def parse_args(argv: list[str]) -> tuple[str, list[str]]:
    """Pull ``--db X`` / ``--db=X`` (and ``--serial``) out of argv (before any ``--``); the rest is for pytest."""
    global serial
    db = "both"
    rest: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--":
            rest += argv[i + 1 :]
            break
        if arg == "--serial":
            serial = True
            i += 1
            continue
        if arg in ("-h", "--help"):
            print(USAGE)
            raise SystemExit(0)
        if arg == "--db" or arg.startswith("--db="):
            if arg == "--db":
                if i + 1 >= len(argv):
                    raise SystemExit(f"--db 需要一个值 / needs a value: {', '.join(DB_CHOICES)}")
                value = argv[i + 1]
                i += 2
            else:
                value = arg.split("=", 1)[1]
                i += 1
            if value not in DB_CHOICES:
                raise SystemExit(f"--db {value!r}: 可选 / choose from {', '.join(DB_CHOICES)}")
            db = value
            continue
        rest.append(arg)
        i += 1
    return db, rest


def _apt_install(packages: list[str]) -> bool:
    """apt-get install as root; False (with a warning) when not root or it fails."""
    names = " ".join(packages)
    if os.geteuid() != 0:
        print(f"警告 warning: not root, cannot install {names}; run: sudo apt-get install {names}")
        return False
    if not shutil.which("apt-get"):
        print(f"警告 warning: no apt-get here; install {names} by hand")
        return False
    print(f"== 安装 installing: {names} ==", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    try:
        subprocess.run(["apt-get", "update"], check=True, env=env, stdin=subprocess.DEVNULL)
        subprocess.run(["apt-get", "install", "-y", *packages], check=True, env=env, stdin=subprocess.DEVNULL)
    except subprocess.CalledProcessError as exc:
        print(f"警告 warning: apt-get failed ({exc}); continuing without {names}")
        return False
    return True


def find_chromium() -> str | None:
    explicit = os.environ.get("WENMING_CHROMIUM")
    if explicit and os.access(explicit, os.X_OK):
        return explicit
    for path in CHROMIUM_PATHS:
        if os.access(path, os.X_OK):
            return path
    return shutil.which("chromium")


def _dpkg_missing(package: str) -> bool:
    """True when dpkg exists and says the package is not installed."""
    if not shutil.which("dpkg-query"):
        return False
    result = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True, check=False)
    return "install ok installed" not in result.stdout


def ensure_system_packages(need_postgres: bool) -> str | None:
    """Install what the suite needs from the OS (one apt-get run); return the Chromium path."""
    wanted: list[str] = []
    if find_chromium() is None:
        wanted.append("chromium")
    if _dpkg_missing(CJK_FONT_PACKAGE):  # Chinese text in screenshots/PDFs
        wanted.append(CJK_FONT_PACKAGE)
    if not (shutil.which("soffice") or shutil.which("libreoffice")):  # bulletins as PDF
        wanted.append(LIBREOFFICE_PACKAGE)
    if not (shutil.which("pdftotext") and shutil.which("pdftoppm") and shutil.which("pdfinfo")):
        wanted.append(POPPLER_PACKAGE)
    if need_postgres:
        try:
            find_postgres()
        except PostgresNotFound:
            wanted.append("postgresql")
    if wanted:
        _apt_install(wanted)
    chromium = find_chromium()
    if chromium is None:
        print("警告 warning: Chromium not found; browser tests will fail or be skipped (apt-get install chromium)")
    return chromium


def banner(text: str) -> None:
    print(f"\n== 测试: {text} ==\n", flush=True)


def read_junit(path: Path) -> tuple[int, int, int] | None:
    """(passed, failed, skipped) from pytest's JUnit XML report, or None if absent."""
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError):
        return None
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    total = failed = skipped = 0
    for suite in suites:
        total += int(suite.get("tests", 0))
        failed += int(suite.get("failures", 0)) + int(suite.get("errors", 0))
        skipped += int(suite.get("skipped", 0))
    return max(total - failed - skipped, 0), failed, skipped


def run_pytest(name: str, pytest_args: list[str], env: dict[str, str], root: Path, log=None) -> PassResult:
    """One pass of pytest; its output to ``log`` (a file) when given, else to ours. With a log (passes side by
    side) each pass has its own temporary directory and no shared cache."""
    with tempfile.TemporaryDirectory(prefix="wenming-junit-") as tmp:
        report = Path(tmp) / "report.xml"
        own = ["-p", "no:cacheprovider", f"--basetemp={Path(tmp) / 'pytest'}"] if log is not None else []
        if log is not None:   # written as it goes, not in blocks: the progress lines read the log
            env = {**env, "PYTHONUNBUFFERED": "1"}
        started = time.monotonic()
        child = subprocess.Popen(
            [sys.executable, "-m", "pytest", f"--junitxml={report}", *own, *pytest_args], cwd=root, env=env,
            stdout=log, stderr=subprocess.STDOUT if log is not None else None,
        )
        CHILDREN.append(child)
        try:
            code = child.wait()
        except KeyboardInterrupt:
            _stop_child(child)
            raise
        result = PassResult(name, code, time.monotonic() - started)
        counts = read_junit(report)
    if counts is not None:
        result.passed, result.failed, result.skipped = counts
    if code == 5:
        result.note = "没有收集到测试 no tests collected"
    elif code != 0:
        result.note = f"pytest exit {code}"
    if code != 0 and result.failed == 0:
        result.failed = 1  # nothing ran / internal error: count it so the totals never read clean
    return result


def _stop_child(child: subprocess.Popen[bytes]) -> None:
    """Stop pytest after we were interrupted, politely first.

    On Ctrl-C pytest got SIGINT itself; on SIGTERM to us alone it did not, so pass on a
    SIGINT (pytest's clean interrupt), then escalate.
    """
    steps: list[tuple[Callable[[], None] | None, float]] = [
        (None, 2),
        (lambda: child.send_signal(signal.SIGINT), 10),
        (child.terminate, 5),
        (child.kill, 5),
    ]
    for action, grace in steps:
        if action is not None and child.poll() is None:
            action()
        try:
            child.wait(timeout=grace)
            return
        except subprocess.TimeoutExpired:
            continue


@contextmanager
def sqlite_env(base: dict[str, str]) -> Iterator[dict[str, str]]:
    with tempfile.TemporaryDirectory(prefix="wenming-data-") as data_dir:
        env = {key: value for key, value in base.items() if key != "DATABASE_URL"}
        env["WENMING_DATA_DIR"] = data_dir
        yield env


@contextmanager
def postgres_env(base: dict[str, str]) -> Iterator[dict[str, str]]:
    with tempfile.TemporaryDirectory(prefix="wenming-data-") as data_dir, temporary_postgres() as url:
        print(f"(DATABASE_URL={url})", flush=True)
        yield {**base, "DATABASE_URL": url, "WENMING_DATA_DIR": data_dir}


def _one_pass(label, make_env, pytest_args, base_env, root, log=None) -> PassResult:
    try:
        with make_env(base_env) as env:
            return run_pytest(label, pytest_args, env, root, log)
    except (PostgresNotFound, PostgresStartError) as exc:
        print(f"错误 error: {label}: {exc}", flush=True)
        return PassResult(label, 1, 0.0, failed=1, note="server did not start")


def _side_by_side(passes, pytest_args, base_env, root) -> list[PassResult]:
    """The passes at the same time (one core each; the suite is single-threaded), each into its own log, shown
    whole as each one ends."""
    import threading

    results: dict[str, PassResult] = {}
    logs = {label: tempfile.NamedTemporaryFile(prefix="wenming-pass-", suffix=".log") for label, _ in passes}
    print("== 测试 tests: " + " + ".join(label for label, _ in passes) + " 同时运行 side by side (--serial: one after "
          "the other) ==", flush=True)

    def work(label, make_env):
        results[label] = _one_pass(label, make_env, pytest_args, base_env, root, logs[label])

    threads = [threading.Thread(target=work, args=pass_, daemon=True) for pass_ in passes]
    for thread in threads:
        thread.start()
    shown: set[str] = set()
    last_word = time.monotonic()
    try:
        while len(shown) < len(passes):
            if time.monotonic() - last_word >= HEARTBEAT:   # a word now and then: CI sees the passes move
                print("   … " + "；".join(f"{label} {_progress(logs[label].name)}" for label, _ in passes
                                       if label not in shown), flush=True)
                last_word = time.monotonic()
            for (label, _), thread in zip(passes, threads, strict=True):
                if label not in shown and not thread.is_alive():
                    banner(label)
                    logs[label].seek(0)
                    sys.stdout.flush()
                    shutil.copyfileobj(logs[label], sys.stdout.buffer)
                    sys.stdout.buffer.flush()
                    shown.add(label)
            time.sleep(1)
    except KeyboardInterrupt:
        for child in CHILDREN:
            _stop_child(child)
        for thread in threads:   # each pass unwinds: its PostgreSQL server is stopped
            thread.join(timeout=30)
        raise
    finally:
        for log in logs.values():
            log.close()
    return [results[label] for label, _ in passes]


HEARTBEAT = 300   # seconds between the progress lines of passes run side by side
PERCENT = re.compile(rb"\[\s*(\d+)%\]")


def _progress(path: str) -> str:
    """How far a pass is, from the last ``[ 42%]`` pytest printed in its log (read by name: a handle of our own)."""
    try:
        with open(path, "rb") as log:
            log.seek(max(0, os.path.getsize(path) - 4096))
            found = PERCENT.findall(log.read())
    except OSError:
        found = []
    return f"{int(found[-1])}%" if found else "开始 starting"


def _raise_keyboard_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    db, pytest_args = parse_args(sys.argv[1:] if argv is None else argv)
    # SIGTERM (CI timeout, kill) unwinds like Ctrl-C, so the PostgreSQL server gets stopped
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    root = repo_root()

    base_env = dict(os.environ)
    chromium = ensure_system_packages(need_postgres=db in ("postgres", "both"))
    if chromium:
        base_env["WENMING_CHROMIUM"] = chromium

    passes: list[tuple[str, Callable[[dict[str, str]], AbstractContextManager[dict[str, str]]]]] = []
    if db in ("sqlite", "both"):
        passes.append(("SQLite", sqlite_env))
    if db in ("postgres", "both"):
        try:
            label = f"PostgreSQL {find_postgres().major}"
        except PostgresNotFound:
            label = "PostgreSQL 15"
        passes.append((label, postgres_env))

    results: list[PassResult] = []
    try:
        if len(passes) > 1 and not serial and (os.cpu_count() or 1) > 1:
            results = _side_by_side(passes, pytest_args, base_env, root)
        else:
            for label, make_env in passes:
                banner(label)
                results.append(_one_pass(label, make_env, pytest_args, base_env, root))
    except KeyboardInterrupt:
        print("\n已中断 interrupted", flush=True)
        return 130

    print("\n== 汇总 summary ==")
    for r in results:
        status = "通过 PASS" if r.ok else "失败 FAIL"
        note = f" — {r.note}" if r.note else ""
        print(
            f"[{status}] {r.name}: {r.passed} passed, {r.failed} failed, {r.skipped} skipped in {r.seconds:.1f}s{note}"
        )
    # plain closing line, for tools that read the totals
    total = [sum(getattr(r, field) for r in results) for field in ("passed", "failed", "skipped")]
    print(f"total: {total[0]} passed, {total[1]} failed, {total[2]} skipped", flush=True)

    failing = [r for r in results if not r.ok]
    return failing[0].exit_code if failing else 0


if __name__ == "__main__":
    raise SystemExit(main())
