"""复制上一轮: the new-round page filled from the latest round of the same kind and organiser — its
system, scope, sampling, sizes, weights and 督查组 — for the next period; the office checks it and
saves. Refused to those who may not plan such a round; nothing filled when there is no such round."""

import datetime

import pytest

from wenming.core.models import AuditEvent
from wenming.inspections import selectors, services
from wenming.inspections.models import InspectionRound, RoundPoint
from wenming.inspections.selectors import next_period, next_title
from wenming.inspections.services import InspectionError
from wenming.org.models import Team, TeamKind, TeamMember, TeamPost

D = datetime.date


def _group(name, unit, user=None):
    team = Team.objects.create(name=name, kind=TeamKind.INSPECTION_GROUP, unit=unit)
    TeamMember.objects.create(team=team, team_post=TeamPost.LEADER, person_name=name + "组长", user=user)
    return team


@pytest.fixture
def weekly(personas, org, points, make_round):
    """The city's 第47周测评 (stratified, sizes and weights, two 督查组), with an older 周测评 of the city,
    a 月考核 of the city and a 周测评 of district A around it: none of them is the one copied."""
    first = _group("第一测评组", org["city"], personas["inspector"])
    second = _group("第二测评组", org["district_a"], personas["inspector"])
    make_round(title="第46周测评", period_start=D(2026, 11, 9), period_end=D(2026, 11, 15), scope=[org["city"]])
    make_round(kind="monthly", title="11月考核", period_start=D(2026, 11, 1), period_end=D(2026, 11, 30))
    make_round(title="甲区第47周测评", owner=org["district_a"], actor="office_district_a", scope=[org["street_a1"]])
    return make_round(title="第47周测评", scope=[org["district_a"], org["street_b1"]], sample_mode="stratified",
                      sample_sizes={"WHZ": 2, "TST": 1}, weights={"WHZ": 3, "TST": 1.5}, groups=[second, first])


def _posted(initial: dict) -> dict:
    """The form's initial values as the browser would send them back."""
    data = {}
    for name, value in initial.items():
        if isinstance(value, list):
            data[name] = [str(v) for v in value]
        elif isinstance(value, datetime.date):
            data[name] = value.isoformat()
        else:
            data[name] = str(value)
    return data


def _settings(round_):
    return (round_.kind, round_.system_id, round_.owner_id, sorted(round_.scope.values_list("pk", flat=True)),
            round_.sample_mode, round_.sample_sizes, round_.weights, sorted(round_.groups.values_list("pk", flat=True)))


@pytest.mark.django_db
def test_copy_fills_the_form_with_the_latest_round_of_the_kind_and_owner_for_the_next_week(login, org, weekly):
    client = login("office_city")
    response = client.get(f"/inspections/new/?copy=1&kind=weekly&owner={org['city'].pk}")
    assert response.status_code == 200
    page = response.content.decode()
    assert "已复制上一轮“第47周测评”（2026-11-16 至 2026-11-22）" in page
    initial = response.context["form"].initial
    assert (initial["title"], initial["period_start"], initial["period_end"]) == (
        "第48周测评", D(2026, 11, 23), D(2026, 11, 29))
    assert "sample_seed" not in initial           # drawn anew: the same seed would sample the same points
    # the office saves the form as it is: the new round's settings are the previous round's
    response = client.post("/inspections/new/", _posted(initial))
    assert response.status_code == 302
    new = InspectionRound.objects.get(title="第48周测评")
    assert _settings(new) == _settings(weekly)
    assert (new.sample_sizes, new.weights) == ({"WHZ": 2, "TST": 1}, {"WHZ": 3, "TST": 1.5})
    assert sorted(new.groups.values_list("name", flat=True)) == ["第一测评组", "第二测评组"]
    assert (new.period_start, new.period_end) == (D(2026, 11, 23), D(2026, 11, 29))
    assert new.sample_seed and new.status == "draft" and not RoundPoint.objects.filter(round=new).exists()
    event = AuditEvent.objects.filter(action="inspections.round_create").latest("id")
    assert event.detail["groups"] == ["第一测评组", "第二测评组"]      # as the form lists them
    # and copying again now starts from the round just made
    initial = client.get(f"/inspections/new/?copy=1&kind=weekly&owner={org['city'].pk}").context["form"].initial
    assert (initial["title"], initial["period_start"]) == ("第49周测评", D(2026, 11, 30))


