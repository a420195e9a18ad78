"""Smoke test of ``wenming bench round-score`` at a tiny size (timings are not asserted)."""

import pytest


@pytest.mark.django_db
def test_round_score_workload_at_a_tiny_size(settings, tmp_path):
    from wenming.bench.round_score import run
    from wenming.inspections.models import Inspection, InspectionRound

    settings.MEDIA_ROOT = tmp_path / "media"
    printed: list[str] = []
    line = run(sizes=[20, 40], repeat=2, out=printed.append, org_scale="small", city_inspections=150)
    assert line == printed[-1] and line.startswith("RESULT round-score ")
    values = dict(pair.split("=", 1) for pair in line.split()[2:])
    assert (values["small"], values["large"], values["city_inspections"]) == ("20", "40", "150")
    # the query counts of a page do not grow with the sample, nor at city scale
    assert values["office_q_small"] == values["office_q_large"]
    assert values["unit_q_small"] == values["unit_q_large"]
    assert int(values["city_office_q"]) > 0  # (may differ by one: the city round has groups)
    assert int(values["city_unit_q"]) > 0 and int(values["city_results"]) > 150
    assert int(values["city_list_office_q"]) > 0 and int(values["city_list_unit_q"]) > 0
    assert Inspection.objects.filter(submit_key__startswith="demo-city-").count() == 150
    assert InspectionRound.objects.filter(status="published").exists()
