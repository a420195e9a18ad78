"""督查组 (inspection groups) in rounds: sharing points among groups, any member inspecting a group's
point, progress per group, 我的测评 and the QR code for members.

The groups (org.Team of kind 督查组):
    第一测评组 (city)   组长 钱组长 (city inspector), 成员 孙组员 (district-A inspector), 成员 王某 (no
                        account), 成员 郑市民 (the citizen persona: an account that may not inspect)
    第二测评组 (city)   组长 李某 (no account), 副组长 郑市民, 成员 冯组员 (city inspector)
    空组 (city)         成员 赵某 (no account), 成员 郑市民
    乙区督查组          a group of district B, 成员 周组员 (district-B inspector)
    创建工作组          a working group of the city (not a 督查组)
"""

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import Client

from wenming.cases.models import Notification, Problem
from wenming.core.models import AuditEvent
from wenming.inspections import selectors, services
from wenming.inspections.models import Inspection, RoundPoint
from wenming.inspections.services import InspectionError
from wenming.org.models import (
    Membership,
    Role,
    Team,
    TeamKind,
    TeamMember,
    TeamPost,
    User,
)
from wenming.org.tests.test_access import ALL, expect

from .conftest import answers_for, make_point
from .test_services import SQUARE_ANSWERS, STATION_ANSWERS


def _staff(username, unit, role, full_name):
    user = User.objects.create(username=username, full_name=full_name)
    Membership.objects.create(user=user, unit=unit, role=role)
    return user


def _team(name, unit, kind=TeamKind.INSPECTION_GROUP, members=()):
    team = Team.objects.create(name=name, kind=kind, unit=unit)
    for sort, (post, person, user) in enumerate(members):
        TeamMember.objects.create(team=team, team_post=post, person_name=person, user=user, sort=sort)
    return team


@pytest.fixture
def people(personas, org):
    return {
        "lead": _staff("inspector_g1", org["city"], Role.INSPECTOR, "钱组长"),
        "member": _staff("inspector_g2", org["district_a"], Role.INSPECTOR, "孙组员"),
        "second": _staff("inspector_g3", org["city"], Role.INSPECTOR, "冯组员"),
        "far": _staff("inspector_b", org["district_b"], Role.INSPECTOR, "周组员"),
    }


@pytest.fixture
def groups(personas, org, people):
    citizen = personas["citizen"]
    return {
        "first": _team("第一测评组", org["city"], members=[
            (TeamPost.LEADER, "钱组长", people["lead"]), (TeamPost.MEMBER, "孙组员", people["member"]),
            (TeamPost.MEMBER, "王某", None), (TeamPost.MEMBER, "郑市民", citizen)]),
        "second": _team("第二测评组", org["city"], members=[
            (TeamPost.LEADER, "李某", None), (TeamPost.DEPUTY, "郑市民", citizen),
            (TeamPost.MEMBER, "冯组员", people["second"])]),
        "empty": _team("空组", org["city"], members=[(TeamPost.MEMBER, "赵某", None), (TeamPost.MEMBER, "郑市民", citizen)]),
        "district_b": _team("乙区督查组", org["district_b"], members=[(TeamPost.LEADER, "周组员", people["far"])]),
        "working": _team("创建工作组", org["city"], kind=TeamKind.WORKING_GROUP,
                         members=[(TeamPost.LEADER, "钱组长", people["lead"])]),
    }


@pytest.fixture
def fourth(org, points):
    """A second point of street B1, so that two groups get one district each."""
    return make_point("P4", "乙一广场", "TST", org["street_b1"], org["street_b1"])


def _by_group(round_):
    return {code: (team, inspector) for code, team, inspector in RoundPoint.objects.filter(round=round_)
            .values_list("point__code", "team__name", "inspector__username")}


