"""Rounds end to end through the services: sample, assign, inspect, score, raise problems, publish."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404

from wenming.cases.models import Problem, State
from wenming.cases.workflow import services as case_services
from wenming.inspections import scores, selectors, services
from wenming.inspections.models import Inspection, ItemResult, RoundPoint, RoundStatus
from wenming.inspections.services import InspectionError
from wenming.places.models import Point

from .conftest import answers_for, make_point

D = Decimal
STATION_ANSWERS = {  # hand-worked: 2 + 1.25 + 3.2 = 6.45 of 8.5 → 75.88
    "WHZ05": {"verdict": "pass"}, "WHZ01": {"verdict": "partial"}, "WHZ09": {"met": 2},
}
SQUARE_ANSWERS = {   # WHZ01 不适用 leaves the denominator; 12 处 × 0.5 = 6 > 5 → floored at 0 → 0 of 5
    "WHZ01": {"verdict": "na", "note": "广场无宣传栏位置"}, "ZGD01": {"count": 12, "note": "垃圾12处"},
}


def opened(round_, personas, inspector="inspector"):
    services.round_sample(actor=personas["office_city"], round_=round_)
    services.round_assign(actor=personas["office_city"], round_=round_, inspectors=[personas[inspector]])
    return services.round_open(actor=personas["office_city"], round_=round_)


def submit(round_, point, personas, answers, key="k1", inspector="inspector", **extra):
    row = RoundPoint.objects.select_related("round", "point").get(round=round_, point=point)
    return services.inspection_submit(actor=personas[inspector], round_point=row,
                                      answers=answers_for(services.items_for(row), **answers), submit_key=key, **extra)


@pytest.mark.django_db
def test_point_unit_and_round_scores_on_hand_worked_answers(personas, org, points, make_round):
    round_ = opened(make_round(weights={"WHZ": 3, "TST": 1}), personas)
    assert RoundPoint.objects.filter(round=round_).count() == 3
    submit(round_, points["station"], personas, STATION_ANSWERS)
    submit(round_, points["square"], personas, SQUARE_ANSWERS, key="k2")
    station = RoundPoint.objects.get(round=round_, point=points["station"])
    square = RoundPoint.objects.get(round=round_, point=points["square"])
    assert (station.earned, station.possible, station.score, station.failed_items) == (D("6.45"), D("8.50"), D("75.88"), 0)
    assert (square.earned, square.possible, square.score, square.failed_items) == (D("0.00"), D("5.00"), D("0.00"), 1)
    na = ItemResult.objects.get(inspection__round_point=square, item__code="WHZ01")
    assert (na.applicable, na.possible, na.label, na.note) == (False, 0, "不适用", "广场无宣传栏位置")
    floored = ItemResult.objects.get(inspection__round_point=square, item__code="ZGD01")
    assert (floored.earned, floored.label, floored.failed) == (D("0.00"), "扣5分（12处）", True)
    # round 得分率 = 6.45 / 13.5
    round_.refresh_from_db()
    assert (round_.earned, round_.possible, round_.score_rate) == (D("6.45"), D("13.50"), D("47.78"))
    assert scores.score_rate(round_) == D("47.78")
    by_unit = {row.unit_name: row for row in scores.unit_scores(round_)}
    assert by_unit["甲一街道"].score == D("75.88") and by_unit["甲一社区"].score == D("0.00")
    assert (by_unit["乙一街道"].score, by_unit["乙一街道"].done, by_unit["乙一街道"].points) == (None, 0, 1)
    rates = scores.item_failure_rates(round_)
    assert [(r.code, r.applied, r.failed, r.rate) for r in rates] == [("ZGD01", 1, 1, D("100.00"))]


@pytest.mark.django_db
def test_unit_score_is_weighted_by_point_type(personas, org, points, make_round):
    # one unit with a WHZ point (75.88, weight 3) and a TST point (0, weight 1): (3×75.88 + 0) / 4 = 56.91
    Point.objects.filter(pk=points["square"].pk).update(unit=org["street_a1"], unit_path=org["street_a1"].path)
    round_ = opened(make_round(weights={"WHZ": 3, "TST": 1}), personas)
    submit(round_, points["station"], personas, STATION_ANSWERS)
    submit(round_, points["square"], personas, SQUARE_ANSWERS, key="k2")
    row = next(r for r in scores.unit_scores(round_) if r.unit_name == "甲一街道")
    assert (row.points, row.done, row.score) == (2, 2, D("56.91"))


@pytest.mark.django_db
def test_failed_item_raises_exactly_one_routed_problem_even_when_retried(personas, org, points, make_round):
    round_ = opened(make_round(), personas)
    failing = dict(STATION_ANSWERS, WHZ05={"verdict": "fail", "note": "会议室发现烟头"})
    inspection, created = submit(round_, points["station"], personas, failing, key="same")
    assert created
    again, created_again = submit(round_, points["station"], personas, failing, key="same")
    assert (again.pk, created_again) == (inspection.pk, False)
    problem = Problem.objects.get()
    result = ItemResult.objects.get(item__code="WHZ05")
    assert result.problem_id == problem.pk and result.failed
    assert problem.category.code == "0701" and problem.source == "inspection"
    assert problem.title.startswith("甲一文化站：有明显禁烟标示")
    assert "会议室发现烟头" in problem.description and "测评结果：不符合" in problem.description
    assert (problem.area_id, problem.address, problem.reporter_id) == (org["grid_a1"].pk, "甲一文化站门口",
                                                                      personas["inspector"].pk)
    # 交办 by the organiser to the point's unit (no routing rule), the inspector to re-check it
    assert (problem.state, problem.unit_id, problem.verifier_id) == (State.ASSIGNED, org["street_a1"].pk,
                                                                      personas["inspector"].pk)
    with pytest.raises(InspectionError, match="已提交测评结果"):
        submit(round_, points["station"], personas, failing, key="another")
    assert Problem.objects.count() == 1 and Inspection.objects.count() == 1


@pytest.mark.django_db
def test_a_submit_key_is_never_cut_an_overlong_one_is_refused(personas, org, points, make_round):
    round_ = opened(make_round(), personas)
    prefix = "k" * services.SUBMIT_KEY_MAX
    with pytest.raises(InspectionError, match="提交标识过长（最多64个字符）"):
        submit(round_, points["station"], personas, STATION_ANSWERS, key=prefix + "-first")
    assert not Inspection.objects.exists() and RoundPoint.objects.get(point=points["station"]).status == "pending"
    assert services.submitted_with(personas["inspector"], prefix + "-first") is None
    inspection, created = submit(round_, points["station"], personas, STATION_ANSWERS, key=prefix)
    assert created and inspection.submit_key == f"{personas['inspector'].pk}:{prefix}"
    # a key sharing the stored one's first 64 characters is another key, not a retry of it
    with pytest.raises(InspectionError, match="提交标识过长"):
        submit(round_, points["station"], personas, STATION_ANSWERS, key=prefix + "x")


@pytest.mark.django_db
def test_problems_of_one_submission_read_the_calendar_sla_and_routing_tables_once(personas, org, points, make_round):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from wenming.cases.escalation import sla
    from wenming.cases.models import Category, RoutingRule

    round_ = opened(make_round(), personas)
    RoutingRule.objects.create(category=Category.objects.get(code="0701"), target=org["community_a1"])
    failing = dict(STATION_ANSWERS, WHZ05={"verdict": "fail", "note": "会议室发现烟头"},
                   WHZ01={"verdict": "fail", "note": "宣传栏破损"})
    with CaptureQueriesContext(connection) as queries:
        submit(round_, points["station"], personas, failing)
    statements = [query["sql"] for query in queries.captured_queries]
    for table in ("cases_calendaroverride", "cases_slarule", "cases_routingrule"):
        assert sum(1 for sql in statements if f'FROM "{table}"' in sql) == 1, table
    problems = {p.category.code: p for p in Problem.objects.select_related("category")}
    assert len(problems) == 2 and all(p.state == State.ASSIGNED for p in problems.values())
    assert problems["0701"].unit_id == org["community_a1"].pk     # the routing rule
    other = next(p for code, p in problems.items() if code != "0701")
    assert other.unit_id == org["street_a1"].pk                   # no rule: the point's unit
    for problem in problems.values():     # the deadlines as computed afresh, table by table
        assert problem.deadline == sla.deadline_for(problem.category, problem.severity, problem.assigned_at)
        warning = sla.warn_at(problem)
        assert problem.next_due_at == (warning if warning and warning > problem.assigned_at else problem.deadline)


@pytest.mark.django_db
def test_bad_answers_are_refused_and_nothing_is_written(personas, points, make_round):
    round_ = opened(make_round(), personas)
    with pytest.raises(InspectionError) as error:
        submit(round_, points["station"], personas, {"WHZ05": {"verdict": "na"}, "WHZ01": {"verdict": "partial"},
                                                     "WHZ09": {"met": 5}})
    assert str(error.value) == "以下检查项有误：WHZ05 选择“不适用”须填写说明；WHZ09 满足的条件数不能大于3"
    with pytest.raises(InspectionError, match="WHZ09 未填写"):
        submit(round_, points["station"], personas, {"WHZ05": {"verdict": "pass"}, "WHZ01": {"verdict": "pass"}})
    assert not ItemResult.objects.exists()
    assert RoundPoint.objects.get(round=round_, point=points["station"]).status == RoundPoint.Status.PENDING


@pytest.mark.django_db
def test_draft_keeps_what_was_typed(personas, points, make_round):
    round_ = opened(make_round(), personas)
    row = RoundPoint.objects.get(round=round_, point=points["station"])
    items = services.items_for(row)
    services.inspection_save_draft(actor=personas["inspector"], round_point=row,
                                   answers=answers_for(items, WHZ05={"verdict": "fail", "note": "烟头两处"}),
                                   note="雨天", latitude=D("30.1"), longitude=D("120.2"))
    row.refresh_from_db()
    inspection = Inspection.objects.get(round_point=row)
    assert row.status == RoundPoint.Status.DRAFT and inspection.status == Inspection.Status.DRAFT
    whz05 = next(item for item in items if item.code == "WHZ05")
    assert inspection.draft[str(whz05.pk)]["note"] == "烟头两处" and inspection.note == "雨天"
    assert not Problem.objects.exists()


@pytest.mark.django_db
def test_my_assignments_begun_first_then_to_do_by_deadline_then_done_newest_first(personas, org, points, make_round):
    late = opened(make_round(title="第47周"), personas)
    early = opened(make_round(title="第46周", scope=[org["street_a1"]], period_start=datetime.date(2026, 11, 9),
                              period_end=datetime.date(2026, 11, 15)), personas)
    row = RoundPoint.objects.get(round=late, point=points["station"])
    services.inspection_save_draft(actor=personas["inspector"], round_point=row,
                                   answers=answers_for(services.items_for(row), WHZ05={"verdict": "pass"}))
    submit(late, points["square"], personas, SQUARE_ANSWERS, key="late-square")
    submit(early, points["square"], personas, SQUARE_ANSWERS, key="early-square")   # done after the other
    rows = [(rp.round.title, rp.point.code, rp.status) for rp in selectors.assignments(personas["inspector"])]
    assert rows == [
        ("第47周", "P1", "draft"),                              # 测评中 first
        ("第46周", "P1", "pending"), ("第47周", "P3", "pending"),  # 待测评, earliest deadline first
        ("第46周", "P2", "done"), ("第47周", "P2", "done"),        # 已完成, the latest first
    ]
    assert not selectors.assignments(personas["office_city"]).exists()


@pytest.mark.django_db
def test_which_conditions_were_met_is_kept_in_the_draft_and_the_result(personas, points, make_round):
    round_ = opened(make_round(), personas)
    row = RoundPoint.objects.select_related("round", "point").get(round=round_, point=points["station"])
    items = services.items_for(row)
    whz09 = next(item for item in items if item.code == "WHZ09")
    services.inspection_save_draft(actor=personas["inspector"], round_point=row,
                                   answers=answers_for(items, WHZ09={"conditions": [3, 1]}))
    draft = Inspection.objects.get(round_point=row).draft[str(whz09.pk)]
    assert (draft["met"], draft["conditions"]) == (2, [1, 3])
    with pytest.raises(InspectionError, match="WHZ09 勾选的条件无效（该项共3个条件）"):
        submit(round_, points["station"], personas, dict(STATION_ANSWERS, WHZ09={"conditions": [1, 4]}))
    with pytest.raises(InspectionError, match="WHZ09 满足的条件数与勾选的条件不一致"):
        submit(round_, points["station"], personas, dict(STATION_ANSWERS, WHZ09={"met": 3, "conditions": [1]}))
    submit(round_, points["station"], personas, dict(STATION_ANSWERS, WHZ09={"conditions": [1, 3]}))
    result = ItemResult.objects.get(inspection__round_point=row, item=whz09)
    # scored on the count as before (B 80% of 4 = 3.2); which ones kept beside it
    assert (result.label, result.earned, result.answer["met"], result.answer["conditions"]) == ("B", D("3.20"), 2, [1, 3])
    assert services.condition_marks(result) == [("有专人负责", True), ("有管理制度", False), ("有活动资料", True)]
    assert services.unmet_conditions(result) == ["有管理制度"]


@pytest.mark.django_db
def test_a_problem_from_a_grade_item_names_the_conditions_not_met(personas, points, make_round):
    round_ = opened(make_round(), personas)
    submit(round_, points["station"], personas, dict(STATION_ANSWERS, WHZ09={"conditions": []}))   # none: C#, failed
    problem = Problem.objects.get()
    assert "测评结果：C#\n未满足的条件：有专人负责；有管理制度；有活动资料" in problem.description


@pytest.mark.django_db
def test_sample_is_stratified_and_reproducible_from_its_seed(personas, org, system, make_round):
    for unit in (org["street_a1"], org["street_a2"], org["street_b1"]):
        for type_code, count in (("WHZ", 5), ("TST", 3)):
            for n in range(count):
                make_point(f"{unit.code}-{type_code}-{n}", f"{unit.name}{type_code}{n}", type_code, unit, unit)
    make_point("OFF", "停用点", "WHZ", org["street_a1"], org["street_a1"], is_active=False)
    round_ = make_round(sample_mode="stratified", sample_sizes={"WHZ": 2, "TST": 4}, sample_seed=2026)
    assert services.round_sample(actor=personas["office_city"], round_=round_) == 3 * (2 + 3)
    first = sorted(RoundPoint.objects.filter(round=round_).values_list("point__code", flat=True))
    per_stratum = {}
    for unit_id, type_code in RoundPoint.objects.filter(round=round_).values_list("unit_id", "point__point_type__code"):
        per_stratum[(unit_id, type_code)] = per_stratum.get((unit_id, type_code), 0) + 1
    assert set(per_stratum.values()) == {2, 3} and len(per_stratum) == 6   # WHZ: 2 of 5; TST: all 3 (asked 4)
    assert "OFF" not in first
    # the same seed draws the same sample; another seed (almost surely) another
    services.round_sample(actor=personas["office_city"], round_=round_)
    assert sorted(RoundPoint.objects.filter(round=round_).values_list("point__code", flat=True)) == first
    other = make_round(sample_mode="stratified", sample_sizes={"WHZ": 2, "TST": 4}, sample_seed=2026, title="复制")
    services.round_sample(actor=personas["office_city"], round_=other)
    assert sorted(RoundPoint.objects.filter(round=other).values_list("point__code", flat=True)) == first
    services.round_sample(actor=personas["office_city"], round_=other, seed=7)
    assert sorted(RoundPoint.objects.filter(round=other).values_list("point__code", flat=True)) != first


@pytest.mark.django_db
def test_the_rounds_a_user_sees_are_found_without_joining_every_sample(personas, org, points, make_round):
    """Who sees a round is decided on the round's row with index probes into its sample: the
    round list must not join (or read) every round's points, which grow by thousands a week."""
    round_ = opened(make_round(scope=[org["district_a"]], title="11月周测评"), personas)
    for name in ("office_city", "inspector", "handler_street_a1", "office_district_a"):
        sql = str(selectors.rounds(personas[name]).query)
        assert "JOIN \"inspections_roundpoint\"" not in sql, name
        assert selectors.rounds(personas[name]).get() == round_, name
    assert not selectors.rounds(personas["handler_street_a2"]).exists()   # no point of his in it
    assert not selectors.rounds(personas["citizen"]).exists()