@pytest.mark.django_db
def test_copy_takes_the_groups_a_round_was_shared_among_when_none_were_planned(login, personas, org, points,
                                                                             make_round):
    group = _group("第一测评组", org["city"], personas["inspector"])
    previous = make_round(kind="monthly", title="2026年11月考核", period_start=D(2026, 11, 1),
                          period_end=D(2026, 11, 30))
    services.round_sample(actor=personas["office_city"], round_=previous)
    services.round_assign(actor=personas["office_city"], round_=previous, teams=[group])
    following = selectors.following_round(previous)
    assert [team.name for team in following.groups] == ["第一测评组"]
    # a calendar month moves to the next calendar month
    assert (following.title, following.period_start, following.period_end) == (
        "2026年12月考核", D(2026, 12, 1), D(2026, 12, 31))
    initial = login("office_city").get(f"/inspections/new/?copy=1&kind=monthly&owner={org['city'].pk}"
                                       ).context["form"].initial
    assert initial["groups"] == [group.pk]


@pytest.mark.django_db
def test_nothing_is_copied_without_a_previous_round(login, org, weekly):
    response = login("office_city").get(f"/inspections/new/?copy=1&kind=third_party&owner={org['city'].pk}")
    page = response.content.decode()
    assert response.status_code == 200
    assert "“测试市”还没有“第三方测评”轮次，没有可复制的上一轮，请逐项填写" in page
    assert response.context["form"].initial == {}
    assert 'id="copy-status" role="alert"' in page
    response = login("office_city").get("/inspections/new/?copy=1&kind=daily&owner=")
    assert "请先选择要复制的轮次类型" in response.content.decode()
    # without a choice (a browser without scripts): the form's first ones, 周测评 of the city
    response = login("office_city").get("/inspections/new/?copy=1")
    assert response.context["form"].initial["title"] == "第48周测评"


@pytest.mark.django_db
@pytest.mark.parametrize("persona,kind,owner,message", [
    # a district office: the city is above it
    ("office_district_a", "weekly", "city", "您不能为所选单位组织测评轮次，无法复制"),
    # a street's handler: only his unit's 自查
    ("handler_street_a1", "weekly", "street_a1", "您不能为“甲一街道”组织“周测评”轮次，无法复制"),
    ("handler_street_a1", "self_check", "city", "您不能为所选单位组织测评轮次，无法复制"),
    ("handler_street_a2", "weekly", "street_a1", "您不能为所选单位组织测评轮次，无法复制"),
])
def test_copy_refused_to_who_may_not_plan_that_round(login, org, weekly, persona, kind, owner, message):
    response = login(persona).get(f"/inspections/new/?copy=1&kind={kind}&owner={org[owner].pk}")
    assert response.status_code == 200
    assert message in response.content.decode()
    assert response.context["form"].initial == {}


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["inspector", "leader", "grid_worker", "citizen", "admin", "outsider"])
def test_copy_page_refused_to_who_plans_no_round(login, org, weekly, persona):
    assert login(persona).get(f"/inspections/new/?copy=1&kind=weekly&owner={org['city'].pk}").status_code == 403


@pytest.mark.django_db
def test_a_handler_copies_his_units_last_self_check(login, personas, org, points, make_round):
    make_round(kind="self_check", title="甲一街道第3次自查", actor="handler_street_a1", owner=org["street_a1"],
               scope=[org["street_a1"]], period_start=D(2026, 11, 2), period_end=D(2026, 11, 11))
    response = login("handler_street_a1").get(f"/inspections/new/?copy=1&kind=self_check&owner={org['street_a1'].pk}")
    initial = response.context["form"].initial
    # a ten-day period moves by ten days
    assert (initial["title"], initial["kind"], initial["period_start"], initial["period_end"]) == (
        "甲一街道第4次自查", "self_check", D(2026, 11, 12), D(2026, 11, 21))