@pytest.mark.django_db
def test_points_are_shared_among_groups_keeping_each_unit_together(personas, org, points, fourth, groups, make_round):
    office = personas["office_city"]
    round_ = make_round()
    services.round_sample(actor=office, round_=round_)
    assert services.round_assign(actor=office, round_=round_, teams=[groups["first"], groups["second"]]) == 4
    # district A's points (street A1, its community) to the first group, street B1's two to the second; the
    # inspector is the 组长's account — or, the second group's 组长 having none, its first member who may
    # inspect (not the citizen, its 副组长)
    assert _by_group(round_) == {"P1": ("第一测评组", "inspector_g1"), "P2": ("第一测评组", "inspector_g1"),
                                 "P3": ("第二测评组", "inspector_g3"), "P4": ("第二测评组", "inspector_g3")}
    event = AuditEvent.objects.filter(action="inspections.round_assign").get()
    assert (event.detail["teams"], event.detail["inspectors"]) == (["第一测评组", "第二测评组"],
                                                                   ["inspector_g1", "inspector_g3"])
    # opening tells every member who may inspect — the citizen in both groups is not told
    services.round_open(actor=office, round_=round_)
    told = dict(Notification.objects.filter(title="测评任务：第47周测评").values_list("user__username", "body"))
    assert told == {"inspector_g1": "您有 2 个点位待测评，截止 2026-11-22。",
                    "inspector_g2": "您有 2 个点位待测评，截止 2026-11-22。",
                    "inspector_g3": "您有 2 个点位待测评，截止 2026-11-22。"}


@pytest.mark.django_db
def test_groups_without_anyone_to_inspect_or_out_of_reach_are_refused(personas, org, points, groups, people,
                                                                      make_round):
    office = personas["office_city"]
    round_ = make_round(owner=org["district_a"], scope=[org["district_a"]], actor="office_district_a")
    services.round_sample(actor=office, round_=round_)
    with pytest.raises(InspectionError, match="督查组“空组”没有可参加本轮次测评的成员账号"):
        services.round_assign(actor=office, round_=round_, teams=[groups["empty"]])
    for outside in ("district_b", "working"):   # another district's group; a working group
        with pytest.raises(InspectionError, match=f"“{groups[outside].name}”不是可参加本轮次的督查组"):
            services.round_assign(actor=office, round_=round_, teams=[groups[outside]])
    with pytest.raises(InspectionError, match="请选择测评员或督查组之一"):
        services.round_assign(actor=office, round_=round_, teams=[groups["first"]], inspectors=[people["lead"]])
    # an account that leaves, or loses its role, no longer counts
    Membership.objects.filter(user=people["second"]).update(is_active=False)
    with pytest.raises(InspectionError, match="督查组“第二测评组”没有可参加本轮次测评的成员账号"):
        services.round_assign(actor=office, round_=round_, teams=[groups["second"]])
    for name in ("inspector", "handler_street_a1", "handler_street_a2", "grid_worker", "leader", "citizen", "admin"):
        with pytest.raises((PermissionDenied, Http404)):
            services.round_assign(actor=personas[name], round_=round_, teams=[groups["first"]])
    for member in (people["lead"], people["member"]):
        with pytest.raises((PermissionDenied, Http404)):
            services.round_assign(actor=member, round_=round_, teams=[groups["first"]])
    assert not RoundPoint.objects.filter(round=round_, inspector__isnull=False).exists()
    # the city's groups serve the district's round (as the city's inspectors do)
    assert set(services.eligible_groups(round_).values_list("name", flat=True)) == {"第一测评组", "第二测评组", "空组"}


@pytest.mark.django_db
def test_a_self_check_uses_the_units_own_groups(personas, org, points, people, groups, make_round):
    handler = personas["handler_street_a1"]
    own_group = _team("甲一街道自查组", org["street_a1"], members=[(TeamPost.LEADER, "网格员", personas["grid_worker"]),
                                                                  (TeamPost.MEMBER, "钱组长", people["lead"])])
    own = make_round(kind="self_check", actor="handler_street_a1", owner=org["street_a1"], scope=[org["street_a1"]],
                     title="甲一街道自查")
    assert list(services.eligible_groups(own)) == [own_group]         # not the city's groups
    services.round_sample(actor=handler, round_=own)
    assert services.round_assign(actor=handler, round_=own, teams=[own_group]) == 2
    assert set(_by_group(own).values()) == {("甲一街道自查组", "grid_worker")}
    # the city inspector in the group is not the unit's staff: he may not inspect its 自查
    services.round_open(actor=handler, round_=own)
    assert not selectors.assignments(people["lead"]).exists()
    assert selectors.assignments(personas["grid_worker"]).count() == 2
    with pytest.raises(InspectionError, match="“第一测评组”不是可参加本轮次的督查组"):
        services.round_reassign(actor=handler, round_=own, round_points=list(RoundPoint.objects.filter(round=own)),
                                team=groups["first"])