@pytest.mark.django_db
def test_unannounced_results_stay_hidden_until_published(personas, org, points, make_round):
    round_ = opened(make_round(kind="unannounced", scope=[org["district_a"]], title="11月暗访"), personas)
    failing = dict(STATION_ANSWERS, WHZ05={"verdict": "fail", "note": "烟头"})
    submit(round_, points["station"], personas, failing)
    handler, office_a = personas["handler_street_a1"], personas["office_district_a"]
    assert not selectors.rounds(handler).exists()
    assert not selectors.rounds(office_a).exists()            # the district is inspected too
    assert selectors.point_history(handler, points["station"]) == []
    assert not Problem.objects.exists()                       # a problem would tell the unit
    assert selectors.rounds(personas["office_city"]).get() == round_
    assert selectors.rounds(personas["inspector"]).get() == round_
    services.round_close(actor=personas["office_city"], round_=round_)
    assert not selectors.rounds(handler).exists()
    services.round_publish(actor=personas["office_city"], round_=round_)
    assert selectors.rounds(handler).get() == round_
    history = selectors.point_history(handler, points["station"])
    assert [row.score for row in history] == [D("52.35")]     # 0 + 1.25 + 3.2 = 4.45 / 8.5
    problem = Problem.objects.get()
    assert (problem.state, problem.unit_id) == (State.ASSIGNED, org["street_a1"].pk)
    points["station"].refresh_from_db()
    assert points["station"].latest_score == D("52.35")


