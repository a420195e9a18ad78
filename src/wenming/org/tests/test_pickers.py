"""Units and people are chosen by name (org/widgets.py): the forms that name a unit or a person show a
search box, the search answers only with what the user may see, and the hidden field still takes the
code or username the services check."""

import re

import pytest

from wenming.org.forms import PatronageForm, TeamUnitForm
from wenming.org.models import Membership, Role, User


def options(response) -> list[str]:
    return re.findall(r'data-code="([^"]+)"', response.content.decode())


@pytest.fixture
def city_leader(org):
    user = User.objects.create(username="city_leader", full_name="陈市长", post="副市长")
    Membership.objects.create(user=user, unit=org["city"], role=Role.LEADER)
    return user


@pytest.mark.django_db
def test_person_search_answers_with_people_the_office_sees_named_with_post_and_unit(login, personas, org,
                                                                                     city_leader):
    office = login("office_district_a")
    response = office.get("/org/people/search/", {"pq": "王"})
    assert response.status_code == 200 and options(response) == ["handler_street_a1"]
    assert "王志强（测试职务，甲一街道）" in response.content.decode()
    # the city's leader is not in the district office's scope: not offered for a team member or a
    # unit's 包保 (the service accepts only leaders in scope) …
    assert options(office.get("/org/people/search/", {"pq": "陈"})) == []
    assert options(office.get("/org/people/search/", {"pq": "陈", "role": "leader"})) == []
    # … but offered as a point's 包保领导 (leaders of the units above), and only leaders are
    assert options(office.get("/org/people/search/", {"pq": "陈", "role": "leader", "above": "1"})) == ["city_leader"]
    assert options(office.get("/org/people/search/", {"pq": "王", "role": "leader", "above": "1"})) == []
    assert "没有找到姓名含“无此人”的人员" in office.get("/org/people/search/", {"pq": "无此人"}).content.decode()
    # a person in scope who also holds a role elsewhere is named by the unit the office sees
    Membership.objects.create(user=personas["handler_street_a1"], unit=org["street_b1"], role=Role.HANDLER)
    page = office.get("/org/people/search/", {"pq": "王"}).content.decode()
    assert "王志强（测试职务，甲一街道）" in page and "乙一街道" not in page
    # citizens are never offered
    assert options(login("office_city").get("/org/people/search/", {"pq": "郑"})) == []


@pytest.mark.django_db
@pytest.mark.parametrize("persona,status", [("handler_street_a2", 403), ("grid_worker", 403), ("leader", 403),
                                            ("citizen", 403), (None, 302)])
def test_person_search_is_for_offices_only(login, client, persona, status):
    browser = login(persona) if persona else client
    response = browser.get("/org/people/search/", {"pq": "周", "role": "leader", "above": "1"})
    assert response.status_code == status and options(response) == []


@pytest.mark.django_db
def test_nul_and_overlong_search_text_is_harmless(login):
    office = login("office_city")
    refused = office.get("/org/people/search/", {"pq": "王\x00"})
    assert refused.status_code == 400 and "王志强" not in refused.content.decode()   # the pages' NUL guard
    assert office.get("/org/people/search/", {"pq": "王" + "x" * 500}).status_code == 200
    assert office.get("/org/people/search/", {"pq": ""}).content.decode().strip() == ""


@pytest.mark.django_db
def test_forms_show_a_search_box_and_the_chosen_name_only_when_visible(personas, org, city_leader):
    form = TeamUnitForm(data={"unit": org["street_a1"].code}, user=personas["office_district_a"])
    html = str(form["unit"])
    assert 'type="hidden" name="unit" value="330102001"' in html and "已选：<strong>甲一街道（甲区）</strong>" in html
    assert 'id="id_unit-q"' in html and form["unit"].id_for_label == "id_unit-q"
    # a unit outside the user's scope: its name is never shown, the field is refused
    form = TeamUnitForm(data={"unit": org["street_b1"].code}, user=personas["office_district_a"])
    assert "乙一街道" not in str(form["unit"]) and "所选项无效" in str(form["unit"])
    assert not form.is_valid() and "找不到编码为330103001的单位" in form.errors["unit"][0]
    # the unit's 包保领导 picker offers leaders in scope only (the service refuses others) …
    form = PatronageForm(data={"kind": "leader", "patron_username": "city_leader"}, user=personas["office_district_a"])
    assert "陈市长" not in str(form["patron_username"]) and "所选项无效" in str(form["patron_username"])
    form = PatronageForm(data={"kind": "leader", "patron_username": "leader"}, user=personas["office_district_a"])
    assert "已选：<strong>周海涛（测试职务，甲区）</strong>" in str(form["patron_username"])
    assert '"role": "leader"}' in str(form["patron_username"]).replace("&quot;", '"')
    # (a point's 包保领导 picker, which also offers leaders above: places/tests/test_pages.py)


@pytest.mark.django_db
def test_pages_that_name_units_or_people_ask_for_names_not_codes(login):
    office = login("office_city")
    for url in ("/places/new/", "/org/teams/new/", "/problems/settings/", "/tokens/"):
        page = office.get(url).content.decode()
        labels = re.findall(r"<label[^>]*>([^<]*)", page)
        assert not [label for label in labels if re.search(r"(单位|区域)编码|账号）|领导账号|类别编码", label)], url
    settings = office.get("/problems/settings/").content.decode()
    assert re.search(r'<option value=""( selected)?>全部类别</option>', settings)
    assert re.search(r'<option value="0101"[^>]*>[^<（]+（0101）</option>', settings)
    assert 'data-testid="picker-target"' in settings and 'data-testid="picker-area"' in settings


@pytest.mark.django_db
def test_account_list_is_filtered_by_a_unit_chosen_by_name(login, org):
    office = login("office_district_a")
    page = office.get("/org/accounts/", {"unit": org["street_a1"].code}).content.decode()
    assert 'data-testid="unit-picker-unit"' in page and "已选：<strong>甲一街道</strong>" in page
    assert "handler_street_a1" in page and "handler_street_a2" not in page
    # a unit outside the office's scope: named nowhere, the filter refused in Chinese
    page = office.get("/org/accounts/", {"unit": org["street_b1"].code}).content.decode()
    assert "乙一街道" not in page and "找不到所选单位，或该单位不在您的管理范围内" in page
