"""A problem's page on a phone: the primary action first and open, the rarely used ones folded,
nothing destructive open by default; units and verifiers chosen by name, never typed; a link that
opens the phone's map at the problem's place."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from wenming.cases.intake import services as intake_services
from wenming.cases.models import Problem, State
from wenming.cases.workflow import services


def actions_of(page: str) -> list[tuple[str, bool]]:
    """(action, open) of every action form on the page, in order."""
    return [(name, bool(is_open)) for name, is_open in
            re.findall(r'<details class="card action" data-action="(\w+)"( open)?>', page)]


def folded(page: str) -> list[str]:
    """The actions inside the folded 更多操作 box."""
    more = page.split('data-testid="more-actions"', 1)
    return re.findall(r'data-action="(\w+)"', more[1].split("<h2>")[0]) if len(more) > 1 else []


@pytest.fixture
def assigned(personas, org, intake):
    found, _ = intake_services.problem_report(actor=personas["inspector"], intake=intake(
        latitude=Decimal("30.250000"), longitude=Decimal("120.160000")))
    return services.problem_assign(actor=personas["office_district_a"], problem=found, unit=org["street_a1"])


@pytest.mark.django_db
def test_after_signing_the_primary_action_is_first_and_open_and_requests_are_folded(login, personas, assigned):
    client = login("handler_street_a1")
    url = reverse("cases:detail", args=[assigned.code])
    page = client.get(url).content.decode()
    assert actions_of(page)[0] == ("sign", True)
    assert "request_return" in folded(page)
    services.problem_sign(actor=personas["handler_street_a1"], problem=assigned)
    page = client.get(url).content.decode()
    assert actions_of(page)[0] == ("submit", True)
    assert [a for a, is_open in actions_of(page) if is_open] == ["submit"]
    assert set(folded(page)) == {"request_coordination", "request_extension"}
    assert "更多操作（申请协调、申请延期）" in page


@pytest.mark.django_db
def test_nothing_destructive_opens_by_itself(login, personas, org, intake):
    reported, _ = intake_services.problem_report(actor=personas["citizen"], intake=intake(area=org["community_a1"]))
    page = login("office_district_a").get(reverse("cases:detail", args=[reported.code])).content.decode()
    shown = actions_of(page)
    assert shown[0] == ("assign", True) and ("reject", False) in shown
    Problem.objects.filter(pk=reported.pk).update(state=State.CLOSED, verifier=personas["inspector"])
    page = login("inspector").get(reverse("cases:detail", args=[reported.code])).content.decode()
    assert actions_of(page) == [("recur", False)]  # 反弹 after 销号: there, but closed


@pytest.mark.django_db
def test_the_assign_form_offers_the_suggested_unit_and_the_verifiers_by_name(login, personas, org, intake):
    reported, _ = intake_services.problem_report(actor=personas["citizen"], intake=intake(area=org["community_a1"]))
    page = login("office_district_a").get(reverse("cases:detail", args=[reported.code])).content.decode()
    form = page.split('data-action="assign"')[1].split("</details>")[0]
    assert 'type="hidden" name="unit" value="%s"' % org["community_a1"].code in form  # the suggestion, by name
    assert "已选：<strong>甲一社区</strong>" in form and "责任单位编码" not in form
    # the eligible accounts the district office sees (its own subtree's), shown by name
    assert re.findall(r'<option value="(\w+)">([^<]+)<', form) == [("office_district_a", "李红梅")]
    assert "复核人账号" not in form


@pytest.mark.django_db
def test_the_unit_picker_finds_units_in_the_viewers_scope_by_name(login, org):
    found = login("office_district_a").get(reverse("org:unit_search"), {"uq": "一"}).content.decode()
    codes = re.findall(r'data-code="(\d+)"', found)
    assert codes == [org["street_a1"].code, org["community_a1"].code, org["grid_a1"].code]
    assert org["street_b1"].code not in found  # district B is not his
    assert "没有找到" in login("office_city").get(reverse("org:unit_search"), {"uq": "火星"}).content.decode()
    assert login("citizen").get(reverse("org:unit_search"), {"uq": "一"}).status_code == 403


@pytest.mark.django_db
def test_the_ledger_and_metrics_filters_choose_a_unit_by_name(login, org, assigned):
    page = login("office_district_a").get(reverse("cases:ledger"), {"unit": org["street_a1"].code}).content.decode()
    assert 'data-testid="unit-picker-unit"' in page and "已选：<strong>甲一街道</strong>" in page
    assert assigned.code in page
    metrics = login("office_district_a").get(reverse("cases:metrics"), {"unit": org["street_a1"].code}).content.decode()
    assert "已选：<strong>甲一街道</strong>" in metrics and "单位编码（含下级）" not in metrics


@pytest.mark.django_db
def test_a_problem_with_coordinates_links_to_the_phones_map(login, assigned, personas, org, intake):
    page = login("handler_street_a1").get(reverse("cases:detail", args=[assigned.code])).content.decode()
    assert 'href="geo:30.250000,120.160000?q=30.250000,120.160000"' in page and "导航到现场" in page
    bare, _ = intake_services.problem_report(actor=personas["inspector"], intake=intake())
    assert "导航到现场" not in login("inspector").get(reverse("cases:detail", args=[bare.code])).content.decode()


@pytest.mark.django_db
def test_the_home_cards_open_the_filtered_list_and_lists_are_paged_not_cut(login, personas, org, intake):
    from datetime import timedelta

    from django.utils import timezone

    made = []
    for n in range(53):
        found, _ = intake_services.problem_report(actor=personas["inspector"], intake=intake(title=f"问题{n}"))
        made.append(services.problem_assign(actor=personas["office_district_a"], problem=found,
                                            unit=org["street_a1"]))
    Problem.objects.filter(pk__in=[p.pk for p in made[:2]]).update(
        is_overdue=True, state=State.RECTIFYING, deadline=timezone.now() - timedelta(days=1))
    client = login("handler_street_a1")
    home = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("cases:mine")}?show=overdue"' in home
    overdue = client.get(reverse("cases:mine"), {"show": "overdue"}).content.decode()
    assert overdue.count('href="/problems/WT') == 2 and 'aria-current="page">逾期' in overdue
    first = client.get(reverse("cases:mine")).content.decode()
    assert first.count('href="/problems/WT') == 50 and "第 1 / 2 页" in first
    second = client.get(reverse("cases:mine"), {"page": 2}).content.decode()
    assert second.count('href="/problems/WT') == 3
    assert client.get(reverse("cases:mine"), {"show": "x"}).status_code == 200