@pytest.mark.django_db
def test_only_the_offices_full_rounds_move_the_latest_score(personas, org, points, make_round):
    office, handler = personas["office_city"], personas["handler_street_a1"]

    def publish(round_, actor=office):
        services.round_close(actor=actor, round_=round_)
        return services.round_publish(actor=actor, round_=round_)

    weekly = opened(make_round(), personas)
    submit(weekly, points["station"], personas, dict(STATION_ANSWERS, WHZ05={"verdict": "fail", "note": "烟头"}))
    publish(weekly)
    points["station"].refresh_from_db()
    assert points["station"].latest_score == D("52.35")                # 0 + 1.25 + 3.2 = 4.45 / 8.5
    problem = Problem.objects.get()
    from wenming.cases.tests.conftest import jpeg_bytes
    from wenming.core.services_photos import photo_create

    case_services.problem_sign(actor=handler, problem=problem)
    case_services.problem_submit(actor=handler, problem=problem, note="已整改",
                                 photos=[photo_create(actor=handler, data=jpeg_bytes(), filename="x.jpg")])
    # the unit's own 自查 scores 100: not the 最近得分
    own = make_round(kind="self_check", actor="handler_street_a1", owner=org["street_a1"], scope=[org["street_a1"]],
                     title="自查")
    services.round_sample(actor=handler, round_=own)
    services.round_assign(actor=handler, round_=own, inspectors=[handler])
    services.round_open(actor=handler, round_=own)
    submit(own, points["station"], personas, {"WHZ05": {"verdict": "pass"}, "WHZ01": {"verdict": "pass"},
                                              "WHZ09": {"met": 3}}, key="own", inspector="handler_street_a1")
    publish(own, handler)
    assert RoundPoint.objects.get(round=own, point=points["station"]).score == D("100.00")
    # a 复查 scores only the item it re-checked (0 of 2): not the 最近得分 either, and raises no problem
    recheck = opened(make_round(kind="recheck", title="复查"), personas)
    submit(recheck, points["station"], personas, {"WHZ05": {"verdict": "fail", "note": "仍有烟头"}}, key="re")
    publish(recheck)
    assert RoundPoint.objects.get(round=recheck, point=points["station"]).score == D("0.00")
    points["station"].refresh_from_db()
    assert (points["station"].latest_score, points["station"].latest_scored_at) == (
        D("52.35"), RoundPoint.objects.get(round=weekly, point=points["station"]).done_at)
    problem.refresh_from_db()
    assert Problem.objects.count() == 1 and problem.state == State.RECTIFYING     # 复核不通过: returned
    # the next 周测评 moves it again
    later = opened(make_round(title="第48周"), personas)
    submit(later, points["station"], personas, STATION_ANSWERS, key="later")
    publish(later)
    points["station"].refresh_from_db()
    assert points["station"].latest_score == D("75.88")


