"""``wenming fuzz-api``: the API fuzzing test (cases/tests/test_api_fuzz.py) with more examples
than the normal suite's bounded run, on SQLite, a throwaway PostgreSQL, or both.

    wenming fuzz-api [--examples N] [--db sqlite|postgres|both] [pytest args...]

N examples per operation, generation mode (valid and invalid data) and authentication (token,
session); the default 200 takes some minutes per database on 2 cores. Needs the source checkout
(the tests are not installed with the package) and the test dependencies (``pip install -e '.[test]'``)."""

from __future__ import annotations

import argparse
import os

TEST = "src/wenming/cases/tests/test_api_fuzz.py"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="wenming fuzz-api", description="用 schemathesis 按接口说明对整个接口做模糊测试")
    parser.add_argument("--examples", type=int, default=200, help="每个接口、每种数据、每种登录方式的用例数（默认200）")
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="sqlite")
    args, rest = parser.parse_known_args(argv)
    if args.examples < 1:
        parser.error("--examples 至少为1")
    os.environ["WENMING_FUZZ_EXAMPLES"] = str(args.examples)
    from wenming.devtools.testrun import main as testrun

    return testrun(["--db", args.db, TEST, "-q", "-p", "no:cacheprovider", *rest])
