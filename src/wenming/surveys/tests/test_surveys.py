"""Questionnaires, campaigns and responses through the services: the rates and their Wilson intervals by
hand, quotas, a retried submission counted once, quality flags kept out until reviewed, mock campaigns
never in the official figures, skip logic and bad answers refused in Chinese."""

import datetime

import pytest
from django.utils import timezone

from wenming.core.errors import Conflict, ValidationFailed
from wenming.core.models import AuditEvent
from wenming.surveys import definition, quotas, selectors, services, stats
from wenming.surveys.models import (
    CampaignUnit,
    Flag,
    Household,
    OptionTally,
    QuestionnaireStatus,
    Response,
    ResponseStatus,
    Tally,
)

from .conftest import ALL_NO, ALL_YES, new_campaign

pytestmark = pytest.mark.django_db
T0 = timezone.make_aware(datetime.datetime(2026, 11, 20, 10, 0))


def submit(cu, answers, key, *, seconds=300, surveyor=None, **kwargs):
    return services.response_submit(campaign_unit=cu, client_key=key, answers=answers, started_at=T0,
                                    submitted_at=T0 + datetime.timedelta(seconds=seconds), surveyor=surveyor, **kwargs)


def cu_of(campaign, unit):
    return CampaignUnit.objects.select_related("campaign", "campaign__questionnaire", "unit").get(
        campaign=campaign, unit=unit)


def test_wilson_interval_by_hand():
    # 45 of 50: p = 0.9, z² = 3.8415; centre (0.9 + 0.0384) / 1.0768 = 0.8715; half 1.8202 × √0.0021842 = 0.0851
    low, high = stats.wilson(45, 50)
    assert (round(low, 4), round(high, 4)) == (0.7864, 0.9565)
    figure = stats.figure(45, 50, quota=60)
    assert (figure.percent, figure.interval, figure.interval_text) == (90.0, (78.6, 95.7), "78.6%–95.7%")
    assert figure.straddles and figure.reaches is None          # 90 % lies inside: cannot tell
    assert stats.figure(10, 10).interval == (72.2, 100.0)       # never above 100 %, wide for a small sample
    assert stats.figure(171, 190).interval == (84.9, 93.5)
    assert stats.figure(0, 0).percent is None and stats.figure(0, 0).interval is None
    assert stats.figure(190, 190).reaches is True and stats.figure(50, 100).reaches is False


def test_quotas_by_population_add_up_and_households_draw_the_same_each_time():
    # 100 over 8,000 / 4,000 / 3,000 (15,000): 1 each, then 97 × 8/15 = 51.73, 25.87, 19.40 → 51, 25, 19 (95),
    # the 2 left go to the largest remainders (.87 and .73): 52 + 1, 26 + 1, 20 → 53, 27, 20
    assert quotas.by_population(100, [(1, 8000), (2, 4000), (3, 3000)]) == {1: 53, 2: 27, 3: 20}
    assert sum(quotas.by_population(7, [(1, 5), (2, 0), (3, 9)]).values()) == 7
    households = list(range(1, 101))
    first = quotas.draw(households, 10, seed="42:7")
    assert len(first) == 12 and first == quotas.draw(households, 10, seed="42:7")   # quota + a fifth in reserve
    assert first != quotas.draw(households, 10, seed="43:7")


def test_the_builtin_questionnaire_and_its_round_trips(questionnaire):
    questions = list(questionnaire.questions.all())
    assert [q.rate for q in questions if q.rate] == ["awareness", "support", "participation", "satisfaction"]
    assert questionnaire.status == QuestionnaireStatus.ACTIVE and questionnaire.version == 1
    again, errors = definition.read_yaml(definition.to_yaml(questionnaire).encode())
    assert errors == [] and len(again.questions) == 7 and again.questions[1].show_if == {"seq": 1, "codes": ["A", "B"]}
    sheet = definition.to_sheet(questionnaire)
    back, errors = definition.read_sheet(sheet, "问卷.xlsx", code="CJWM2", title="复制的问卷")
    assert errors == [] and [q.options for q in back.questions] == [q.options for q in questions]


