"""Units: codes, creation and editing through services and pages; teams and patronage."""

import pytest
from django.urls import reverse

from wenming.core.errors import ServiceError
from wenming.org import services
from wenming.org.codes import code_error, credit_code_error, make_credit_code
from wenming.org.models import Patronage, Team, TeamKind, Unit, UnitKind


def test_division_codes():
    assert code_error("330102001", UnitKind.STREET, "330102", UnitKind.DISTRICT) is None
    assert code_error("330102001001001", UnitKind.GRID, "330102001001", UnitKind.COMMUNITY) is None
    assert code_error("330202001", UnitKind.STREET, "330102", UnitKind.DISTRICT) == "编码应以上级编码330102开头"
    assert code_error("330201", UnitKind.DISTRICT, "330100", UnitKind.CITY) == "区县编码前4位应与上级编码3301一致"
    assert code_error("3301", UnitKind.CITY, None, None) == "市编码应为6位数字"
    assert code_error("330101", UnitKind.CITY, None, None) == "市级编码应以00结尾（如370200）"


def test_unified_social_credit_codes():
    # a published example code with a correct check character
    assert credit_code_error("91350100M000100Y43") is None
    assert credit_code_error("91350100M000100Y44") == "统一社会信用代码校验位不正确"
    assert credit_code_error("9135") == "统一社会信用代码应为18位"
    assert credit_code_error("91350100M000100YO3") == "统一社会信用代码只能包含数字和大写字母（不含I、O、Z、S、V）"
    assert credit_code_error(make_credit_code("11330100MB0000002")) is None


@pytest.mark.django_db
def test_unit_create_page(login, org):
    client = login("office_district_a")
    url = reverse("org:unit_create", args=[org["street_a2"].pk])
    response = client.post(url, {"name": "甲二社区", "kind": "community", "code": "330102001009", "population": 10})
    assert response.status_code == 200 and "编码应以上级编码330102002开头" in response.content.decode()
    response = client.post(url, {"name": "甲二社区", "kind": "grid", "code": "330102002009", "population": 10})
    assert "网格不能隶属于街道/镇" in response.content.decode()
    response = client.post(url, {"name": "甲二社区", "kind": "community", "code": "330102002009", "population": -1})
    assert "确保该值大于或等于0" in response.content.decode()
    assert not Unit.objects.filter(name="甲二社区").exists()
    response = client.post(url, {"name": "甲二社区", "kind": "community", "code": "330102002009", "population": 6500,
                                 "contact_phone": "13700002222"})
    unit = Unit.objects.get(code="330102002009")
    assert response.status_code == 302 and response["Location"] == reverse("org:unit", args=[unit.pk])
    assert unit.path == f"{org['street_a2'].path}{unit.pk}/" and unit.depth == 3


@pytest.mark.django_db
def test_unit_edit_and_refusals(login, org):
    url = reverse("org:unit_edit", args=[org["street_a1"].pk])
    data = {"name": "甲一街道办事处", "population": 65000, "contact_name": "王", "contact_phone": "13811112222",
            "head_name": "李", "is_active": "on"}
    assert login("handler_street_a1").post(url, data).status_code == 403
    assert login("office_city").post(url, {**data, "contact_phone": "abc"}).status_code == 200
    org["street_a1"].refresh_from_db()
    assert org["street_a1"].name == "甲一街道"
    assert login("office_city").post(url, data).status_code == 302
    org["street_a1"].refresh_from_db()
    assert (org["street_a1"].name, org["street_a1"].population) == ("甲一街道办事处", 65000)


@pytest.mark.django_db
def test_duplicate_code_refused(personas, org):
    with pytest.raises(ServiceError, match="编码330102001已被其他单位使用"):
        services.unit_create(actor=personas["office_city"], parent=org["district_a"], name="重复", kind="street",
                             code="330102001")


@pytest.mark.django_db
def test_patronage_through_page(login, personas, org):
    url = reverse("org:patronage_create", args=[org["street_a2"].pk])
    client = login("office_district_a")
    response = client.post(url, {"kind": "baobao", "patron_username": "handler_street_a1"})
    assert "包保领导必须是您范围内具有“领导”角色的账号" in response.content.decode()
    response = client.post(url, {"kind": "baobao"})
    assert "请选择包保领导或包保单位（至少一项）" in response.content.decode()
    assert client.post(url, {"kind": "baobao", "patron_username": "leader", "note": "分包"}).status_code == 302
    patronage = Patronage.objects.get(target_unit=org["street_a2"])
    assert patronage.patron_user == personas["leader"]
    page = login("handler_street_a2").get(reverse("home")).content.decode()
    assert "周海涛" in page  # the handler sees his patron leader on his home page
    assert client.post(reverse("org:patronage_end", args=[patronage.pk])).status_code == 302
    patronage.refresh_from_db()
    assert patronage.is_active is False
    assert login("handler_street_a2").post(reverse("org:patronage_end", args=[patronage.pk])).status_code == 404


@pytest.mark.django_db
def test_team_create_and_members(login, org):
    client = login("office_city")
    response = client.post(reverse("org:team_create"), {"name": "基础环境整治组", "kind": "working_group",
                                                        "unit": "330100", "duties": "负责市容环境整治"})
    team = Team.objects.get(name="基础环境整治组")
    assert response.status_code == 302 and team.kind == TeamKind.WORKING_GROUP
    client.post(reverse("org:team_unit_add", args=[team.pk]), {"unit": org["department"].code, "is_lead": "on"})
    client.post(reverse("org:team_member_add", args=[team.pk]), {"person_name": "陈志明", "team_post": "leader",
                                                                 "post": "副市长"})
    page = client.get(reverse("org:team", args=[team.pk])).content.decode()
    assert "市城管局" in page and "牵头" in page and "陈志明" in page and "副市长" in page
    # the working group shows on the department's page
    assert "基础环境整治组" in client.get(reverse("org:unit", args=[org["department"].pk])).content.decode()


@pytest.mark.django_db
def test_patron_must_be_a_leader_in_scope(personas, org):
    from wenming.org.models import Membership, Role

    city_leader = personas["admin"]
    Membership.objects.create(user=city_leader, unit=org["city"], role=Role.LEADER)
    # the district office cannot hand a city leader (outside its scope) sight of its street
    with pytest.raises(ServiceError, match="包保领导必须是您范围内"):
        services.patronage_create(actor=personas["office_district_a"], target_unit=org["street_a2"],
                                  patron_user=city_leader)
    services.patronage_create(actor=personas["office_city"], target_unit=org["street_a2"], patron_user=city_leader)
    assert Patronage.objects.filter(target_unit=org["street_a2"], patron_user=city_leader).exists()