@pytest.mark.django_db
def test_results_of_announced_rounds_wait_for_publication_too(personas, org, points, make_round):
    round_ = opened(make_round(), personas)
    submit(round_, points["station"], personas, STATION_ANSWERS)
    handler = personas["handler_street_a1"]
    assert selectors.rounds(handler).get() == round_          # an announced round is known …
    assert selectors.point_history(handler, points["station"]) == []   # … its results are not, yet
    assert not selectors.rounds(personas["handler_street_a2"]).exists()  # no point of his in it


@pytest.mark.django_db
def test_recheck_round_closes_or_returns_the_linked_problems(personas, org, points, make_round):
    office, handler = personas["office_city"], personas["handler_street_a1"]
    first = opened(make_round(), personas)
    submit(first, points["station"], personas, dict(STATION_ANSWERS, WHZ05={"verdict": "fail", "note": "烟头"},
                                                    WHZ09={"met": 0}))
    assert Problem.objects.count() == 2                       # WHZ05 不符合, WHZ09 C# below pass mark C
    from wenming.cases.tests.conftest import jpeg_bytes
    from wenming.core.services_photos import photo_create

    def make_photo(actor):
        return photo_create(actor=actor, data=jpeg_bytes(), filename="x.jpg")

    for problem in Problem.objects.all():
        case_services.problem_sign(actor=handler, problem=problem)
        case_services.problem_submit(actor=handler, problem=problem, photos=[make_photo(handler)], note="已整改")
    recheck = opened(make_round(kind="recheck", title="复查"), personas)
    row = RoundPoint.objects.get(round=recheck, point=points["station"])
    assert sorted(item.code for item in services.items_for(row)) == ["WHZ05", "WHZ09"]
    submit(recheck, points["station"], personas, {"WHZ05": {"verdict": "pass"}, "WHZ09": {"met": 1, "note": "仍缺制度"}},
           key="recheck")
    states = dict(ItemResult.objects.filter(inspection__round_point__round=first, problem__isnull=False)
                  .values_list("item__code", "problem__state"))
    assert states == {"WHZ05": State.CLOSED, "WHZ09": State.CLOSED}   # C (met 1) passes the mark C
    assert Problem.objects.count() == 2                        # a re-check raises nothing new
    del office