def test_a_bad_questionnaire_sheet_names_each_row_and_column_and_creates_nothing(personas, org):
    from wenming.core.sheets import workbook_bytes

    rows = [[1, "您是否知道？", "单选", "是", "知晓率", "A 知道；B 不知道", "", "", ""],      # no option marked *
            [2, "渠道", "多选", "否", "支持率", "A 电视；B 报纸", "", "", ""],             # a 多选 cannot measure
            [3, "满意吗", "评分", "是", "满意度", "", "5", "7", ""],                       # 7 > 5
            [4, "为什么", "填空", "否", "", "", "", "", "9:A"],                           # refers to no question
            [5, "参与吗", "判断", "是", "", "", "", "", ""]]                              # no such kind
    data = workbook_bytes("问卷题目", definition.COLUMNS, rows)
    survey, errors = definition.read_sheet(data, "问卷.xlsx", code="BAD", title="有错的问卷")
    assert [(e.row, e.column) for e in errors] == [(6, "题型")]          # a cell refused first: the sheet stops there
    rows[4][2] = "是非"
    survey, errors = definition.read_sheet(workbook_bytes("问卷题目", definition.COLUMNS, rows), "问卷.xlsx",
                                           code="BAD", title="有错的问卷")
    assert [(e.row, e.column) for e in errors] == [(2, "选项"), (3, "测量比率"), (4, "计为肯定的最低分"), (5, "显示条件")]
    assert "须用*标出计为肯定的选项" in errors[0].message and "多选题不能测量比率" in errors[1].message
    with pytest.raises(ValidationFailed):
        services.questionnaire_import(actor=personas["office_city"], owner=org["city"], data=survey)


def test_a_new_version_keeps_the_campaigns_on_the_old_one(personas, org, campaign, questionnaire):
    draft = services.builtin_install(actor=personas["office_city"], owner=org["city"])
    assert draft.version == 2 and draft.status == QuestionnaireStatus.DRAFT
    with pytest.raises(Conflict):
        services.builtin_install(actor=personas["office_city"], owner=org["city"])   # one draft at a time
    services.questionnaire_publish(actor=personas["office_city"], questionnaire=draft)
    questionnaire.refresh_from_db()
    campaign.refresh_from_db()
    assert questionnaire.status == QuestionnaireStatus.RETIRED and campaign.questionnaire_id == questionnaire.pk


def test_rates_counted_by_hand_with_a_retry_counted_once(personas, org, communities, campaign):
    cu = cu_of(campaign, communities["a1"])
    surveyor = personas["handler_street_a1"]
    for n in range(9):
        submit(cu, ALL_YES, f"yes-{n}", surveyor=surveyor)
    first = submit(cu, ALL_NO, "no-0", surveyor=surveyor)
    again = submit(cu, ALL_NO, "no-0", surveyor=surveyor)          # the phone did not hear the answer and retried
    assert first.created and not again.created and again.response.pk == first.response.pk
    assert Response.objects.count() == 10
    tally = Tally.objects.get(campaign=campaign, unit=communities["a1"])
    assert (tally.responses, tally.answered_awareness, tally.awareness, tally.satisfaction) == (10, 10, 9, 9)
    assert OptionTally.objects.get(campaign=campaign, unit=communities["a1"], seq=2, option="C").count == 9
    found = selectors.results(personas["office_city"], campaign)
    row = next(r for r in found.rows if r.unit.pk == communities["a1"].pk)
    # 9 of 10: 90.0 %, Wilson 59.6 %–98.2 %; 10 of the quota 20: 样本不足
    assert row.figures["awareness"].percent == 90.0 and row.figures["awareness"].interval == (59.6, 98.2)
    assert row.notes[0] == "样本不足：10/20份" and "知晓率置信区间跨越90%，尚不能判断是否达标" in row.notes
    assert (found.total.quota, found.total.responses) == (60, 10)
    # by street: 甲一街道 holds 甲一社区
    by_street = selectors.results(personas["office_city"], campaign, "street")
    assert [(r.unit.name, r.responses, r.quota) for r in by_street.rows] == [
        ("甲一街道", 10, 20), ("甲二街道", 0, 20), ("乙一街道", 0, 20)]
    # district A's office sees its two communities only
    mine = selectors.results(personas["office_district_a"], campaign)
    assert [r.unit.name for r in mine.rows] == ["甲一社区", "甲二社区"]


