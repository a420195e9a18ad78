"""The city scale's bulk plan and archive builders, at a miniature size.

Its own module: the small demo of test_demo_plans.py lives for that whole module and would sit under this one."""

import pytest

from wenming.plans.models import ProgressReport, ReportStatus, TaskStatus, WorkPlan


@pytest.mark.django_db
def test_the_city_scale_plan_and_archive_in_miniature(settings, tmp_path):
    """The city scale's bulk plan (2,000 tasks) and archive (50,000 materials), at a miniature size."""
    from dataclasses import replace

    from wenming.archives.models import Evidence, EvidenceFile, EvidenceStatus
    from wenming.bench.plans import archive_points
    from wenming.demo.archives import build_city_archives
    from wenming.demo.org import SCALES, build_org
    from wenming.demo.plans import build_city_plans

    settings.MEDIA_ROOT = tmp_path / "media"
    sizes = replace(SCALES["city"], districts=3, streets=14, communities=40, grids=130, staff=250,
                    district_departments=4, schools_per_district=2, enterprises_per_district=2, city_enterprises=2,
                    outer_districts=1, baolian_per_department=1)
    org = build_org(scale="city", seed=11, sizes=sizes)
    assert archive_points(org) == 14 + 40
    assert build_city_plans(org, seed=11, tasks=50) == 50
    plan = WorkPlan.objects.get()
    assert plan.tasks.filter(status=TaskStatus.ISSUED).count() == 50
    assert ProgressReport.objects.filter(status=ReportStatus.ACCEPTED).exists()
    assert build_city_archives(org, seed=11, count=500) == 500
    assert Evidence.objects.count() == EvidenceFile.objects.count() == 500
    assert {s for s in Evidence.objects.values_list("status", flat=True)} == set(EvidenceStatus.values)
    assert len(set(EvidenceFile.objects.values_list("file", flat=True))) <= 2