@pytest.mark.django_db
def test_recheck_round_samples_only_points_with_problems_awaiting_recheck(personas, org, points, make_round):
    office, handler = personas["office_city"], personas["handler_street_a1"]
    first = opened(make_round(), personas)
    submit(first, points["station"], personas, dict(STATION_ANSWERS, WHZ05={"verdict": "fail", "note": "烟头"}))
    submit(first, points["square"], personas, SQUARE_ANSWERS, key="k2")     # ZGD01 扣分: a problem, 已交办
    station_problem = Problem.objects.get(item_results__item__code="WHZ05")
    square_problem = Problem.objects.get(item_results__item__code="ZGD01")
    from wenming.cases.tests.conftest import jpeg_bytes
    from wenming.core.services_photos import photo_create

    case_services.problem_sign(actor=handler, problem=station_problem)
    case_services.problem_submit(actor=handler, problem=station_problem, note="已整改",
                                 photos=[photo_create(actor=handler, data=jpeg_bytes(), filename="x.jpg")])
    square_problem.refresh_from_db()
    assert (station_problem.state, square_problem.state) == (State.SUBMITTED, State.ASSIGNED)
    # P1 has a problem 待复核; P2's is not rectified yet, P3 never had one: neither is sampled
    recheck = make_round(kind="recheck", title="复查")
    assert [p.code for p in services.candidate_points(recheck)] == ["P1"]
    opened(recheck, personas)
    assert list(RoundPoint.objects.filter(round=recheck).values_list("point__code", flat=True)) == ["P1"]
    submit(recheck, points["station"], personas, {"WHZ05": {"verdict": "pass"}}, key="recheck")
    recheck.refresh_from_db()
    assert (RoundPoint.objects.filter(round=recheck, status=RoundPoint.Status.DONE).count(),
            RoundPoint.objects.filter(round=recheck).count()) == (1, 1)          # the round can complete
    station_problem.refresh_from_db()
    assert station_problem.state == State.CLOSED
    # nothing left to re-check: the planner is told why
    empty = make_round(kind="recheck", title="再复查")
    with pytest.raises(InspectionError, match="测评范围内没有待复查的点位（复查只抽取有“待复核”测评问题的点位）"):
        services.round_sample(actor=office, round_=empty)
    # other kinds still sample every point
    assert [p.code for p in services.candidate_points(make_round(title="周测评"))] == ["P1", "P2", "P3"]


