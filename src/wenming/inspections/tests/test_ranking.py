"""Like-with-like ranking (同类同项, DESIGN.md §8): a round's units are ranked among peers of their own
kind only, with the sample size shown, and a unit below the round's minimum sample is listed after its
peers, marked, never ranked above a fully sampled one. The minimum is the office's setting (测评设置),
copied into each round when it is planned and changeable until the results are published."""

import random
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from wenming.conftest import make_unit
from wenming.core.models import AuditEvent
from wenming.inspections import scores, selectors, services
from wenming.inspections.models import InspectionRound, InspectionSettings, RoundPoint, RoundStatus
from wenming.inspections.scores import UnitScore, peer_group, rank_peers
from wenming.inspections.services import InspectionError
from wenming.org.codes import make_credit_code
from wenming.org.models import UnitKind

from .conftest import make_point

D = Decimal


# --- the rule on its own: any scores, any kinds ------------------------------------------------------

KINDS = [(UnitKind.DISTRICT, UnitKind.CITY), (UnitKind.STREET, UnitKind.DISTRICT),
         (UnitKind.COMMUNITY, UnitKind.STREET), (UnitKind.DEPARTMENT, UnitKind.CITY),
         (UnitKind.DEPARTMENT, UnitKind.DISTRICT), (UnitKind.SCHOOL, UnitKind.DISTRICT),
         (UnitKind.SCHOOL, UnitKind.CITY), (UnitKind.ENTERPRISE, UnitKind.STREET)]


def assert_like_with_like(groups, min_sample):
    """The invariants every ranking keeps."""
    seen_keys = set()
    for group in groups:
        assert group.key not in seen_keys
        seen_keys.add(group.key)
        # never mixes kinds: every row of a group is of the group's kind (and, for departments, level)
        assert {peer_group(row.unit.unit_kind, row.unit.parent_kind) for row in group.rows} == {(group.key, group.label)}
        ranked = [row for row in group.rows if row.rank is not None]
        # the ranked come first, each with a full sample and a score, best first
        assert group.rows[:len(ranked)] == ranked
        assert all(row.sample >= min_sample and row.unit.score is not None for row in ranked)
        assert [row.unit.score for row in ranked] == sorted((row.unit.score for row in ranked), reverse=True)
        # competition ranks: 1 for the best, equal scores share a rank, the next one skips
        for position, row in enumerate(ranked, 1):
            if position == 1:
                assert row.rank == 1
            elif row.unit.score == ranked[position - 2].unit.score:
                assert row.rank == ranked[position - 2].rank
            else:
                assert row.rank == position
        # never ranks a unit short of sample, nor lists it above a fully sampled peer
        for row in group.rows[len(ranked):]:
            assert row.rank is None and row.mark
            assert row.sample < min_sample or row.unit.score is None


def test_random_rankings_never_mix_kinds_nor_rank_a_short_sample_above_a_full_one():
    generator = random.Random(20261116)
    for trial in range(300):
        rows = []
        for n in range(generator.randint(1, 30)):
            kind, parent_kind = generator.choice(KINDS)
            done = generator.choice([0, 1, 2, 3, 4, 5, 8])
            score = D(generator.choice([55, 60, 72.5, 80, 80, 91.25, 100])).quantize(D("0.01")) if done else None
            rows.append(UnitScore(n, f"单位{n:02d}", done + generator.randint(0, 2), done, 0, score, f"U{n}",
                                  kind, parent_kind))
        min_sample = generator.randint(1, 6)
        groups = rank_peers(rows, min_sample)
        assert sorted(row.unit.unit_id for group in groups for row in group.rows) == list(range(len(rows)))
        assert_like_with_like(groups, min_sample)