def _opened_with_groups(make_round, personas, teams, **extra):
    office = personas["office_city"]
    round_ = make_round(**extra)
    services.round_sample(actor=office, round_=round_)
    services.round_assign(actor=office, round_=round_, teams=teams)
    return services.round_open(actor=office, round_=round_)


def _submit(actor, row, answers, key="k1"):
    row = RoundPoint.objects.select_related("round", "point").get(pk=row.pk)
    return services.inspection_submit(actor=actor, round_point=row, submit_key=key,
                                      answers=answers_for(services.items_for(row), **answers))


@pytest.mark.django_db
def test_any_member_inspects_a_group_point_and_is_recorded(personas, org, points, groups, people, make_round):
    round_ = _opened_with_groups(make_round, personas, [groups["first"]])
    station = RoundPoint.objects.get(round=round_, point=points["station"])
    assert station.inspector == people["lead"]
    # the 组长 saves a draft; a member who is not the 组长 submits
    services.inspection_save_draft(actor=people["lead"], round_point=station,
                                   answers=answers_for(services.items_for(station), WHZ05={"verdict": "pass"}))
    failing = dict(STATION_ANSWERS, WHZ05={"verdict": "fail", "note": "会议室有烟头"})
    inspection, created = _submit(people["member"], station, failing)
    assert created and inspection.inspector == people["member"]
    station.refresh_from_db()
    assert (station.status, station.inspector_id, station.team_id) == ("done", people["lead"].pk, groups["first"].pk)
    event = AuditEvent.objects.filter(action="inspections.submit").get()
    assert event.actor_username == "inspector_g2"
    assert Problem.objects.get().reporter_id == people["member"].pk          # reported by whoever found it
    # the point's history names the member who inspected, not the 组长 the point was assigned to
    history = _client(personas["office_city"]).get(f"/points/{points['station'].code}/").content.decode()
    assert f'<td class="hide-phone">{people["member"].display_name}</td>' in history
    assert f'<td class="hide-phone">{people["lead"].display_name}</td>' not in history
    # outsiders to the group may not: the city's other inspector (he sees the round) 403, the citizen member
    # (may not inspect) and another district's inspector 404
    square = RoundPoint.objects.get(round=round_, point=points["square"])
    with pytest.raises(PermissionDenied):
        _submit(personas["inspector"], square, SQUARE_ANSWERS, key="x")
    with pytest.raises(PermissionDenied):
        _submit(people["second"], square, SQUARE_ANSWERS, key="y")
    with pytest.raises(Http404):
        _submit(personas["citizen"], square, SQUARE_ANSWERS, key="z")
    with pytest.raises(PermissionDenied):
        services.inspection_save_draft(actor=personas["inspector"], round_point=square, answers={})
    assert not Inspection.objects.filter(round_point=square).exists()
    # removed from the group: no longer
    TeamMember.objects.filter(team=groups["first"], user=people["member"]).delete()
    with pytest.raises(PermissionDenied):
        _submit(people["member"], square, SQUARE_ANSWERS, key="w")


