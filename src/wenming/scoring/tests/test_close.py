"""Closing periods against the hand-computed city of conftest.py: scores, ranks, lists, trend,
escalation, the frozen-period guarantee, re-opening, and who may do it."""

import datetime
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied

from wenming.cases import events
from wenming.cases.models import ProblemVersion
from wenming.core.errors import Conflict
from wenming.core.models import AuditEvent
from wenming.scoring import services
from wenming.scoring.errors import ScoringError
from wenming.scoring.models import PeriodScore, StepStatus, WarningStep

from .conftest import at

OCT, NOV = datetime.date(2026, 10, 15), datetime.date(2026, 11, 15)


def scores(period, version=None):
    return {s.unit_name: s for s in PeriodScore.objects.filter(period=period, version=version or period.version)}


def close(city, personas, day):
    return services.period_close(actor=personas["office_city"], scheme=city["scheme"], kind="month", day=day)


@pytest.mark.django_db
def test_a_month_closes_with_the_hand_computed_scores_ranks_lists_and_trend(city, personas):
    october = close(city, personas, OCT)
    got = scores(october)
    assert {n: (s.total, s.rank, s.honour) for n, s in got.items()} == {
        "甲一街道": (D("68.75"), 2, "yellow"), "甲二街道": (D("93.75"), 1, "red"),
        "乙一街道": (D("100.00"), None, "")}   # nothing inspected: not ranked
    assert got["乙一街道"].mark == "无实地测评点位"

    november = close(city, personas, NOV)
    got = scores(november)
    a1, a2, b1 = got["甲一街道"], got["甲二街道"], got["乙一街道"]
    assert (a1.total, a1.base, a1.rank, a1.honour, a1.sample) == (D("76.88"), D("78.88"), 2, "yellow", 2)
    assert (a2.total, a2.rank, a2.honour) == (D("84.38"), 1, "red")
    assert (b1.total, b1.rank, b1.mark) == (D("96.88"), None, "测评点位不足（1个，少于2个）")
    # each component with its numbers
    parts = {p["metric"]: p for p in a1.components}
    assert (parts["inspection"]["score"], parts["inspection"]["points"]) == ("80.00", "40.00")
    assert parts["inspection"]["detail"]["rounds"] == [{"id": city["round"].pk, "title": "第46周测评", "points": 2}]
    assert (parts["rectification"]["score"], parts["supervision"]["score"]) == ("68.00", "95.00")
    assert parts["rectification"]["detail"]["due"] == 2 and parts["rectification"]["detail"]["overdue"] == 1
    assert parts["tasks"]["score"] is None and parts["survey"]["score"] is None
    assert a1.adjustments == [{"id": city["exposure"].pk, "kind": "exposure", "title": "市电视台曝光占道经营",
                               "points": "2.00", "effect": "", "cap": None}]
    assert a1.notes == ["任务完成、问卷调查本期无数据，其余项目得分63.10分（满分80.00分）折算为百分制得78.88分。"]
    # the trend: October's total and rank beside November's
    assert (a1.previous_total, a1.previous_rank, a1.change) == (D("68.75"), 2, D("8.13"))
    assert a2.change == D("-9.37")
    # the second 黄牌 in a row: 约谈 proposed for 甲一, nobody else
    step = WarningStep.objects.get()
    assert (step.unit.name, step.level, step.step, step.reason, step.status) == (
        "甲一街道", 1, "约谈", "连续2期列入黄牌榜", StepStatus.PROPOSED)
    event = AuditEvent.objects.filter(action="scoring.period_close").order_by("id").last()
    assert '"red":1' in event.detail_json.replace(" ", "") and '"steps":1' in event.detail_json.replace(" ", "")


