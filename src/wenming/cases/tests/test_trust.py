"""Defects found by trying the loop from outside (issue 10): who may be named 复核人, who reads
supervision documents, links the viewer may not follow, bad input on the pages, and the 督办
ladder after an approved extension. Each test was written to fail before its fix."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from wenming.cases.escalation import sweeper
from wenming.cases.intake import services as intake_services
from wenming.cases.models import (
    Escalation,
    NoticeKind,
    Notification,
    Problem,
    State,
    SupervisionNotice,
)
from wenming.cases.workflow import services
from wenming.core.errors import ServiceError
from wenming.org.models import Membership, Role, User

DAY = timedelta(days=1)


@pytest.fixture
def reported(personas, intake):
    problem, _ = intake_services.problem_report(actor=personas["citizen"], intake=intake())
    return problem


@pytest.fixture
def assigned(personas, org, reported):
    return services.problem_assign(actor=personas["office_district_a"], problem=reported, unit=org["street_a1"],
                                   deadline=timezone.now() + 3 * DAY)


# --- 1. who may be named 复核人 ----------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("name", ["citizen", "handler_street_a2", "handler_street_a1", "grid_worker", "leader"])
def test_assign_refuses_a_verifier_who_is_not_an_inspector_or_office_over_the_problem(personas, org, reported, name):
    with pytest.raises(ServiceError) as refused:
        services.problem_assign(actor=personas["office_district_a"], problem=reported, unit=org["street_a1"],
                                verifier=personas[name])
    assert refused.value.field == "verifier"
    reported.refresh_from_db()
    assert reported.state == State.REPORTED and reported.verifier_id is None
    assert not Notification.objects.filter(user=personas[name], title__contains="复核").exists()


@pytest.mark.django_db
def test_assign_refuses_an_office_member_of_another_district(personas, org, reported):
    other = User.objects.create_user("office_b", password="x")
    Membership.objects.create(user=other, unit=org["district_b"], role=Role.OFFICE)
    with pytest.raises(ServiceError):
        services.problem_assign(actor=personas["office_city"], problem=reported, unit=org["street_a1"],
                                verifier=other)


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["inspector", "office_district_a", "office_city"])
def test_assign_accepts_an_inspector_or_office_over_the_problem(personas, org, reported, name):
    problem = services.problem_assign(actor=personas["office_district_a"], problem=reported, unit=org["street_a1"],
                                      verifier=personas[name])
    assert problem.verifier_id == personas[name].pk and problem.state == State.ASSIGNED


@pytest.mark.django_db
def test_assign_page_answers_the_same_for_a_missing_and_an_ineligible_verifier(login, personas, org, reported):
    client = login("office_district_a")
    url = reverse("cases:act", args=[reported.code, "assign"])
    texts = []
    for name in ("citizen", "no_such_account_xyz"):
        response = client.post(url, {"unit": org["street_a1"].code, "verifier": name}, follow=True)
        assert response.status_code == 200
        texts.append([str(m) for m in response.context["messages"]])
    assert texts[0] == texts[1] and "复核人" in texts[0][0]
    assert "no_such_account_xyz" not in texts[1][0]
    reported.refresh_from_db()
    assert reported.state == State.REPORTED


# --- 2. supervision documents are internal ----------------------------------------------------------

@pytest.fixture
def notice(personas, assigned):
    sweeper.sweep(now=assigned.deadline + timedelta(minutes=1))
    return SupervisionNotice.objects.get(problem=assigned)


@pytest.mark.django_db
@pytest.mark.parametrize("name,list_status", [("citizen", 403), ("grid_worker", 403), ("inspector", 403),
                                               ("handler_street_a2", 200), ("outsider", 403)])
def test_notice_is_refused_to_those_outside_the_office_and_the_unit_named(login, notice, name, list_status):
    client = login(name)
    assert client.get(reverse("cases:notice", args=[notice.pk])).status_code == 404
    assert client.get(reverse("cases:notice_docx", args=[notice.pk])).status_code == 404
    listed = client.get(reverse("cases:notices"))
    assert listed.status_code == list_status
    assert notice.number not in listed.content.decode()


@pytest.mark.django_db
def test_citizen_reporter_sees_no_notice_on_his_problem_page(login, notice):
    page = login("citizen").get(reverse("cases:detail", args=[notice.problem.code])).content.decode()
    # the timeline says that a 督办单 was issued; the document itself is not his to open
    assert reverse("cases:notice", args=[notice.pk]) not in page
    assert reverse("cases:notice_docx", args=[notice.pk]) not in page and "下载Word" not in page
    office = login("office_district_a").get(reverse("cases:detail", args=[notice.problem.code])).content.decode()
    assert reverse("cases:notice_docx", args=[notice.pk]) in office


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["office_city", "office_district_a", "leader", "admin", "handler_street_a1"])
def test_notice_is_open_to_offices_leaders_admins_and_the_unit_named(login, notice, name):
    client = login(name)
    assert client.get(reverse("cases:notice", args=[notice.pk])).status_code == 200
    assert client.get(reverse("cases:notice_docx", args=[notice.pk])).status_code == 200
    assert notice.number in client.get(reverse("cases:notices")).content.decode()


# --- 3. links only where the viewer may follow them --------------------------------------------------

@pytest.mark.django_db
def test_citizen_problem_page_has_no_ledger_breadcrumb(login, reported):
    page = login("citizen").get(reverse("cases:detail", args=[reported.code])).content.decode()
    assert f'href="{reverse("cases:ledger")}"' not in page
    assert login("office_district_a").get(reverse("cases:ledger")).status_code == 200


@pytest.mark.django_db
def test_recurrence_link_only_for_who_may_open_the_earlier_problem(login, personas, org, intake):
    first, _ = intake_services.problem_report(actor=personas["office_district_a"], intake=intake())
    problem = Problem.objects.get(pk=first.pk)
    second, _ = intake_services.problem_report(actor=personas["citizen"], intake=intake(title="又有占道"))
    Problem.objects.filter(pk=second.pk).update(recurrence_of=problem)
    earlier = reverse("cases:detail", args=[first.code])
    citizen_page = login("citizen").get(reverse("cases:detail", args=[second.code])).content.decode()
    assert f'href="{earlier}"' not in citizen_page and first.code in citizen_page
    office_page = login("office_district_a").get(reverse("cases:detail", args=[second.code])).content.decode()
    assert f'href="{earlier}"' in office_page


# --- 4. bad input on the pages answers a message, never a 500 -------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("deadline", ["2026-02-30T10:00", "2026-13-01T10:00", "2026-06-01T25:00",
                                      "9999-12-31T23:00", "0000-01-01T00:00", "abc"])
def test_assign_page_refuses_impossible_deadlines(login, org, reported, deadline):
    client = login("office_district_a")
    response = client.post(reverse("cases:act", args=[reported.code, "assign"]),
                           {"unit": org["street_a1"].code, "deadline": deadline}, follow=True)
    assert response.status_code == 200
    assert any("期限" in str(m) for m in response.context["messages"])
    reported.refresh_from_db()
    assert reported.state == State.REPORTED


@pytest.mark.django_db
@pytest.mark.parametrize("query,status", [("category=abc", 200), ("category=1e999", 200), ("category=-1&area=x", 200),
                                          ("latitude=NaN&longitude=1e999999", 200), ("category=%00", 400),
                                          ("area=%00", 400)])
def test_nearby_fragment_takes_any_query(login, org, category, query, status):
    response = login("citizen").get(reverse("cases:nearby") + f"?{query}&area={org['street_a1'].code}")
    assert response.status_code == status  # a NUL is refused before the view (core.middleware)


@pytest.mark.django_db
def test_nul_characters_in_page_forms_are_refused(login, org, category, reported):
    client = login("office_district_a")
    response = client.post(reverse("cases:report"), {
        "title": "占道\x00经营", "category": category.pk, "area": org["street_a1"].code,
        "severity": "normal", "source": "inspection", "description": "x"})
    assert response.status_code == 200
    assert "不能包含" in response.content.decode()
    response = client.post(reverse("cases:act", args=[reported.code, "reject"]), {"reason": "重复\x00"}, follow=True)
    assert response.status_code == 200
    reported.refresh_from_db()
    assert reported.state == State.REPORTED


# --- 8. an approved extension re-bases the 督办 ladder -----------------------------------------------

@pytest.mark.django_db
def test_extension_approved_after_a_notice_rebases_the_ladder(personas, assigned):
    office, handler = personas["office_district_a"], personas["handler_street_a1"]
    problem = services.problem_sign(actor=handler, problem=assigned)
    old_deadline = problem.deadline
    sweeper.sweep(now=old_deadline + timedelta(minutes=1))          # 督办单 at the old deadline
    problem.refresh_from_db()
    assert problem.escalation == Escalation.NOTICE
    first = SupervisionNotice.objects.get(problem=problem)
    new_deadline = timezone.now() + 20 * DAY
    services.problem_request_extension(actor=handler, problem=problem, deadline=new_deadline, reason="需采购设备")
    services.problem_approve_extension(actor=office, problem=problem, deadline=new_deadline, note="同意")
    problem.refresh_from_db()
    assert problem.deadline == new_deadline
    assert problem.escalation == Escalation.NONE and not problem.is_overdue
    # the sweeper runs long after the notice's own deadline but before the new deadline: no 督办函
    sweeper.sweep(now=first.deadline + 2 * DAY)
    assert list(SupervisionNotice.objects.filter(problem=problem)) == [first]   # the 督办单 stays on record
    assert not SupervisionNotice.objects.filter(problem=problem, kind=NoticeKind.LETTER).exists()
    # past the new deadline the ladder starts again from its first step
    sweeper.sweep(now=new_deadline + timedelta(minutes=1))
    kinds = list(SupervisionNotice.objects.filter(problem=problem).order_by("id").values_list("kind", flat=True))
    assert kinds == [NoticeKind.NOTICE, NoticeKind.NOTICE]