@pytest.mark.django_db
def test_my_assignments_list_a_groups_points_for_every_member(personas, org, points, groups, people, make_round):
    round_ = _opened_with_groups(make_round, personas, [groups["first"]])
    codes = ["P1", "P2", "P3"]
    for member in ("lead", "member"):
        assert [rp.point.code for rp in selectors.assignments(people[member])] == codes
    assert not selectors.assignments(personas["citizen"]).exists()           # a member who may not inspect
    assert not selectors.assignments(people["second"]).exists()              # another group's
    assert selectors.rounds(people["member"]).get() == round_
    # the group's points move to the second group: the first one's members lose them
    rows = list(RoundPoint.objects.filter(round=round_, point__code__in=["P2", "P3"]))
    Notification.objects.all().delete()
    assert services.round_reassign(actor=personas["office_city"], round_=round_, round_points=rows,
                                   team=groups["second"]) == 2
    assert [rp.point.code for rp in selectors.assignments(people["member"])] == ["P1"]
    assert [rp.point.code for rp in selectors.assignments(people["second"])] == ["P2", "P3"]
    assert _by_group(round_)["P3"] == ("第二测评组", "inspector_g3")
    bodies = dict(Notification.objects.values_list("user__username", "body"))
    assert bodies == {"inspector_g1": "您的 2 个点位已改派给督查组“第二测评组”，无需再测评。",
                      "inspector_g2": "您的 2 个点位已改派给督查组“第二测评组”，无需再测评。",
                      "inspector_g3": "您有 2 个点位待测评，截止 2026-11-22。"}
    event = AuditEvent.objects.filter(action="inspections.round_reassign").get()
    assert (event.detail["team"], event.detail["from_teams"], event.detail["to"]) == (
        "第二测评组", ["第一测评组"], "inspector_g3")
    with pytest.raises(InspectionError, match="所选点位已经分配给督查组“第二测评组”"):
        services.round_reassign(actor=personas["office_city"], round_=round_, round_points=rows, team=groups["second"])
    # … and back to one inspector: the group is cleared
    services.round_reassign(actor=personas["office_city"], round_=round_, round_points=rows[:1],
                            inspector=personas["inspector"])
    assert _by_group(round_)[rows[0].point.code] == (None, "inspector")