@pytest.mark.django_db
def test_a_closed_month_does_not_move_when_a_deadline_changes_afterwards(city, personas):
    november = close(city, personas, NOV)
    before = {n: (s.total, s.rank) for n, s in scores(november).items()}
    # December: N2's deadline is extended into December (as the extension service writes it)
    n2 = city["n2"]
    n2.deadline, n2.is_overdue, n2.overdue_at = at(12, 18), False, None
    n2.save()
    events.write_version(n2, at(12, 3))
    assert ProblemVersion.objects.filter(problem=n2).count() == 2
    # recomputing from what existed at the close gives the same numbers, the store did not move
    assert services.verify_period(november) == []
    assert {n: (s.total, s.rank) for n, s in scores(november).items()} == before
    # re-opened and closed again: a new version with the same figures (the problems as of November's
    # end); the first version stays on record
    services.period_reopen(actor=personas["office_city"], period=november, reason="核对曝光事项")
    again = close(city, personas, NOV)
    assert again.pk == november.pk and again.version == 2
    assert {n: (s.total, s.rank) for n, s in scores(again).items()} == before
    assert PeriodScore.objects.filter(period=november, version=1).count() == 3
    assert AuditEvent.objects.filter(action="scoring.period_reopen").count() == 1


@pytest.mark.django_db
def test_a_withdrawn_exposure_counts_in_periods_closed_after(city, personas):
    services.adjustment_withdraw(actor=personas["office_city"], adjustment=city["exposure"], reason="经核实非本辖区")
    november = close(city, personas, NOV)
    a1 = scores(november)["甲一街道"]
    assert a1.total == D("78.88") and a1.adjustments == []


@pytest.mark.django_db
def test_negative_list_cap_and_disqualification(city, personas, org):
    office = personas["office_city"]
    services.adjustment_add(actor=office, unit=org["street_a2"], kind="negative", effect="cap", cap="60",
                            occurred_on=datetime.date(2026, 11, 20), title="发生较大安全生产事故", points="0")
    november = close(city, personas, NOV)
    got = scores(november)
    assert got["甲二街道"].total == D("60.00") and got["甲二街道"].rank == 2 and got["甲二街道"].honour == "yellow"
    assert got["甲一街道"].rank == 1 and got["甲一街道"].honour == "red"    # 76.88: first now, red by rank
    assert "负面清单“发生较大安全生产事故”：总分封顶60.00分。" in got["甲二街道"].notes


@pytest.mark.django_db
def test_escalation_decided_by_the_office_and_recorded(city, personas):
    close(city, personas, OCT)
    close(city, personas, NOV)
    step = WarningStep.objects.get()
    with pytest.raises(PermissionDenied):
        services.step_decide(actor=personas["office_district_a"], step=step, accept=True, note="")
    decided = services.step_decide(actor=personas["office_city"], step=step, accept=True, note="由分管副市长约谈")
    assert (decided.status, decided.decided_by.username, decided.note) == (
        StepStatus.DECIDED, "office_city", "由分管副市长约谈")
    with pytest.raises(Conflict):
        services.step_decide(actor=personas["office_city"], step=step, accept=False, note="重复")
    with pytest.raises(ScoringError, match="请填写决定意见"):
        services.step_decide(actor=personas["office_city"], step=WarningStep.objects.create(
            period=step.period, unit=step.unit, level=1, step="约谈", reason="x", proposed_at=at(12, 2),
            status=StepStatus.DISMISSED), accept=False, note="")


@pytest.mark.django_db
def test_who_may_close_and_what_cannot_be_closed(city, personas):
    scheme = city["scheme"]
    for persona in ("office_district_a", "leader", "handler_street_a1", "inspector"):
        with pytest.raises(PermissionDenied):
            services.period_close(actor=personas[persona], scheme=scheme, kind="month", day=NOV)
    with pytest.raises(ScoringError, match="尚未结束"):
        services.period_close(actor=personas["office_city"], scheme=scheme, kind="month",
                              day=datetime.date.today() + datetime.timedelta(days=40))
    with pytest.raises(ScoringError, match="不按此周期"):
        services.period_close(actor=personas["office_city"], scheme=scheme, kind="year", day=NOV)
    close(city, personas, NOV)
    with pytest.raises(Conflict, match="已关闭"):
        close(city, personas, NOV)
