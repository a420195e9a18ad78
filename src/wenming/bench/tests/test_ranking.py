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
    assert float(values["stored_sql_ms"]) > 0 and float(values["counts_s"]) >= 0
    docx_s, pdf_s = float(values["bulletin_docx_s"]), float(values["bulletin_pdf_s"])
    assert docx_s > 0 and float(values["bulletin_s"]) == pytest.approx(docx_s + max(pdf_s, 0), abs=0.02)


@pytest.mark.django_db
def test_the_hand_sql_ranks_the_communities_as_the_closed_period_does(settings, tmp_path):
    """The baseline is the same computation: the hand SQL's totals are the stored totals."""
    from wenming.bench.ranking import ranking_sql, run
    from wenming.org.models import Unit
    from wenming.scoring.models import Period

    settings.MEDIA_ROOT = tmp_path / "media"
    run(problems=2000, points=80, sample=60, repeat=1, org_scale="small", bulletin=False, out=lambda line: None)
    period = Period.objects.get()
    root = Unit.objects.get(parent__isnull=True)
    stored = {s.unit_id: s.total for s in period.scores.filter(version=period.version)}
    by_hand = {pk: total for total, _, pk in ranking_sql(period, root.path)}
    assert set(by_hand) == set(stored) and len(stored) > 5
    # the hand SQL adds floats, the scores round each component to 2 places: they may part by two hundredths
    assert all(abs(float(stored[pk]) - by_hand[pk]) <= 0.025 for pk in stored), \
        sorted((pk, float(stored[pk]), by_hand[pk]) for pk in stored if abs(float(stored[pk]) - by_hand[pk]) > 0.025)