@pytest.mark.django_db
def test_self_check_is_the_units_own_round(personas, org, points, make_round):
    handler = personas["handler_street_a1"]
    own = make_round(kind="self_check", actor="handler_street_a1", owner=org["street_a1"], scope=[org["street_a1"]],
                     title="甲一街道自查")
    services.round_sample(actor=handler, round_=own)
    assert list(RoundPoint.objects.filter(round=own).values_list("point__code", flat=True)) == ["P1", "P2"]
    services.round_assign(actor=handler, round_=own, inspectors=[handler])
    services.round_open(actor=handler, round_=own)
    submit(own, points["station"], personas, dict(STATION_ANSWERS, WHZ05={"verdict": "fail", "note": "烟头"}),
           inspector="handler_street_a1")
    problem = Problem.objects.get()
    assert (problem.source, problem.state) == ("self_check", State.REPORTED)   # the office decides on it
    with pytest.raises(Http404):   # not his unit: not even shown
        make_round(kind="self_check", actor="handler_street_a1", owner=org["street_b1"], scope=[org["street_b1"]])


def _staff(username, unit, role, full_name):
    from wenming.org.models import Membership, User

    user = User.objects.create(username=username, full_name=full_name)
    Membership.objects.create(user=user, unit=unit, role=role)
    return user


