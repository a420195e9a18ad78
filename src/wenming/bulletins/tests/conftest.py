"""The hand-computed city of scoring/tests/conftest.py (November 2026), for its 通报."""

from wenming.scoring.tests.conftest import city, system  # noqa: F401 (fixtures)