def test_peer_groups_put_departments_with_departments_of_the_same_level():
    assert peer_group(UnitKind.STREET, UnitKind.DISTRICT) == peer_group(UnitKind.STREET, UnitKind.CITY)
    assert peer_group(UnitKind.STREET, UnitKind.DISTRICT)[1] == "街道/镇"
    assert peer_group(UnitKind.DEPARTMENT, UnitKind.CITY)[1] == "市直部门"
    assert peer_group(UnitKind.DEPARTMENT, UnitKind.DISTRICT)[1] == "区直部门"
    assert peer_group(UnitKind.DEPARTMENT, UnitKind.CITY) != peer_group(UnitKind.DEPARTMENT, UnitKind.DISTRICT)
    assert peer_group(UnitKind.SCHOOL, UnitKind.CITY) == peer_group(UnitKind.SCHOOL, UnitKind.DEPARTMENT)
    assert peer_group(UnitKind.SCHOOL, UnitKind.DISTRICT)[1] == "学校"


def test_marks_say_why_a_unit_is_not_ranked():
    rows = [UnitScore(1, "甲", 3, 3, 0, D("70.00"), "A", UnitKind.STREET, UnitKind.DISTRICT),
            UnitScore(2, "乙", 2, 2, 0, D("99.00"), "B", UnitKind.STREET, UnitKind.DISTRICT),
            UnitScore(3, "丙", 2, 0, 0, None, "C", UnitKind.STREET, UnitKind.DISTRICT)]
    [group] = rank_peers(rows, 3)
    assert [(row.unit.unit_name, row.rank, row.mark) for row in group.rows] == [
        ("甲", 1, ""), ("乙", None, "样本不足（2个点位，少于3个）"), ("丙", None, "未测评（0个点位）")]
    assert (group.label, group.ranked, len(group.rows)) == ("街道/镇", 1, 3)


# --- a round over a city of many kinds ---------------------------------------------------------------

@pytest.fixture
def city(org, system):
    """Beside the persona city: 乙二街道, a district department, a district school and a second city
    department, each with points of its own."""
    units = dict(org)
    units["street_b2"] = make_unit("乙二街道", UnitKind.STREET, "330103002", org["district_b"])
    units["edu_a"] = make_unit("甲区教育局", UnitKind.DEPARTMENT, make_credit_code("11330102MB0000002"),
                               org["district_a"])
    units["school_a"] = make_unit("甲区实验小学", UnitKind.SCHOOL, make_credit_code("12330102MB0000003"),
                                  org["district_a"])
    units["market"] = make_unit("市市场监管局", UnitKind.DEPARTMENT, make_credit_code("11330100MB0000004"), org["city"])
    # points per unit: its score in the round and how many of its points are inspected
    plan = {"street_a1": (D("80.00"), 3), "street_b1": (D("80.00"), 3), "street_b2": (D("70.00"), 3),
            "street_a2": (D("100.00"), 1), "edu_a": (D("95.00"), 3), "school_a": (D("50.00"), 3),
            "department": (D("99.00"), 2), "market": (D("65.00"), 3)}
    for key, (_, count) in plan.items():
        for n in range(count):
            make_point(f"{key}-{n}", f"{units[key].name}{n + 1}号点位", "WHZ", units[key], units[key])
    units["plan"] = plan
    return units


def scored_round(personas, make_round, units, **extra):
    round_ = make_round(**extra)
    services.round_sample(actor=personas["office_city"], round_=round_)
    for key, (score, _) in units["plan"].items():
        RoundPoint.objects.filter(round=round_, unit=units[key]).update(status=RoundPoint.Status.DONE, score=score)
    return round_


def table(groups):
    return [(group.label, [(row.unit.unit_name, row.rank, row.sample) for row in group.rows]) for group in groups]


