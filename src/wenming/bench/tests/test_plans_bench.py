"""Smoke test of ``wenming bench plans`` at a tiny size (timings are not asserted)."""

import pytest


@pytest.mark.django_db
def test_plans_workload_at_a_tiny_size(settings, tmp_path):
    from wenming.bench.plans import run
    from wenming.plans.models import Task, WorkPlan

    settings.MEDIA_ROOT = tmp_path / "media"
    printed: list[str] = []
    line = run(sizes=(5, 40), import_rows=60, repeat=2, org_scale="small", evidence_sizes=(30, 300),
               out=printed.append)
    assert line == printed[-1] and line.startswith("RESULT plans ")
    values = dict(pair.split("=", 1) for pair in line.split()[2:])
    assert values["tasks"] == "5,40" and values["import_rows"] == "60"
    detail_q, matrix_q = values["detail_q"].split(","), values["matrix_q"].split(",")
    assert detail_q[0] == detail_q[1] and matrix_q[0] == matrix_q[1]      # no growth with the plan
    assert WorkPlan.objects.count() == 3 and Task.objects.count() == 5 + 40 + 60
    assert float(values["import_s"]) > 0 and float(values["ratio_matrix"]) > 0
    archive_q = values["archive_q"].split(",")
    assert archive_q[0] == archive_q[1] and values["evidence"] == "30,300" and float(values["ratio_archive"]) > 0
    from wenming.archives.models import Evidence, EvidenceFile

    assert Evidence.objects.count() == EvidenceFile.objects.count() == 300
    assert len(set(EvidenceFile.objects.values_list("file", flat=True))) <= 2     # the same bytes stored once