@pytest.mark.django_db
def test_reassign_hands_unfinished_points_to_another_inspector(personas, org, points, make_round):
    from wenming.cases.models import Notification
    from wenming.core.models import AuditEvent
    from wenming.org.models import Role

    office, inspector = personas["office_city"], personas["inspector"]
    deputy = _staff("inspector_a", org["district_a"], Role.INSPECTOR, "钱测评")
    stranger = _staff("inspector_b", org["district_b"], Role.INSPECTOR, "冯测评")
    round_ = opened(make_round(owner=org["district_a"], scope=[org["district_a"]]), personas)   # P1, P2
    station = RoundPoint.objects.get(round=round_, point=points["station"])
    square = RoundPoint.objects.get(round=round_, point=points["square"])
    services.inspection_save_draft(actor=inspector, round_point=station,
                                   answers=answers_for(services.items_for(station), WHZ05={"verdict": "pass"}))
    submit(round_, points["square"], personas, SQUARE_ANSWERS)
    Notification.objects.all().delete()
    with pytest.raises(InspectionError, match="“甲一广场”已完成测评，不能改派"):
        services.round_reassign(actor=office, round_=round_, round_points=[station, square], inspector=deputy)
    for nobody in (personas["citizen"], stranger, personas["handler_street_a1"]):   # not an inspector in reach
        with pytest.raises(InspectionError, match="不是可参加本轮次的测评员"):
            services.round_reassign(actor=office, round_=round_, round_points=[station], inspector=nobody)
    for name in ("inspector", "handler_street_a1", "grid_worker", "leader", "citizen", "admin"):
        with pytest.raises((PermissionDenied, Http404)):
            services.round_reassign(actor=personas[name], round_=round_, round_points=[station], inspector=deputy)
    assert RoundPoint.objects.get(pk=station.pk).inspector_id == inspector.pk
    assert services.round_reassign(actor=office, round_=round_, round_points=[station], inspector=deputy) == 1
    station.refresh_from_db()
    # the draft of the previous inspector is void: the point waits for the new one
    assert (station.inspector_id, station.status) == (deputy.pk, RoundPoint.Status.PENDING)
    assert not Inspection.objects.filter(round_point=station).exists()
    assert [(n.title, n.body) for n in Notification.objects.filter(user=deputy)] == [
        ("测评任务：第47周测评", "您有 1 个点位待测评，截止 2026-11-22。")]
    assert [n.body for n in Notification.objects.filter(user=inspector)] == ["您的 1 个点位已改派给钱测评，无需再测评。"]
    event = AuditEvent.objects.filter(action="inspections.round_reassign").get()
    assert (event.actor_username, event.detail["to"], event.detail["from"], event.detail["points"],
            event.detail["drafts_discarded"]) == ("office_city", "inspector_a", ["inspector"], ["P1"], 1)
    with pytest.raises(InspectionError, match="已经分配给“钱测评”"):
        services.round_reassign(actor=office, round_=round_, round_points=[station], inspector=deputy)
    # the new inspector inspects it; the previous one no longer may
    with pytest.raises(PermissionDenied):
        submit(round_, points["station"], personas, STATION_ANSWERS, key="old")
    row = RoundPoint.objects.select_related("round", "point").get(pk=station.pk)
    inspection, _ = services.inspection_submit(actor=deputy, round_point=row, submit_key="new",
                                               answers=answers_for(services.items_for(row), **STATION_ANSWERS))
    assert inspection.inspector_id == deputy.pk
    assert [rp.point.code for rp in selectors.assignments(deputy)] == ["P1"]
    services.round_close(actor=office, round_=round_)
    with pytest.raises(InspectionError, match="轮次已结束，不能改派测评员"):
        services.round_reassign(actor=office, round_=round_, round_points=[station], inspector=inspector)


@pytest.mark.django_db
def test_self_check_points_are_reassigned_among_the_units_own_staff(personas, org, points, make_round):
    handler = personas["handler_street_a1"]
    own = make_round(kind="self_check", actor="handler_street_a1", owner=org["street_a1"], scope=[org["street_a1"]],
                     title="甲一街道自查")
    services.round_sample(actor=handler, round_=own)
    services.round_assign(actor=handler, round_=own, inspectors=[handler])
    eligible = set(services.eligible_inspectors(own).values_list("username", flat=True))
    assert eligible == {"handler_street_a1", "grid_worker"}                  # not the city's inspector
    rows = list(RoundPoint.objects.filter(round=own))
    with pytest.raises(InspectionError, match="不是可参加本轮次的测评员"):
        services.round_reassign(actor=handler, round_=own, round_points=rows, inspector=personas["inspector"])
    assert services.round_reassign(actor=handler, round_=own, round_points=rows,
                                   inspector=personas["grid_worker"]) == 2   # still 准备中: nobody notified
    assert set(RoundPoint.objects.filter(round=own).values_list("inspector__username", flat=True)) == {"grid_worker"}
    services.round_open(actor=handler, round_=own)
    with pytest.raises((PermissionDenied, Http404)):     # another unit's handler
        services.round_reassign(actor=personas["handler_street_a2"], round_=own, round_points=rows, inspector=handler)


@pytest.mark.django_db
def test_wrong_personas_are_refused(personas, org, points, make_round):
    for name in ("handler_street_a1", "inspector", "leader", "grid_worker", "citizen", "admin"):
        with pytest.raises((PermissionDenied, Http404)):
            make_round(actor=name)
    with pytest.raises(Http404):     # district office: the city is outside its scope
        make_round(actor="office_district_a")
    round_ = make_round()
    for name in ("office_district_a", "inspector", "handler_street_a1", "citizen"):
        with pytest.raises((PermissionDenied, Http404)):
            services.round_sample(actor=personas[name], round_=round_)
    opened(round_, personas)
    row = RoundPoint.objects.get(round=round_, point=points["station"])
    for name in ("office_city", "handler_street_a1", "grid_worker", "citizen"):
        with pytest.raises((PermissionDenied, Http404)):
            services.inspection_submit(actor=personas[name], round_point=row, answers={}, submit_key="x")
    assert not ItemResult.objects.exists()