@pytest.mark.django_db
def test_copy_leaves_out_what_can_no_longer_be_used(login, personas, org, weekly):
    from wenming.org.models import Unit

    Unit.objects.filter(pk=org["street_b1"].pk).update(is_active=False)
    following = selectors.following_round(weekly)
    assert [unit.name for unit in following.scope] == ["甲区"]
    assert following.notes == ["测评范围中已停用的单位未复制：乙一街道"]


@pytest.mark.django_db
def test_a_round_is_planned_only_with_groups_that_may_serve_it(personas, org, system, make_round):
    far = _group("乙区督查组", org["district_b"])
    with pytest.raises(InspectionError) as refused:
        make_round(title="甲区周测评", owner=org["district_a"], actor="office_district_a", scope=[org["district_a"]],
                   groups=[far])
    assert (refused.value.field, str(refused.value)) == ("groups", "“乙区督查组”不是可参加本轮次的督查组")
    assert not InspectionRound.objects.filter(title="甲区周测评").exists()


@pytest.mark.django_db
def test_round_page_offers_the_planned_groups_first(login, personas, org, weekly):
    services.round_sample(actor=personas["office_city"], round_=weekly)
    page = login("office_city").get(f"/inspections/{weekly.pk}/").content.decode()
    assert "<dt>督查组</dt><dd>第一测评组、第二测评组</dd>" in page
    teams = page[page.index('<select id="teams"'):page.index("</select>", page.index('<select id="teams"'))]
    for team in weekly.groups.all():
        assert f'<option value="{team.pk}" selected>' in teams


@pytest.mark.parametrize("start,end,expected", [
    (D(2026, 11, 16), D(2026, 11, 22), (D(2026, 11, 23), D(2026, 11, 29))),      # a week
    (D(2026, 11, 1), D(2026, 11, 30), (D(2026, 12, 1), D(2026, 12, 31))),        # a calendar month
    (D(2026, 12, 1), D(2026, 12, 31), (D(2027, 1, 1), D(2027, 1, 31))),          # … into the next year
    (D(2027, 1, 1), D(2027, 1, 31), (D(2027, 2, 1), D(2027, 2, 28))),            # … of another length
    (D(2026, 10, 1), D(2026, 12, 31), (D(2027, 1, 1), D(2027, 3, 31))),          # a quarter
    (D(2026, 11, 5), D(2026, 11, 14), (D(2026, 11, 15), D(2026, 11, 24))),       # ten days
    (D(2026, 11, 20), D(2026, 11, 20), (D(2026, 11, 21), D(2026, 11, 21))),      # a day
])
def test_next_period(start, end, expected):
    assert next_period(start, end) == expected


@pytest.mark.parametrize("title,kind,expected", [
    ("第47周测评", "weekly", "第48周测评"),
    ("2026年11月考核", "monthly", "2026年12月考核"),
    ("2026年12月考核", "monthly", "2027年1月考核"),
    ("11月暗访", "unannounced", "12月暗访"),
    ("12月暗访", "unannounced", "1月暗访"),
    ("城区第3轮复查", "recheck", "城区第4轮复查"),
    ("专项检查", "weekly", "专项检查"),
])
def test_next_title(title, kind, expected):
    assert next_title(title, kind) == expected


@pytest.mark.django_db
def test_the_form_offers_the_groups_that_may_serve_the_users_rounds(personas, org):
    city = _group("市第一测评组", org["city"], personas["inspector"])
    district = _group("甲区测评组", org["district_a"], personas["inspector"])
    street = _group("甲一街道测评组", org["street_a1"], personas["inspector"])
    _group("乙区测评组", org["district_b"], personas["inspector"])
    assert list(selectors.plannable_groups(personas["office_city"])) == [city, district, street,
                                                                        Team.objects.get(name="乙区测评组")]
    # a district office: its own and those below, and the city's (a city's groups serve its districts)
    assert list(selectors.plannable_groups(personas["office_district_a"])) == [city, district, street]
    # a street's handler plans his unit's 自查: its groups and those below only
    assert list(selectors.plannable_groups(personas["handler_street_a1"])) == [street]
    assert not selectors.plannable_groups(personas["inspector"]).exists()