def test_flags_keep_responses_out_until_reviewed(personas, org, communities, questionnaire):
    campaign = new_campaign(personas, org, questionnaire, mode="self")
    cu = cu_of(campaign, communities["a2"])
    fast = submit(cu, ALL_YES, "fast", seconds=20, device="d1").response                # under the 60 s minimum
    ok = submit(cu, ALL_YES, "ok", device="d2").response
    twice = submit(cu, ALL_NO, "twice", device="d2").response                         # the same phone again
    assert (fast.status, fast.flags) == (ResponseStatus.FLAGGED, [Flag.TOO_FAST])
    assert ok.status == ResponseStatus.COUNTED and twice.flags == [Flag.SAME_DEVICE]
    tally = Tally.objects.get(campaign=campaign, unit=communities["a2"])
    assert (tally.responses, tally.flagged, tally.awareness) == (1, 2, 1)
    assert [r.pk for r in selectors.flagged(personas["office_city"], campaign)] == [fast.pk, twice.pk]
    services.response_review(actor=personas["office_city"], response=fast, count=True, note="")
    with pytest.raises(ValidationFailed, match="剔除答卷请填写理由"):
        services.response_review(actor=personas["office_city"], response=twice, count=False, note="")
    services.response_review(actor=personas["office_city"], response=twice, count=False, note="同一手机重复填写")
    tally.refresh_from_db()
    assert (tally.responses, tally.flagged, tally.awareness, tally.answered_awareness) == (2, 0, 2, 2)
    with pytest.raises(Exception):   # a district office does not review the city's campaign
        services.response_review(actor=personas["office_district_a"], response=ok, count=False, note="x")


def test_an_interview_campaign_takes_no_self_fill_and_a_closed_one_nothing(personas, org, communities, campaign):
    cu = cu_of(campaign, communities["a1"])
    with pytest.raises(Conflict, match="入户调查"):
        submit(cu, ALL_YES, "anon")
    services.campaign_close(actor=personas["office_city"], campaign=campaign)
    cu = cu_of(campaign, communities["a1"])
    with pytest.raises(Conflict, match="已结束"):
        submit(cu, ALL_YES, "late", surveyor=personas["handler_street_a1"])
    assert not Response.objects.exists()


def test_skip_logic_and_bad_answers_are_refused_in_chinese(personas, communities, campaign):
    cu = cu_of(campaign, communities["a1"])
    handler = personas["handler_street_a1"]
    cases = [
        ({**ALL_NO, "2": ["A"]}, "第2题按前面的回答不需作答"),       # 不知道: the channels question is skipped
        ({"1": "A", "3": "A", "4": True}, "第5题为必答题"),
        ({**ALL_YES, "5": 6}, "第5题请打1至5分"),
        ({**ALL_YES, "1": "Z"}, "第1题请选择一个选项"),
        ({**ALL_YES, "4": "yes"}, "第4题请选择“是”或“否”"),
        ({**ALL_YES, "99": "A"}, "问卷中没有第99题"),
        ("not a dict", "答案格式不正确"),
    ]
    for n, (answers, message) in enumerate(cases):
        with pytest.raises(ValidationFailed, match=message):
            submit(cu, answers, f"bad-{n}", surveyor=handler)
    with pytest.raises(ValidationFailed, match="提交时间不能早于开始时间"):
        submit(cu, ALL_YES, "time", seconds=-5, surveyor=handler)
    assert not Response.objects.exists() and not Tally.objects.exists()