@pytest.mark.django_db
def test_round_ranks_streets_with_streets_and_departments_with_departments(personas, org, city, make_round):
    round_ = scored_round(personas, make_round, city)
    assert round_.min_sample == 3
    streets = scores.ranking(round_, depth=org["city"].depth + 2)
    assert table(streets) == [
        # 甲二街道 scored 100 on one point: listed after its peers, not above them
        ("街道/镇", [("乙一街道", 1, 3), ("甲一街道", 1, 3), ("乙二街道", 3, 3), ("甲二街道", None, 1)]),
        # the district's department and school are not ranked with the streets; the city's departments
        # stand one level up and have no row here
        ("区直部门", [("甲区教育局", 1, 3)]),
        ("学校", [("甲区实验小学", 1, 3)]),
    ]
    assert streets[0].rows[3].mark == "样本不足（1个点位，少于3个）"
    assert_like_with_like(streets, 3)
    top = scores.ranking(round_, depth=org["city"].depth + 1)
    assert table(top) == [
        ("区县", [("甲区", 1, 10), ("乙区", 2, 6)]),
        # 市城管局 scored 99 on two points: below 市市场监管局's 65 on three
        ("市直部门", [("市市场监管局", 1, 3), ("市城管局", None, 2)]),
    ]
    by_unit = scores.ranking(round_)
    assert [group.label for group in by_unit] == ["街道/镇", "市直部门", "区直部门", "学校"]
    assert_like_with_like(by_unit, 3)
    # with a smaller minimum the same round ranks 甲二街道 first among the streets
    assert table(scores.ranking(round_, depth=org["city"].depth + 2, min_sample=1))[0][1][0] == ("甲二街道", 1, 1)


@pytest.mark.django_db
def test_round_takes_the_offices_setting_and_keeps_its_copy(personas, org, city, make_round):
    office = personas["office_city"]
    assert selectors.inspection_settings().min_sample == 3 and InspectionSettings.objects.count() == 0
    before = make_round(title="设置前")
    services.inspection_settings_save(actor=office, min_sample=2)
    services.inspection_settings_save(actor=office, min_sample=1)
    assert InspectionSettings.objects.get().min_sample == 1
    after = make_round(title="设置后")
    chosen = make_round(title="指定", min_sample=4)
    assert (before.min_sample, after.min_sample, chosen.min_sample) == (3, 1, 4)
    assert AuditEvent.objects.filter(action="inspections.settings_save").count() == 2
    # only the city's office sets it
    for persona in ("office_district_a", "handler_street_a1", "admin", "leader"):
        with pytest.raises(PermissionDenied):
            services.inspection_settings_save(actor=personas[persona], min_sample=5)
    for bad in (0, 101, None, "3", True):
        with pytest.raises(InspectionError, match="最少样本点位数应为1到100之间的整数"):
            services.inspection_settings_save(actor=office, min_sample=bad)
    for bad in (0, 101, "3"):
        with pytest.raises(InspectionError, match="最少样本点位数应为1到100之间的整数"):
            make_round(title="坏", min_sample=bad)
    assert InspectionSettings.objects.get().min_sample == 1 and not InspectionRound.objects.filter(title="坏").exists()


@pytest.mark.django_db
def test_a_rounds_minimum_changes_until_its_results_are_published(personas, org, city, make_round):
    office = personas["office_city"]
    round_ = scored_round(personas, make_round, city)
    services.round_set_min_sample(actor=office, round_=round_, min_sample=1)
    assert InspectionRound.objects.get(pk=round_.pk).min_sample == 1
    event = AuditEvent.objects.get(action="inspections.round_min_sample")
    assert event.detail == {"from": 3, "to": 1}
    with pytest.raises(PermissionDenied):   # the admin sees the round, does not manage it
        services.round_set_min_sample(actor=personas["admin"], round_=round_, min_sample=2)
    with pytest.raises(InspectionError, match="最少样本点位数应为1到100之间的整数"):
        services.round_set_min_sample(actor=office, round_=round_, min_sample=0)
    InspectionRound.objects.filter(pk=round_.pk).update(status=RoundStatus.PUBLISHED)
    round_.refresh_from_db()
    with pytest.raises(InspectionError, match="结果已发布，排名规则不能再修改"):
        services.round_set_min_sample(actor=office, round_=round_, min_sample=3)
    assert not selectors.may_change_ranking_rule(office, round_)
    assert InspectionRound.objects.get(pk=round_.pk).min_sample == 1


# --- the round page ------------------------------------------------------------------------------------

def scores_part(page: str) -> str:
    return page.split('id="scores"')[1].split('id="sample"')[0]


