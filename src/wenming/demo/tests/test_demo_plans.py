"""The small demo's work plan: the shipped sample 任务分解表 imported, 下发, reported on in every state,
meetings with their decisions as tasks, and two flagged drafts — through the real services."""

import pytest
from django.db import transaction
from django.test import override_settings

from wenming.demo.build import build_demo
from wenming.plans import progress, selectors
from wenming.plans.models import (
    Meeting,
    ProgressReport,
    ReportStatus,
    Task,
    TaskStatus,
    WorkPlan,
)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build_demo(scale="small", seed=2026, scoring=False)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def small(demo, db):
    return demo


def test_the_plan_from_the_sample_sheet(small):
    plan = WorkPlan.objects.get()
    result = small.plans
    assert plan.owner == small.org.city and plan.stages.count() == 5
    tasks = Task.objects.filter(plan=plan)
    assert tasks.count() == result.tasks == 60 + result.decisions + 2
    assert result.decisions == 3 and Meeting.objects.count() == result.meetings == 3
    drafts = list(tasks.filter(status=TaskStatus.DRAFT))
    assert len(drafts) == result.flagged == 2 and all(t.missing() for t in drafts)
    assert all(t.missing() == [] for t in tasks.filter(status=TaskStatus.ISSUED))
    assert tasks.filter(source="point_pass_rate").count() == 2 and tasks.filter(source="on_time_rate").count() == 1
    # every state of a report is there, and the counts add up
    reports = ProgressReport.objects.filter(task__plan=plan)
    assert reports.count() == result.reports > 100
    assert reports.filter(status=ReportStatus.ACCEPTED).count() == result.accepted > 0
    assert reports.filter(status=ReportStatus.SUBMITTED).count() == result.waiting > 0
    assert reports.filter(status=ReportStatus.RETURNED).count() == result.returned > 0
    # the roll-up has figures, with both lagging or overdue tasks and done ones
    office = small.org.personas["office_city"].user
    figures = progress.of_tasks([t for t in selectors.tasks_of(office, plan) if t.status == TaskStatus.ISSUED],
                                plan.lag_margin)
    assert 0 < figures.percent < 100 and figures.overdue + figures.lagging > 0
    assert any(f.percent == 100 for f in figures.tasks.values())


def test_a_street_handler_has_tasks_to_report_on(small, client):
    client.force_login(small.org.personas["handler_street_a1"].user)
    response = client.get("/plans/mine/")
    assert response.status_code == 200 and "没有下发给本单位的任务" not in response.content.decode()


def test_the_archive_has_materials_in_every_state_and_gaps(small):
    from django.db.models import Q
    from django.utils import timezone

    from wenming.archives import completeness
    from wenming.archives.models import Evidence, EvidenceStatus, Requirement, Source
    from wenming.demo.inspections import lagging_street_path

    result = small.archives
    requirements = list(Requirement.objects.prefetch_related("point_types"))
    assert len(requirements) == result.requirements == 47       # 46 from the 材料审核 items and the office's own
    assert Requirement.objects.filter(due_date__isnull=False).count() == 6
    uploads = Evidence.objects.filter(source=Source.UPLOAD)
    assert uploads.count() == result.uploads > 100
    assert uploads.filter(status=EvidenceStatus.ACCEPTED).count() == result.accepted > 0
    assert uploads.filter(status=EvidenceStatus.SUBMITTED).count() == result.waiting > 0
    assert uploads.filter(status=EvidenceStatus.RETURNED).exclude(review_note="").count() == result.returned > 0
    links = Evidence.objects.exclude(source=Source.UPLOAD)
    assert links.count() == result.links
    # (no bulletins here: this build leaves the assessment out; the full demo links its issued bulletins)
    # (a closed problem raised by a 材料审核 item, with its after-photo, depends on the build day: not asserted)
    assert {Source.INSPECTION, Source.REPORT} <= set(links.values_list("source", flat=True))
    assert not links.filter(files__isnull=False).exists()
    matrix = completeness.compute(requirements, Q(), timezone.localdate().year)
    assert all(matrix.totals[state] > 0 for state in completeness.STATES), matrix.totals
    assert (matrix.size, matrix.totals["complete"]) == (result.cells, result.complete)
    # the 后进 street lacks more than the city does on the whole
    lagging = [u.pk for u in matrix.units if u.path.startswith(lagging_street_path())]
    missing_share = (sum(matrix.by_unit[u]["missing"] for u in lagging)
                     / sum(sum(matrix.by_unit[u].values()) for u in lagging))
    assert missing_share > matrix.totals["missing"] / matrix.size
    assert "创城档案：材料要求 47 项" in result.summary()


def test_the_surveys_have_responses_in_every_state(small, client):
    from django.utils import timezone

    from wenming.demo.inspections import lagging_street_path
    from wenming.surveys import selectors as survey_selectors
    from wenming.surveys.models import Campaign, CampaignStatus, Response, ResponseStatus, Tally

    result = small.surveys
    assert result.campaigns == Campaign.objects.count() == (3 if timezone.localdate().day > 1 else 2)
    assert {s for s in Response.objects.values_list("status", flat=True)} == set(ResponseStatus.values)
    assert result.counted + result.flagged + result.excluded == result.responses == Response.objects.count()
    interview = Campaign.objects.get(mode="interview")
    mock = Campaign.objects.get(mode="mock")
    assert interview.status == mock.status == CampaignStatus.CLOSED
    # the tallies agree with the responses they count
    counted = Response.objects.filter(campaign=interview, status=ResponseStatus.COUNTED)
    assert sum(Tally.objects.filter(campaign=interview).values_list("responses", flat=True)) == counted.count()
    assert sum(Tally.objects.filter(campaign=interview).values_list("awareness", flat=True)) == \
        counted.filter(awareness=True).count()
    # the 后进 street's residents know less of the campaign than the city's on the whole
    office = small.org.personas["office_city"].user
    found = survey_selectors.results(office, interview, "street")
    lagging = next(r for r in found.rows if r.unit.path == lagging_street_path())
    assert lagging.figures["awareness"].percent < found.total.figures["awareness"].percent
    # the mock round is official nowhere
    first = interview.starts_on.replace(day=1)
    official = survey_selectors.official(small.org.city, first, interview.ends_on)
    assert official["awareness"].n == found.total.counts["awareness"][1]
    client.force_login(office)
    page = client.get(f"/surveys/campaigns/{mock.pk}/results/").content.decode()
    assert "模拟调查（培训用）：以下结果不计入正式数据" in page
