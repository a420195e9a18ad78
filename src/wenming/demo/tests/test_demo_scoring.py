"""The small demo's assessment: schemes, closed periods, lists, escalation, entries — all from the
real rules (scoring.services), on the rounds the demo's inspectors did. The demo is built once for
the module (about half a minute) inside a transaction rolled back at the end; each test runs in a
savepoint inside it."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.test import Client, override_settings
from django.utils import timezone

from wenming.cases.models import Problem
from wenming.demo.build import build_demo
from wenming.inspections.models import InspectionRound, RoundKind, RoundStatus
from wenming.org.models import UnitKind
from wenming.scoring import services
from wenming.scoring.models import (
    Adjustment,
    AdjustmentKind,
    LedgerEntry,
    LedgerKind,
    Period,
    PeriodKind,
    PeriodScore,
    PeriodStatus,
    Scheme,
    SchemeStatus,
    StepStatus,
    WarningStep,
)

from .test_demo_cases import assert_consistent


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield build_demo(scale="small", seed=2026, plans=False)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def small(demo, db):
    return demo


def scores(period):
    return PeriodScore.objects.filter(period=period, version=period.version)


def test_the_office_assesses_streets_and_each_districts_communities(small):
    org = small.org
    schemes = list(Scheme.objects.order_by("id"))
    assert [(s.root, s.unit_kind, s.status) for s in schemes] == (
        [(org.city, UnitKind.STREET, SchemeStatus.ACTIVE)]
        + [(d, UnitKind.COMMUNITY, SchemeStatus.ACTIVE) for d in org.districts])
    assert all(s.owner == org.city and s.created_by.username == "office_city" for s in schemes)
    for scheme in schemes:
        periods = Period.objects.filter(scheme=scheme)
        assert periods.filter(status=PeriodStatus.CLOSED).count() == periods.count() == 6
        assert periods.filter(kind=PeriodKind.WEEK).count() == 4 and periods.filter(kind=PeriodKind.MONTH).count() == 2
        units = set(services.assessed_units(scheme).values_list("pk", flat=True))
        for period in periods:
            rows = scores(period)
            assert set(rows.values_list("unit_id", flat=True)) == units, period
            assert rows.filter(rank__isnull=False).count() >= 0.8 * len(units), period
    # the last four complete weeks and the last two complete months
    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday())
    weeks = sorted(Period.objects.filter(scheme=schemes[0], kind=PeriodKind.WEEK).values_list("start", flat=True))
    assert weeks == [monday - timedelta(weeks=k) for k in (4, 3, 2, 1)]
    months = sorted(Period.objects.filter(scheme=schemes[0], kind=PeriodKind.MONTH).values_list("end", flat=True))
    assert months[-1] == today.replace(day=1) - timedelta(days=1)
    assert small.scoring.summary().startswith("  考核：考核方案 3 个")


def test_every_closed_period_recomputes_to_what_was_stored(small):
    for period in Period.objects.all():
        assert services.verify_period(period) == [], period
        # closed when its rounds were out, never after the build
        assert period.closed_at <= timezone.now() and period.closed_at.date() > period.end


def test_lists_trends_and_escalation(small):
    closed = list(Period.objects.select_related("scheme").order_by("scheme_id", "kind", "start"))
    assert any(scores(p).filter(honour="red").exists() and scores(p).filter(honour="yellow").exists()
               for p in closed)
    for scheme in Scheme.objects.all():
        for kind in (PeriodKind.WEEK, PeriodKind.MONTH):
            first, *later = [p for p in closed if p.scheme_id == scheme.pk and p.kind == kind]
            assert not scores(first).filter(previous_total__isnull=False).exists()
            for period in later:  # 较上期: every unit had a score the period before
                assert not scores(period).filter(previous_total__isnull=True).exists(), period
    steps = WarningStep.objects.all()
    assert steps.exists()
    decided = steps.get(status=StepStatus.DECIDED)
    assert decided.decided_by.username == "office_city" and decided.note
    assert steps.filter(status=StepStatus.PROPOSED).count() == steps.count() - 1
    for step in steps:  # proposed for units on the 黄牌榜 of the period
        assert scores(step.period).get(unit=step.unit).honour == "yellow"


def test_adjustments_count_in_their_periods_and_the_red_flag(small):
    entries = {a.kind: a for a in Adjustment.objects.all()}
    assert set(entries) == {AdjustmentKind.EXPOSURE, AdjustmentKind.NEGATIVE, AdjustmentKind.BONUS}
    assert entries[AdjustmentKind.EXPOSURE].source and entries[AdjustmentKind.NEGATIVE].cap == 80
    for entry in entries.values():
        # it counts in the weeks and the month it happened in, for its unit or the assessed unit above it
        periods = Period.objects.filter(start__lte=entry.occurred_on, end__gte=entry.occurred_on)
        assert periods.filter(kind=PeriodKind.WEEK).exists()
        counted = [row for period in periods for row in scores(period)
                   if any(a["id"] == entry.pk for a in row.adjustments)]
        assert counted, entry.title
        assert {row.period.kind for row in counted} == set(periods.values_list("kind", flat=True))
        assert all(entry.unit_path.startswith(row.unit_path) for row in counted)
        if entry.kind == AdjustmentKind.NEGATIVE:
            assert all(row.total <= 80 for row in counted)
    flag = LedgerEntry.objects.get()
    assert flag.kind == LedgerKind.RED_FLAG and flag.period.kind == PeriodKind.MONTH
    assert scores(flag.period).get(unit=flag.unit).rank == 1


def test_the_rounds_behind_the_scores_and_their_problems(small):
    weekly = InspectionRound.objects.filter(kind=RoundKind.WEEKLY, status=RoundStatus.PUBLISHED)
    for period in Period.objects.filter(scheme__unit_kind=UnitKind.STREET):
        assert weekly.filter(period_end__gte=period.start, period_end__lte=period.end).exists() or \
            InspectionRound.objects.filter(kind=RoundKind.MONTHLY, period_end__gte=period.start,
                                           period_end__lte=period.end).exists(), period
    # the earlier rounds were inspected and published in their own week, on the simulation's clock
    for round_ in weekly.exclude(pk=weekly.order_by("-period_start").first().pk):
        assert round_.period_start <= timezone.localtime(round_.published_at).date() <= round_.period_end
    # their problems went through the workflow like any other: consistent timelines, codes in order
    now = timezone.now()
    for problem in Problem.objects.filter(item_results__isnull=False).distinct().select_related("merged_into"):
        assert_consistent(problem, now)
    ordered = list(Problem.objects.order_by("created_at", "id").values_list("code", flat=True))
    assert ordered == sorted(ordered)


def test_the_scoring_pages_render_the_demo(small):
    client = Client()
    client.force_login(small.org.personas["office_city"].user)
    page = client.get("/scoring/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "街道（镇）创建工作考核方案" in text and "东湖区社区创建工作考核方案" in text
    period = Period.objects.filter(scheme__unit_kind=UnitKind.STREET, kind=PeriodKind.MONTH).order_by("-start").first()
    page = client.get(f"/scoring/periods/{period.pk}/")
    assert page.status_code == 200
    first = scores(period).get(rank=1)
    assert first.unit_name in page.content.decode()
    assert client.get(f"/scoring/periods/{period.pk}/units/{first.unit_id}/").status_code == 200
    for url in ("/scoring/adjustments/", "/scoring/ledger/", f"/scoring/schemes/{period.scheme_id}/"):
        assert client.get(url).status_code == 200, url


def test_a_weekly_and_a_monthly_bulletin_are_issued(small):
    from wenming.bulletins.models import Bulletin, BulletinStatus

    issued = list(Bulletin.objects.filter(status=BulletinStatus.ISSUED).order_by("seq"))
    assert [b.kind for b in issued] == ["weekly", "monthly"]
    assert [b.seq for b in issued] == [1, 2] and all(b.number.endswith(f"〔{b.year}〕{b.seq}号") for b in issued)
    assert all(b.files_current and b.docx for b in issued)
    assert all(b.reviewed_by.username == "leader_city" for b in issued)
    # sent to every street of the ranking, and to the units of the problems it criticises
    ranked = set(issued[1].period.scores.filter(version=issued[1].period.version).values_list("unit_id", flat=True))
    assert len(ranked) == 6 and ranked <= set(issued[1].recipients.values_list("pk", flat=True))
    assert "已印发通报" in small.scoring.summary()