def test_a_surveyor_far_from_his_peers_is_flagged(personas, org, communities, campaign):
    cu = cu_of(campaign, communities["a1"])
    one, two, odd = personas["handler_street_a1"], personas["office_district_a"], personas["office_city"]
    for n in range(25):                                    # one surveyor: 15 of 25 know (60 %)
        submit(cu, ALL_YES if n < 15 else ALL_NO, f"a{n}", surveyor=one)
    for n in range(25):                                    # another: all 25 "know" (100 %)
        submit(cu, ALL_YES, f"o{n}", surveyor=odd)
    # with two surveyors each is as far from the other: nothing tells which one is off
    assert services.surveyors_check(actor=personas["office_city"], campaign=campaign) == []
    for n in range(25):                                    # a third: 15 of 25 (60 %)
        submit(cu, ALL_YES if n < 15 else ALL_NO, f"b{n}", surveyor=two)
    # the odd one against the others: 25/25 vs 30/50, pooled 55/75 = .733, se = √(.733 × .267 × (1/25 + 1/50))
    # = .108, z = .40 / .108 = 3.7 ≥ 3; each of the others against the rest: .60 vs .80, z = 1.85
    found = services.surveyors_check(actor=personas["office_city"], campaign=campaign)
    assert [s for s, _ in found] == [odd.pk] and found[0][1] == "知晓率100.0%（25份），其他调查员60.0%（50份）"
    assert Response.objects.filter(surveyor=odd, status=ResponseStatus.FLAGGED).count() == 25
    tally = Tally.objects.get(campaign=campaign, unit=communities["a1"])
    assert (tally.responses, tally.flagged, tally.awareness) == (50, 25, 30)


def test_mock_campaigns_are_marked_and_never_official(personas, org, communities, questionnaire):
    from decimal import Decimal

    from wenming.scoring import metrics

    surveyor = personas["handler_street_a1"]
    mock = new_campaign(personas, org, questionnaire, mode="mock", title="调查员培训（模拟）")
    real = new_campaign(personas, org, questionnaire, title="正式调查")
    submit(cu_of(mock, communities["a1"]), ALL_YES, "m1", surveyor=surveyor)
    for n in range(3):
        submit(cu_of(real, communities["a1"]), ALL_YES if n < 2 else ALL_NO, f"r{n}", surveyor=surveyor)
    flagged = submit(cu_of(real, communities["a1"]), ALL_YES, "fast", seconds=5, surveyor=surveyor).response
    assert mock.is_mock and Tally.objects.get(campaign=mock).responses == 1
    nov, dec = datetime.date(2026, 11, 1), datetime.date(2026, 12, 31)
    assert selectors.official(org["city"], nov, dec) == {}              # an open campaign is not final yet
    for campaign in (mock, real):
        services.campaign_close(actor=personas["office_city"], campaign=campaign)
    with pytest.raises(Conflict, match="调查已结束，结果已定"):
        services.response_review(actor=personas["office_city"], response=flagged, count=True)
    figures = selectors.official(org["city"], nov, dec)
    assert (figures["awareness"].positive, figures["awareness"].n) == (2, 3)    # the mock one never counted
    # the assessment's 问卷调查: the mean of the four rates, 2/3 each → 66.67; a street without a survey: no value
    units = {org["street_a1"].path: org["street_a1"].pk, org["street_a2"].path: org["street_a2"].pk}
    values = metrics.survey(units, metrics.Window(nov, dec, timezone.now()), org["city"].path)
    a1 = values[org["street_a1"].pk]
    assert a1.score == Decimal("66.67") and a1.sample == 3
    assert a1.text == ("知晓率66.67%（2/3）、支持率66.67%（2/3）、参与率66.67%（2/3）、满意度66.67%（2/3），"
                       "平均得66.67分。")
    assert values[org["street_a2"].pk].score is None