def _client(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_group_point_form_open_to_members_only(login, personas, org, points, groups, people, make_round):
    round_ = _opened_with_groups(make_round, personas, [groups["first"]])
    square = RoundPoint.objects.get(round=round_, point=points["square"])
    url = f"/inspections/do/{square.pk}/"
    expected = expect(_=404, office_city=403, inspector=403, office_district_a=403, leader=403, grid_worker=403,
                      admin=403)
    for persona in ALL:
        status = login(persona).get(url).status_code
        assert status == expected[persona], f"{persona} got {status}"
    for member in ("lead", "member"):
        assert _client(people[member]).get(url).status_code == 200
    assert _client(people["second"]).get(url).status_code == 403        # an inspector of another group
    assert _client(people["far"]).get(url).status_code == 404           # nothing of the round in his reach


@pytest.mark.django_db
def test_a_member_continues_anothers_draft_and_submits_through_the_form(personas, org, points, groups, people,
                                                                       make_round):
    from wenming.inspections.models import ItemResult

    from .test_pages import _form, _upload

    round_ = _opened_with_groups(make_round, personas, [groups["first"]])
    square = RoundPoint.objects.get(round=round_, point=points["square"])
    items = {item.code: item for item in services.items_for(square)}
    url = f"/inspections/do/{square.pk}/"
    data = _form(items.values(), WHZ01={"v": "pass"}, ZGD01={"count": "2", "note": "两处垃圾"})
    lead = _client(people["lead"])
    lead.post(url, dict(data, intent="draft", **{f"photo_{items['ZGD01'].pk}": _upload("litter.jpg")}))
    page = _client(people["member"]).get(url).content.decode()
    assert "草稿由钱组长保存，您可以接着填写" in page and "两处垃圾" in page and "钱组长已拍照片" in page
    assert "督查组：第一测评组" in page
    kept = page.split('name="kept_photos" value="')[1].split('"')[0]
    response = _client(people["member"]).post(url, dict(data, kept_photos=kept))
    assert response.status_code == 302
    square.refresh_from_db()
    assert square.status == "done" and Inspection.objects.get(round_point=square).inspector == people["member"]
    assert ItemResult.objects.get(inspection__round_point=square, item__code="ZGD01").photos.count() == 1
    result = _client(people["lead"]).get(f"/inspections/result/{square.pk}/").content.decode()
    assert "孙组员（督查组：第一测评组）" in result                        # who did it, not the 组长


@pytest.mark.django_db
def test_round_page_assigns_to_groups_and_shows_their_progress(login, personas, org, points, fourth, groups, people,
                                                               make_round):
    round_ = make_round()
    client = login("office_city")
    client.post(f"/inspections/{round_.pk}/sample/")
    page = client.get(f"/inspections/{round_.pk}/").content.decode()
    assert "分配督查组" in page and "第一测评组（测试市）" in page and "空组（测试市）" in page
    assert "乙区督查组（乙区）" in page and "创建工作组" not in page     # groups below the city too; not working groups
    url = f"/inspections/{round_.pk}/assign/"
    response = client.post(url, {"by": "groups"}, follow=True)
    assert "请选择督查组" in response.content.decode()
    response = client.post(url, {"teams": [groups["empty"].pk]}, follow=True)
    assert "督查组“空组”没有可参加本轮次测评的成员账号" in response.content.decode()
    for persona in ALL:
        if persona != "office_city":
            status = login(persona).post(url, {"teams": [groups["first"].pk]}).status_code
            assert status in (403, 404), f"{persona} got {status}"
    assert not RoundPoint.objects.filter(round=round_, team__isnull=False).exists()
    response = client.post(url, {"teams": [groups["first"].pk, groups["second"].pk]}, follow=True)
    assert "已将 4 个点位分配给 2 个督查组：第一测评组、第二测评组" in response.content.decode()
    client.post(f"/inspections/{round_.pk}/open/")
    station = RoundPoint.objects.get(round=round_, point=points["station"])
    _submit(people["member"], station, STATION_ANSWERS)
    page = client.get(f"/inspections/{round_.pk}/").content.decode()
    progress = page.split("<h2>督查组进度</h2>")[1].split("</table>")[0]
    assert "<td>第一测评组</td><td>测试市</td><td>1</td><td>2</td>" in progress
    assert "<td>第二测评组</td><td>测试市</td><td>0</td><td>2</td>" in progress
    sample = page.split('id="sample"')[1]
    assert "<th>督查组</th>" in sample and sample.count("<td>第一测评组</td>") == 2
    # 改派 to a group, and all unfinished points of a group at once
    square = RoundPoint.objects.get(round=round_, point=points["square"])
    assert f'value="group-{groups["first"].pk}"' in page
    reassign = f"/inspections/{round_.pk}/reassign/"
    response = client.post(reassign, {"round_points": [square.pk], "inspector": f"group-{groups['second'].pk}"},
                           follow=True)
    assert "已将 1 个点位改派给 督查组“第二测评组”，已通知新旧测评员" in response.content.decode()
    response = client.post(reassign, {"from_inspector": f"group-{groups['second'].pk}",
                                      "inspector": personas["inspector"].pk}, follow=True)
    assert "已将 3 个点位改派给 孙浩" in response.content.decode()
    response = client.post(reassign, {"round_points": [square.pk], "inspector": f"group-{groups['working'].pk}"},
                           follow=True)
    assert "所选督查组不能参加本轮次" in response.content.decode()
    assert RoundPoint.objects.get(pk=square.pk).team_id is None
    # a member's view: the 测评 button on his group's points only
    services.round_reassign(actor=personas["office_city"], round_=round_, round_points=[square], team=groups["first"])
    page = _client(people["member"]).get(f"/inspections/{round_.pk}/").content.decode()
    assert f'href="/inspections/do/{square.pk}/"' in page and f'href="/inspections/result/{station.pk}/"' in page
    assert "督查组进度" not in page and "分配督查组" not in page


@pytest.mark.django_db
def test_members_find_their_groups_points_in_my_inspections_and_by_qr(personas, org, points, groups, people,
                                                                      make_round):
    round_ = _opened_with_groups(make_round, personas, [groups["first"]])
    page = _client(people["member"]).get("/inspections/mine/").content.decode()
    assert page.count('class="problem-card') == 3 and "督查组：第一测评组" in page
    station = RoundPoint.objects.get(round=round_, point=points["station"])
    response = _client(people["member"]).get(f"/points/q/{points['station'].qr_token}/")
    assert response.status_code == 302 and response["Location"] == f"/inspections/do/{station.pk}/"
    assert "暂无测评任务" in _client(personas["citizen"]).get("/inspections/mine/").content.decode()


@pytest.mark.django_db
def test_a_groups_page_says_what_members_accounts_are_for(login, groups):
    from django.urls import reverse

    page = login("office_city").get(reverse("org:team", args=[groups["first"].pk])).content.decode()
    assert "督查组：督查测评轮次的组织者可以把样本点位分给本组" in page and "<td>inspector_g1</td>" in page
    page = login("handler_street_a1").get(reverse("org:team", args=[groups["first"].pk])).content.decode()
    assert "督查组：" in page and "inspector_g1" not in page            # accounts only to those who manage it
    page = login("office_city").get(reverse("org:team", args=[groups["working"].pk])).content.decode()
    assert "督查组：" not in page and "关联账号</th>" not in page
