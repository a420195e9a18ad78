"""Smoke test of ``wenming bench ranking`` at a tiny size (timings are not asserted)."""

import pytest


@pytest.mark.django_db
def test_ranking_workload_at_a_tiny_size(settings, tmp_path):
    from wenming.bench.ranking import run
    from wenming.scoring.models import PeriodScore

    settings.MEDIA_ROOT = tmp_path / "media"
    printed: list[str] = []
    line = run(problems=300, points=60, sample=40, repeat=2, org_scale="small", out=printed.append)
    assert line == printed[-1] and line.startswith("RESULT ranking ")
    values = dict(pair.split("=", 1) for pair in line.split()[2:])
    assert int(values["units"]) == PeriodScore.objects.count() > 0
    assert (values["problems"], values["points"]) == ("300", "60")
    assert int(values["ranking_q"]) > 0 and int(values["dashboard_q"]) > 0
    assert float(values["ranking_sql_ms"]) > 0 and float(values["dashboard_sql_ms"]) > 0