@pytest.mark.django_db
def test_round_lifecycle_guards(personas, points, make_round):
    office = personas["office_city"]
    round_ = make_round()
    with pytest.raises(InspectionError, match="请先抽取样本"):
        services.round_open(actor=office, round_=round_)
    services.round_sample(actor=office, round_=round_)
    with pytest.raises(InspectionError, match="还有 3 个点位没有分配测评员"):
        services.round_open(actor=office, round_=round_)
    with pytest.raises(InspectionError, match="不是可参加本轮次的测评员"):
        services.round_assign(actor=office, round_=round_, inspectors=[personas["citizen"]])
    services.round_assign(actor=office, round_=round_, inspectors=[personas["inspector"]])
    services.round_open(actor=office, round_=round_)
    with pytest.raises(InspectionError, match="请先结束轮次"):
        services.round_publish(actor=office, round_=round_)
    services.round_close(actor=office, round_=round_)
    with pytest.raises(InspectionError, match="不在进行中"):
        submit(round_, points["station"], personas, STATION_ANSWERS)
    assert services.round_publish(actor=office, round_=round_).status == RoundStatus.PUBLISHED
    with pytest.raises(InspectionError, match="结束日期不能早于开始日期"):
        services.round_create(actor=office, title="x", kind="weekly", system=round_.system, owner=round_.owner,
                              scope_units=[round_.owner], period_start=datetime.date(2026, 11, 2),
                              period_end=datetime.date(2026, 11, 1))


@pytest.mark.django_db
def test_scores_ranked_by_district_and_street_weigh_every_point_under_them(personas, org, points, make_round):
    # district A: the street's WHZ point (75.88, weight 3) and its community's TST point (0, weight 1)
    round_ = opened(make_round(weights={"WHZ": 3, "TST": 1}), personas)
    submit(round_, points["station"], personas, STATION_ANSWERS)
    submit(round_, points["square"], personas, SQUARE_ANSWERS, key="k2")
    districts = {row.unit_name: row for row in scores.unit_scores(round_, depth=org["city"].depth + 1)}
    assert set(districts) == {org["district_a"].name, org["district_b"].name}
    a, b = districts[org["district_a"].name], districts[org["district_b"].name]
    assert (a.points, a.done, a.failed_items, a.score, a.unit_code) == (2, 2, 1, D("56.91"), org["district_a"].code)
    assert (b.points, b.done, b.score) == (1, 0, None)
    streets = {row.unit_name: row.score for row in scores.unit_scores(round_, depth=org["city"].depth + 2)}
    assert streets == {"甲一街道": D("56.91"), "乙一街道": None}
    # by responsible unit, the community stands on its own
    units = {row.unit_name: row.score for row in scores.unit_scores(round_)}
    assert units == {"甲一街道": D("75.88"), "甲一社区": D("0.00"), "乙一街道": None}


@pytest.mark.django_db
def test_unannounced_photos_pass_to_the_inspected_unit_when_published(personas, org, points, make_round, settings,
                                                                      tmp_path):
    from wenming.cases.tests.conftest import jpeg_bytes
    from wenming.core.services_photos import photo_create
    from wenming.core.views_photos import can_see_photo

    settings.MEDIA_ROOT = tmp_path / "media"
    round_ = opened(make_round(kind="unannounced", scope=[org["district_a"]], title="11月暗访"), personas)
    inspector, handler = personas["inspector"], personas["handler_street_a1"]
    # as the phone form stores them: under the organiser while the round is secret
    photo = photo_create(actor=inspector, data=jpeg_bytes(), filename="pass.jpg", unit=round_.owner)
    answers = dict(STATION_ANSWERS)
    answers["WHZ01"] = dict(answers["WHZ01"], photos=[photo])
    submit(round_, points["station"], personas, answers)
    assert ItemResult.objects.get(photos=photo).problem is None   # a passed item: no problem to show it
    assert not can_see_photo(handler, photo)
    services.round_close(actor=personas["office_city"], round_=round_)
    assert not can_see_photo(handler, photo)
    services.round_publish(actor=personas["office_city"], round_=round_)
    photo.refresh_from_db()
    assert photo.unit == org["street_a1"] and can_see_photo(handler, photo)
    assert not can_see_photo(personas["handler_street_a2"], photo)
