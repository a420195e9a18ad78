"""Smoke test of ``wenming bench round-score`` at a tiny size (timings are not asserted)."""

import re

import pytest


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.mark.django_db
def test_round_score_workload_at_a_tiny_size():
    from wenming.bench.round_score import run

    printed: list[str] = []
    line = run(sizes=[40, 20], repeat=2, seed=7, out=printed.append)
    assert printed[-1] == line
    match = re.match(r"^RESULT round-score((?: [a-z_]+=[^\s=]+)+)$", line)
    assert match, line
    values = dict(pair.split("=", 1) for pair in match.group(1).split())
    assert (values["small"], values["large"]) == ("20", "40")
    # the pages' query counts do not grow with the sample
    assert values["office_q_small"] == values["office_q_large"]
    assert values["unit_q_small"] == values["unit_q_large"]
