"""The demo's points and inspection rounds."""

import pytest
from django.db.models import Count, F

from wenming.cases.models import Problem, State
from wenming.demo.build import build_demo
from wenming.demo.org import SCALES, build_org
from wenming.demo.places import build_points, plan_points
from wenming.inspections.models import (
    InspectionRound,
    ItemResult,
    RoundKind,
    RoundPoint,
    RoundStatus,
)
from wenming.places.models import Point
from wenming.places.services import AREA_KINDS, territory_path
from wenming.standards.models import PointType

pytestmark = pytest.mark.django_db


def test_small_demo_points_and_rounds():
    result = build_demo(scale="small", seed=2026, scoring=False, plans=False)
    org = result.org

    # points of every type, each lying in its responsible unit's territory
    assert result.places.points == Point.objects.count() == 145
    assert set(Point.objects.values_list("point_type__code", flat=True)) == set(
        PointType.objects.values_list("code", flat=True))
    for point in Point.objects.select_related("unit", "area"):
        assert point.area.kind in AREA_KINDS, point.code
        assert point.area.path.startswith(territory_path(point.unit)), point.code
        assert (point.unit_path, point.area_path) == (point.unit.path, point.area.path)
    assert Point.objects.filter(patron__isnull=False).count() > 50
    assert Point.objects.filter(latitude__isnull=True).count() < 10

    # four rounds: last week's published, a finished 暗访 held back, this week's under way, a 自查
    rounds = {r.kind + ":" + r.status: r for r in InspectionRound.objects.all()}
    assert set(rounds) == {"weekly:published", "unannounced:closed", "weekly:open", "self_check:published"}
    assert result.inspections.rounds == 4
    last = rounds["weekly:published"]
    assert RoundPoint.objects.filter(round=last).exclude(status="done").count() == 0
    assert 85 <= float(last.score_rate) <= 100
    current = rounds["weekly:open"]
    done = RoundPoint.objects.filter(round=current, status="done").count()
    assert 0 < done < RoundPoint.objects.filter(round=current).count()
    # the office's rounds went to the 测评组, whose members (not only the 组长) inspected
    from wenming.inspections.models import Inspection
    from wenming.org.models import Team

    groups = list(Team.objects.filter(name__endswith="测评组").order_by("sort"))
    assert [g.name for g in groups] == ["第一测评组", "第二测评组"]
    assert set(RoundPoint.objects.filter(round=last).values_list("team__name", flat=True)) == {g.name for g in groups}
    assert Inspection.objects.filter(round_point__round=last).exclude(inspector=F("round_point__inspector")).exists()
    own = rounds["self_check:published"]
    assert own.owner == org.streets[0] and own.kind == RoundKind.SELF_CHECK

    # every failed item raised exactly one problem; the 暗访's wait until it is published
    failed = ItemResult.objects.filter(failed=True)
    secret = failed.filter(inspection__round_point__round=rounds["unannounced:closed"])
    assert secret.exists() and not secret.filter(problem__isnull=False).exists()
    failed = failed.exclude(pk__in=secret.values("pk"))
    assert failed.count() == failed.filter(problem__isnull=False).count() > 20
    assert failed.values("problem").distinct().count() == failed.count()
    # last week's problems moved on: signed, rectified, some 销号
    states = dict(Problem.objects.filter(item_results__inspection__round_point__round=last)
                  .values_list("state").annotate(n=Count("id", distinct=True)))
    assert states.get(State.CLOSED, 0) > 0 and states.get(State.SUBMITTED, 0) > 0
    assert states.get(State.RECTIFYING, 0) > 0
    # published scores are on the points
    assert Point.objects.filter(latest_score__isnull=False).count() == RoundPoint.objects.filter(
        round__status=RoundStatus.PUBLISHED).values("point").distinct().count()
    assert result.inspections.problems == Problem.objects.filter(item_results__isnull=False).distinct().count()


def test_city_points_are_topped_up_to_the_exact_count():
    sizes = SCALES["city"].__class__(**{**SCALES["city"].__dict__, "districts": 2, "streets": 4, "communities": 12,
                                        "grids": 30, "staff": 200, "outer_districts": 1,
                                        "baolian_city_departments": 4, "baolian_per_department": 2})
    org = build_org(scale="city", seed=7, sizes=sizes)
    assert len(plan_points(org, seed=7, count=900)) == 900
    result = build_points(org, seed=7, count=900)
    assert result.points == Point.objects.count() == 900
    assert Point.objects.values("code").distinct().count() == 900
    assert set(result.by_type) >= {"XQ", "BJ", "SQ", "JD", "ZGD"}


def test_city_inspections_in_miniature():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from django.db.models import Sum

    from wenming.demo.inspections import build_city_inspections, city_sample_sizes
    from wenming.inspections import services
    from wenming.inspections.models import Inspection

    sizes = SCALES["city"].__class__(**{**SCALES["city"].__dict__, "districts": 2, "streets": 4, "communities": 12,
                                        "grids": 30, "staff": 200, "outer_districts": 1,
                                        "baolian_city_departments": 4, "baolian_per_department": 2})
    org = build_org(scale="city", seed=7, sizes=sizes)
    build_points(org, seed=7, count=400)
    now = datetime(2026, 11, 20, 16, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Friday
    result = build_city_inspections(org, seed=7, count=1000, now=now)

    assert Inspection.objects.count() == result.inspections == 1000
    assert ItemResult.objects.count() == result.results
    assert 8 <= result.results / 1000 <= 30  # (about 20 with the city's mix of point types)
    rounds = list(InspectionRound.objects.order_by("period_start"))
    assert len(rounds) == result.rounds >= 3
    *past, current = rounds
    assert {r.status for r in past} == {RoundStatus.PUBLISHED} and current.status == RoundStatus.OPEN
    assert current.period_start == datetime(2026, 11, 16).date()
    # each round's sample is the one its stored seed draws, and every sampled point of a past round is done
    for round_ in rounds:
        assert sorted(RoundPoint.objects.filter(round=round_).values_list("point_id", flat=True)) == sorted(
            p.pk for p in services.draw_sample(round_))
        assert round_.sample_sizes == city_sample_sizes(round_.period_start)
    assert not RoundPoint.objects.filter(round__in=past).exclude(status="done").exists()
    assert not RoundPoint.objects.filter(team__isnull=True).exists()  # shared among the 测评组
    done = RoundPoint.objects.filter(round=current, status="done").count()
    assert done == 1000 - RoundPoint.objects.filter(round__in=past).count()
    # the scores add up: an inspection's results give its point score, the round's totals its 得分率
    row = RoundPoint.objects.filter(status="done").order_by("id").first()
    sums = ItemResult.objects.filter(inspection__round_point=row).aggregate(e=Sum("earned"), p=Sum("possible"))
    assert (sums["e"], sums["p"]) == (row.earned, row.possible)
    assert row.score == round(row.earned * 100 / row.possible, 2)
    totals = RoundPoint.objects.filter(round=past[0]).aggregate(e=Sum("earned"), p=Sum("possible"))
    past[0].refresh_from_db()
    assert (past[0].earned, past[0].possible) == (totals["e"], totals["p"])
    assert 70 <= float(past[0].score_rate) <= 99
    assert ItemResult.objects.filter(failed=True).exists() and ItemResult.objects.filter(applicable=False).exists()
    # points carry their latest published score
    last = past[-1]
    sample = RoundPoint.objects.filter(round=last).select_related("point").first()
    assert sample.point.latest_score == sample.score