@pytest.mark.django_db
def test_round_page_writes_the_rule_shows_the_sample_and_marks_short_units(login, personas, org, city, make_round):
    round_ = scored_round(personas, make_round, city)
    client = login("office_city")
    page = scores_part(client.get(f"/inspections/{round_.pk}/?level=2").content.decode())
    assert "按同类同项排名：" in page and "已测样本点位少于3个的单位不参与排名" in page
    assert "<th>样本数</th>" in page
    assert page.index(">街道/镇<") < page.index("乙一街道") < page.index("乙二街道") < page.index("甲二街道") \
        < page.index(">区直部门<") < page.index("甲区教育局") < page.index(">学校<") < page.index("甲区实验小学")
    assert "（4个单位，3个参与排名）" in page
    row = page[page.index("甲二街道"):].split("</tr>")[0]
    assert "<td>1</td>" in row and "100.00" in row
    short = page[:page.index("甲二街道")].rsplit("<tr", 1)[1]
    assert 'class="unranked"' in short and "样本不足（1个点位，少于3个）" in short
    # the office lowers the minimum before publishing: 甲二街道 is ranked, first
    response = client.post(f"/inspections/{round_.pk}/min_sample/", {"min_sample": "1"})
    assert response.status_code == 302
    page = scores_part(client.get(f"/inspections/{round_.pk}/?level=2").content.decode())
    assert "没有已测点位的单位不参与排名" in page and "样本不足（" not in page
    assert page.index("甲二街道") < page.index("乙一街道")
    # a bad number changes nothing and says why
    response = client.post(f"/inspections/{round_.pk}/min_sample/", {"min_sample": "abc"}, follow=True)
    assert "最少样本点位数应为1到100之间的整数" in response.content.decode()
    assert InspectionRound.objects.get(pk=round_.pk).min_sample == 1


@pytest.mark.django_db
def test_the_active_ranking_tab_is_marked(login, personas, org, city, make_round):
    round_ = scored_round(personas, make_round, city)
    client = login("office_city")
    for query, key, label in (("", "1", "按区县及市直部门"), ("?level=2", "2", "按街道/镇及区直部门"),
                              ("?level=unit", "unit", "按责任单位")):
        page = client.get(f"/inspections/{round_.pk}/{query}").content.decode()
        tabs = page.split('aria-label="排名层级"')[1].split("</nav>")[0]
        assert tabs.count('aria-current="page"') == 1 and tabs.count('class="active"') == 1
        assert f'<a href="?level={key}#scores" class="active" aria-current="page">{label}</a>' in tabs


@pytest.mark.django_db
def test_ranking_pages_do_not_grow_queries_with_units(login, personas, org, system, make_round):
    def build(n, title):
        parent = make_unit(f"{title}区", UnitKind.DISTRICT, f"3301{len(title)}{n:02d}", org["city"])
        for i in range(n):
            street = make_unit(f"{title}街道{i}", UnitKind.STREET, f"{parent.code}{i:03d}", parent)
            department = make_unit(f"{title}局{i}", UnitKind.DEPARTMENT,
                                   make_credit_code(f"11{parent.code}MB{n:02d}{i:03d}"[:17].ljust(17, "0")), parent)
            for unit in (street, department):
                make_point(f"{unit.code}-P", f"{unit.name}点位", "WHZ", unit, unit)
        round_ = make_round(title=title, scope=[parent])
        services.round_sample(actor=personas["office_city"], round_=round_)
        RoundPoint.objects.filter(round=round_).update(status=RoundPoint.Status.DONE, score=D("88.00"))
        return round_

    small, large = build(1, "S"), build(12, "LL")
    client = login("office_city")
    for level in ("1", "2", "unit"):
        counts = []
        for round_ in (small, large):
            url = f"/inspections/{round_.pk}/?level={level}"
            client.get(url)
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            counts.append(len(queries))
        assert counts[0] == counts[1], level
    page = scores_part(client.get(f"/inspections/{large.pk}/?level=2").content.decode())
    assert ">街道/镇<" in page and ">区直部门<" in page and "（12个单位，0个参与排名）" in page