def test_households_drawn_and_a_household_twice_is_flagged(personas, communities, campaign):
    unit = communities["a1"]
    Household.objects.bulk_create([Household(unit=unit, code=f"{n:03d}", address=f"幸福路{n}号") for n in range(1, 51)])
    cu = cu_of(campaign, unit)
    drawn = services.drawn_households(cu)
    assert len(drawn) == 24 and drawn == services.drawn_households(cu)     # quota 20 and 4 in reserve
    handler = personas["handler_street_a1"]
    submit(cu, ALL_YES, "h1", surveyor=handler, household_id=drawn[0].pk)
    second = submit(cu, ALL_YES, "h2", surveyor=handler, household_id=drawn[0].pk).response
    assert second.flags == [Flag.SAME_RESPONDENT]
    with pytest.raises(ValidationFailed, match="不在本社区的住户名单中"):
        submit(cu, ALL_YES, "h3", surveyor=handler, household_id=10**9)


def test_campaign_refusals_and_audit(personas, org, communities, questionnaire):
    item = services.CampaignInput(title="", scope=org["street_a1"], questionnaire=questionnaire, mode="x",
                                  starts_on=datetime.date(2026, 12, 1), ends_on=datetime.date(2026, 11, 1),
                                  quota_rule="population", quota_value=0, min_seconds=-1)
    with pytest.raises(ValidationFailed) as caught:
        services.campaign_create(actor=personas["office_city"], owner=org["city"], item=item)
    assert set(caught.value.errors) == {"title", "mode", "ends_on", "quota_value", "min_seconds"}
    with pytest.raises(Exception):
        services.campaign_create(actor=personas["office_district_a"], owner=org["city"], item=item)
    campaign = new_campaign(personas, org, questionnaire, rule="population", value=100, scope=org["city"])
    assert dict(campaign.units.values_list("unit__name", "quota")) == {"甲一社区": 53, "甲二社区": 27, "乙一社区": 20}
    assert AuditEvent.objects.filter(action="surveys.campaign_create").count() == 1


def test_the_inspector_sees_the_communitys_surveyed_rate_beside_the_item(personas, org, communities, campaign, login):
    """The 问卷调查 items (MY01 群众知晓率 …) at a community's point: the latest closed official survey's figures."""
    from wenming.inspections import services as inspections
    from wenming.inspections.models import RoundPoint
    from wenming.inspections.tests.conftest import make_point
    from wenming.standards.services import load_builtin

    system = load_builtin()
    cu = cu_of(campaign, communities["a1"])
    for n in range(10):
        submit(cu, ALL_YES if n < 9 else ALL_NO, f"k{n}", surveyor=personas["handler_street_a1"])
    services.campaign_close(actor=personas["office_city"], campaign=campaign)
    point = make_point("A1-SQ", "甲一社区居委会", "SQ", communities["a1"], communities["a1"])
    district = personas["office_district_a"]
    round_ = inspections.round_create(
        actor=district, title="甲区第48周测评", kind="weekly", system=system, owner=org["district_a"],
        scope_units=[org["district_a"]], period_start=datetime.date(2026, 11, 23), period_end=datetime.date(2026, 11, 29))
    inspections.round_sample(actor=district, round_=round_)
    inspections.round_assign(actor=district, round_=round_, inspectors=[personas["inspector"]])
    inspections.round_open(actor=district, round_=round_)
    row = RoundPoint.objects.get(round=round_, point=point)
    page = login("inspector").get(f"/inspections/do/{row.pk}/").content.decode()
    assert page.count('data-testid="survey-hint"') == 3            # MY01 知晓率, MY02 支持率, MY03 参与率
    assert "问卷调查（2026年第四季度群众满意度调查）：90.0%，95%置信区间59.6%–98.2%，有效样本10份" in page
