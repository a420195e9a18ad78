"""The same place (DESIGN.md §5): duplicates and 反弹 are recognised by where a problem stands,
whoever reports it and whichever unit its report names — a grid worker names his grid, a
citizen the community — within the office's radius, or at the same address in the community."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from wenming.cases.intake import services as intake_services
from wenming.cases.models import Problem, ProblemEvent, State
from wenming.cases.settings import services as services_settings
from wenming.core.models import OutboundMessage

SPOT = (Decimal("30.250000"), Decimal("120.160000"))
NEAR = (Decimal("30.250150"), Decimal("120.160100"))  # about 19 m away
FAR = (Decimal("30.252000"), Decimal("120.160000"))  # about 222 m away


def report(personas, intake, who: str, area, where=None, **fields) -> Problem:
    lat, lon = where if where else (None, None)
    problem, created = intake_services.problem_report(
        actor=personas[who], intake=intake(area=area, latitude=lat, longitude=lon, **fields))
    assert created
    return problem


@pytest.mark.django_db
def test_a_grid_workers_report_of_a_citizens_spot_is_flagged_as_duplicate(personas, org, intake):
    first = report(personas, intake, "citizen", org["community_a1"], SPOT, address="")
    second = report(personas, intake, "grid_worker", org["grid_a1"], NEAR, address="")
    assert second.duplicate_of == first and second.recurrence_of is None
    event = ProblemEvent.objects.get(problem=second, action="report")
    assert event.data == {"source": "grid", "duplicate_of": first.code}
    elsewhere = report(personas, intake, "grid_worker", org["grid_a1"], FAR, address="")
    assert elsewhere.duplicate_of is None
    # another category at the very spot is another problem
    other = report(personas, intake, "grid_worker", org["grid_a1"], SPOT, address="",
                   category=first.category.parent.children.exclude(pk=first.category_id).first())
    assert other.duplicate_of is None


@pytest.mark.django_db
def test_the_radius_is_the_offices(personas, org, intake):
    report(personas, intake, "citizen", org["community_a1"], SPOT, address="")
    services_settings.office_hours_save(actor=personas["office_city"], **_hours(duplicate_radius_m=10))
    second = report(personas, intake, "grid_worker", org["grid_a1"], NEAR, address="")
    assert second.duplicate_of is None
    services_settings.office_hours_save(actor=personas["office_city"], **_hours(duplicate_radius_m=300))
    # both are within 300 m now: the newest open one is named
    assert report(personas, intake, "grid_worker", org["grid_a1"], FAR, address="").duplicate_of == second


@pytest.mark.django_db
def test_without_coordinates_the_same_address_in_the_community_is_the_same_place(personas, org, intake):
    first = report(personas, intake, "citizen", org["community_a1"], address="甲一社区东门菜场口")
    second = report(personas, intake, "grid_worker", org["grid_a1"], address=" 甲一社区东门菜场口 ")
    assert second.duplicate_of == first
    # the same words in another street are another place
    away = report(personas, intake, "citizen", org["street_a2"], address="甲一社区东门菜场口")
    assert away.duplicate_of is None


@pytest.mark.django_db
def test_a_report_after_closing_is_a_recurrence_whichever_unit_it_names(personas, org, intake, category):
    old = Problem.objects.create(
        code="WT2025-000001", title="旧问题", category=category, source="inspection", area=org["community_a1"],
        area_path=org["community_a1"].path, latitude=SPOT[0], longitude=SPOT[1], state=State.CLOSED,
        closed_at=timezone.now() - timedelta(days=10))
    again = report(personas, intake, "grid_worker", org["grid_a1"], NEAR, address="")
    assert again.recurrence_of == old and again.duplicate_of is None
    recurred = ProblemEvent.objects.get(problem=old, action="recurred")
    assert recurred.data == {"recurrence": again.code}
    # now that one is open at the spot, a third report is its duplicate, not another 反弹
    third = report(personas, intake, "citizen", org["community_a1"], SPOT, address="")
    assert (third.duplicate_of, third.recurrence_of) == (again, None)


@pytest.mark.django_db
def test_a_report_after_the_recurrence_window_is_a_new_problem(personas, org, intake, category):
    Problem.objects.create(
        code="WT2025-000001", title="旧问题", category=category, source="inspection", area=org["community_a1"],
        area_path=org["community_a1"].path, latitude=SPOT[0], longitude=SPOT[1], state=State.CLOSED,
        closed_at=timezone.now() - timedelta(days=91))
    again = report(personas, intake, "grid_worker", org["grid_a1"], NEAR, address="")
    assert (again.recurrence_of, again.duplicate_of) == (None, None)


@pytest.mark.django_db
def test_the_report_form_hints_before_submitting_and_links_only_where_allowed(login, personas, org, intake,
                                                                               category):
    first = report(personas, intake, "inspector", org["community_a1"], SPOT, address="")
    url = reverse("cases:nearby")
    query = {"category": category.pk, "area": org["grid_a1"].code, "latitude": str(NEAR[0]),
             "longitude": str(NEAR[1])}
    page = login("grid_worker").get(url, query).content.decode()
    assert "此处已有同类问题正在办理" in page and first.code in page
    # the grid worker does not see the inspector's problem (not yet given to his grid): no link
    assert reverse("cases:detail", args=[first.code]) not in page
    office = login("office_district_a").get(url, {**query, "area": org["community_a1"].code}).content.decode()
    assert f'href="{reverse("cases:detail", args=[first.code])}"' in office
    Problem.objects.filter(pk=first.pk).update(state=State.CLOSED, closed_at=timezone.now())
    page = login("grid_worker").get(url, query).content.decode()
    assert "近期已整改销号" in page and "提交后将作为反弹问题处理" in page and first.code in page


@pytest.mark.django_db
def test_the_api_tells_open_and_recently_closed_problems_at_the_place(login, personas, org, intake, category):
    first = report(personas, intake, "citizen", org["community_a1"], SPOT, address="")
    client = login("grid_worker")
    query = {"category": category.code, "area": org["grid_a1"].code, "latitude": str(NEAR[0]),
             "longitude": str(NEAR[1])}
    found = client.get("/api/problems/nearby/", query).json()
    assert [p["code"] for p in found["results"]] == [first.code] and found["recently_closed"] == []
    Problem.objects.filter(pk=first.pk).update(state=State.CLOSED, closed_at=timezone.now())
    found = client.get("/api/problems/nearby/", query).json()
    assert found["results"] == [] and [p["code"] for p in found["recently_closed"]] == [first.code]


@pytest.mark.django_db
def test_the_problem_page_shows_the_suspected_duplicate_and_offers_merging_it(login, personas, org, intake):
    first = report(personas, intake, "citizen", org["community_a1"], SPOT, address="")
    second = report(personas, intake, "grid_worker", org["grid_a1"], NEAR, address="")
    page = login("office_district_a").get(reverse("cases:detail", args=[second.code])).content.decode()
    assert "疑似重复" in page and f'href="{reverse("cases:detail", args=[first.code])}"' in page
    assert f'name="keep" value="{first.code}"' in page
    # the grid worker sees the mark but may not open the citizen's problem
    page = login("grid_worker").get(reverse("cases:detail", args=[second.code])).content.decode()
    assert "疑似重复" in page and reverse("cases:detail", args=[first.code]) not in page


@pytest.mark.django_db
def test_the_reporter_gets_a_tracking_code_by_text_when_he_leaves_a_phone(personas, org, intake):
    problem = report(personas, intake, "citizen", org["community_a1"], SPOT, address="",
                     reporter_phone="13912345678")
    assert len(problem.tracking_code) == 8 and set(problem.tracking_code) <= set(intake_services.TRACKING_ALPHABET)
    text = OutboundMessage.objects.get(to="13912345678").body
    assert problem.code in text and problem.tracking_display in text
    silent = report(personas, intake, "citizen", org["community_a1"], FAR, address="")
    assert silent.tracking_code and silent.tracking_code != problem.tracking_code
    assert OutboundMessage.objects.count() == 1


def _hours(**changes) -> dict:
    from datetime import time

    values = {"morning_start": time(8, 30), "morning_end": time(12), "afternoon_start": time(14),
              "afternoon_end": time(17, 30), "recurrence_days": 90, "duplicate_radius_m": 50}
    values.update(changes)
    return values


@pytest.mark.django_db
def test_the_api_answers_a_report_with_its_tracking_code_and_the_problem_at_the_place(login, org, category):
    import json

    def post(username, area, where):
        client = login(username)
        body = {"title": "占道经营", "category": category.code, "area": area.code, "latitude": str(where[0]),
                "longitude": str(where[1])}
        return client.post("/api/problems/", json.dumps(body), content_type="application/json")

    first = post("citizen", org["community_a1"], SPOT)
    assert first.status_code == 201
    data = first.json()
    assert len(data["tracking_code"]) == 9 and data["tracking_code"][4] == "-"
    assert (data["duplicate_of"], data["recurrence_of"]) == (None, None)
    second = post("grid_worker", org["grid_a1"], NEAR).json()
    assert second["duplicate_of"] == data["code"]
    detail = login("office_district_a").get(f"/api/problems/{second['code']}/").json()
    assert (detail["duplicate_of"], detail["recurrence_of"]) == (data["code"], None)