@pytest.mark.django_db
def test_settings_page_sets_the_default_of_new_rounds(login, personas, org, system):
    client = login("office_city")
    page = client.get("/inspections/settings/").content.decode()
    assert "排名最少样本点位数" in page and 'value="3"' in page
    assert "测评设置" in client.get("/inspections/").content.decode()
    response = client.post("/inspections/settings/", {"min_sample": "5"}, follow=True)
    assert "测评设置已保存" in response.content.decode()
    assert InspectionSettings.objects.get().min_sample == 5
    form = client.get("/inspections/new/").content.decode()
    field = form.split('name="min_sample"')[0].rsplit("<", 1)[1] + form.split('name="min_sample"')[1].split(">")[0]
    assert 'value="5"' in field
    response = client.post("/inspections/settings/", {"min_sample": "0"}, follow=True)
    assert "最少样本点位数应为1到100之间的整数" in response.content.decode()
    assert InspectionSettings.objects.get().min_sample == 5
    # a district's office plans rounds but does not set the city's rules
    district = login("office_district_a")
    assert district.get("/inspections/settings/").status_code == 403
    assert "测评设置" not in district.get("/inspections/").content.decode()


@pytest.mark.django_db
def test_round_form_takes_a_minimum_of_its_own(login, personas, org, system, points):
    client = login("office_city")
    form = {"title": "第49周测评", "kind": "weekly", "system": system.pk, "owner": org["city"].pk,
            "scope": [org["district_a"].pk], "period_start": "2026-11-30", "period_end": "2026-12-06",
            "sample_mode": "all", "min_sample": "2"}
    assert client.post("/inspections/new/", form).status_code == 302
    assert InspectionRound.objects.get(title="第49周测评").min_sample == 2
    bad = client.post("/inspections/new/", dict(form, title="第50周测评", min_sample="0")).content.decode()
    assert "确保该值大于或等于1" in bad and not InspectionRound.objects.filter(title="第50周测评").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("value", ["²", "³", "１２", "9" * 40, "-1", "1e3", "\u0663"])
def test_odd_minimum_sample_input_is_refused_in_chinese_not_a_server_error(login, personas, org, city, make_round,
                                                                            value):
    round_ = scored_round(personas, make_round, city)
    office = login("office_city")
    response = office.post(f"/inspections/{round_.pk}/min_sample/", {"min_sample": value}, follow=True)
    assert response.status_code == 200 and "最少样本点位数应为1到100之间的整数" in response.content.decode()
    assert InspectionRound.objects.get(pk=round_.pk).min_sample == 3
    response = office.post("/inspections/settings/", {"min_sample": value}, follow=True)
    assert response.status_code == 200 and "最少样本点位数应为1到100之间的整数" in response.content.decode()


@pytest.mark.django_db
def test_a_unit_sees_its_true_rank_and_nothing_of_units_outside_its_scope(login, personas, org, city, make_round):
    # a city department's point lies in district A's grid: the district sees that point, not the
    # department's figures (its other points are elsewhere)
    make_point("department-in-a", "市城管局甲区点位", "WHZ", org["department"], org["grid_a1"])
    round_ = scored_round(personas, make_round, city)
    RoundPoint.objects.filter(round=round_, unit=org["street_a1"]).update(score=D("75.00"))
    InspectionRound.objects.filter(pk=round_.pk).update(status=RoundStatus.PUBLISHED)
    district = login("office_district_a").get(f"/inspections/{round_.pk}/")
    assert district.status_code == 200
    ranking = scores_part(district.content.decode())
    assert "甲一街道" in ranking and "市城管局" not in ranking and "乙一街道" not in ranking
    # 甲一街道 (75) is second among the round's streets (乙一 80, 乙二 70, 甲二 short of sample), not first
    # among the streets its viewer happens to see; the heading counts the whole peer group
    handler = scores_part(login("handler_street_a1").get(f"/inspections/{round_.pk}/").content.decode())
    at = handler.index("甲一街道")
    row = handler[handler.rindex("<tr", 0, at):handler.index("</tr>", at)]
    assert "<td>2</td>" in row and "75.00" in row
    assert "（4个单位，3个参与排名）" in handler and "乙一街道" not in handler and "乙二街道" not in handler
