"""One problem through every state and branch; the timeline, counters and notifications."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils import timezone

from wenming.cases.escalation import sla
from wenming.cases.intake import services as intake_services
from wenming.cases.models import (
    Notification,
    Problem,
    ProblemEvent,
    RequestStatus,
    State,
)
from wenming.cases.workflow import services
from wenming.core.errors import ServiceError
from wenming.org.models import Role


def actions(problem):
    return list(ProblemEvent.objects.filter(problem=problem).order_by("id").values_list("action", "from_state",
                                                                                          "to_state"))


def inbox(user):
    return list(Notification.objects.filter(user=user).order_by("id").values_list("title", flat=True))


@pytest.mark.django_db
def test_full_walk_through_every_branch(personas, org, intake, make_photo):
    district, handler = personas["office_district_a"], personas["handler_street_a1"]
    inspector, other_handler = personas["inspector"], personas["handler_street_a2"]

    # 1. an inspector reports; the code is readable and the office is told
    problem, created = intake_services.problem_report(actor=inspector, intake=intake(), photos=[make_photo(inspector)])
    assert created and problem.state == State.REPORTED and problem.code.startswith("WT20")
    assert problem.source == "inspection" and problem.photos.filter(phase="before").count() == 1
    assert inbox(district) == [f"新问题待受理：{problem.code} 人行道占道经营"]

    # 2. accept, then assign to the wrong street: the inspector becomes the verifier
    problem = services.problem_accept(actor=district, problem=problem)
    problem = services.problem_assign(actor=district, problem=problem, unit=org["street_a2"])
    assert problem.state == State.ASSIGNED and problem.verifier == inspector
    assert problem.deadline == sla.deadline_for(problem.category, problem.severity, problem.assigned_at)
    assert problem.next_due_at is not None
    assert inbox(other_handler)[-1].startswith("交办：")

    # 3. street A2 asks to return it; while pending, it cannot sign
    problem = services.problem_request_return(actor=other_handler, problem=problem, reason="该路段属甲一街道")
    with pytest.raises(ServiceError, match="待审核的申请退回"):
        services.problem_sign(actor=other_handler, problem=problem)
    problem = services.problem_approve_return(actor=district, problem=problem, note="同意，改派甲一街道")
    assert problem.state == State.PENDING_ASSIGNMENT and problem.unit is None and problem.returned_count == 1
    assert problem.next_due_at is None

    # 4. assigned again, signed, asks for coordination; the office escalates to the district
    problem = services.problem_assign(actor=district, problem=problem, unit=org["street_a1"])
    problem = services.problem_sign(actor=handler, problem=problem)
    assert problem.state == State.RECTIFYING and problem.signed_at
    problem = services.problem_request_coordination(actor=handler, problem=problem, reason="需城管执法")
    problem = services.problem_refuse_coordination(actor=district, problem=problem, reason="街道可自行劝离")
    assert problem.requests.get(kind="coordination").status == RequestStatus.REFUSED

    # 5. extension requested and approved with a new deadline
    new_deadline = problem.deadline + timedelta(days=7)
    problem = services.problem_request_extension(actor=handler, problem=problem, deadline=new_deadline,
                                                 reason="需协调摊主搬迁")
    problem = services.problem_approve_extension(actor=district, problem=problem)
    assert problem.deadline == new_deadline

    # 6. submitted with after photos, verification fails (counted), resubmitted, passes
    problem = services.problem_submit(actor=handler, problem=problem, photos=[make_photo(handler)], note="已清理")
    assert problem.state == State.SUBMITTED and problem.next_due_at is None
    assert inbox(inspector)[-1].startswith("待复核：")
    problem = services.problem_verify_fail(actor=inspector, problem=problem, reason="仍有摊位")
    assert problem.state == State.RECTIFYING and problem.rework_count == 1 and problem.next_due_at is not None
    problem = services.problem_submit(actor=handler, problem=problem, photos=[make_photo(handler)], note="已取缔")
    problem = services.problem_verify_pass(actor=inspector, problem=problem, note="复核通过")
    assert problem.state == State.CLOSED and problem.closed_on_time is True
    # 办理时长: working hours from the (last) assignment to the (last) submission
    assert problem.handling_hours == pytest.approx(
        sla.working_hours_between(problem.assigned_at, problem.submitted_at))
    assert problem.photos.filter(phase="after").count() == 2

    # 7. the same place again within the window: a new problem linked as 反弹
    again, _ = intake_services.problem_report(actor=inspector, intake=intake(description="又出现了"))
    assert again.recurrence_of == problem
    recurred = services.problem_recur(actor=inspector, problem=problem, note="复查发现反弹")
    assert recurred.recurrence_of == problem and recurred.state == State.ASSIGNED and recurred.unit == org["street_a1"]

    # 8. a duplicate report is merged; its reporter follows the kept problem
    duplicate, _ = intake_services.problem_report(actor=personas["citizen"], intake=intake(title="有人摆摊"))
    assert duplicate.source == "citizen"
    services.problem_merge(actor=district, problem=duplicate, keep=recurred)
    duplicate.refresh_from_db()
    assert duplicate.state == State.MERGED and duplicate.merged_into == recurred
    assert personas["citizen"] in recurred.followers.all()

    # 9. a rejected report
    junk, _ = intake_services.problem_report(actor=personas["citizen"], intake=intake(title="测试"))
    junk = services.problem_reject(actor=district, problem=junk, reason="信息不实")
    assert junk.state == State.REJECTED

    assert actions(problem) == [
        ("report", "", "reported"), ("accept", "reported", "pending_assignment"),
        ("assign", "pending_assignment", "assigned"), ("request_return", "assigned", "assigned"),
        ("approve_return", "assigned", "pending_assignment"), ("assign", "pending_assignment", "assigned"),
        ("sign", "assigned", "rectifying"), ("request_coordination", "rectifying", "rectifying"),
        ("refuse_coordination", "rectifying", "rectifying"), ("request_extension", "rectifying", "rectifying"),
        ("approve_extension", "rectifying", "rectifying"), ("submit", "rectifying", "submitted"),
        ("verify_fail", "submitted", "rectifying"), ("submit", "rectifying", "submitted"),
        ("verify_pass", "submitted", "closed"), ("recurred", "closed", "closed"), ("recur", "closed", "closed"),
    ]
    event = ProblemEvent.objects.get(problem=problem, action="verify_fail")
    assert (event.actor, event.actor_role, event.note) == (inspector, Role.INSPECTOR, "仍有摊位")
    assert ProblemEvent.objects.filter(problem=problem, action="submit").first().photos.count() == 1
    # the citizen is told of both: his duplicate merged, his other report rejected
    assert inbox(personas["citizen"])[-2:] == [f"您反映的问题已与其他问题合并：{duplicate.code}",
                                               f"您反映的问题不予受理：{junk.code}"]


@pytest.mark.django_db
def test_coordination_reassign_and_escalate(personas, org, intake):
    district, handler = personas["office_district_a"], personas["handler_street_a1"]
    problem, _ = intake_services.problem_report(actor=personas["inspector"], intake=intake())
    problem = services.problem_assign(actor=district, problem=problem, unit=org["street_a1"])
    problem = services.problem_sign(actor=handler, problem=problem)
    problem = services.problem_request_coordination(actor=handler, problem=problem, reason="超出街道权限")
    problem = services.problem_escalate(actor=district, problem=problem, note="提交区里办理")
    assert problem.unit == org["district_a"] and problem.state == State.ASSIGNED
    assert problem.requests.get().status == RequestStatus.APPROVED
    problem = services.problem_reassign(actor=personas["office_city"], problem=problem, unit=org["department"])
    assert problem.unit == org["department"] and problem.unit_path == org["department"].path


@pytest.mark.django_db
def test_every_transition_refused_to_wrong_personas(personas, org, intake, make_photo):
    """Each action, tried by each persona who must not take it, changes nothing."""
    from wenming.cases.workflow.machine import TRANSITIONS

    district, handler = personas["office_district_a"], personas["handler_street_a1"]
    # a problem in each state the table starts from
    reported, _ = intake_services.problem_report(actor=personas["inspector"], intake=intake())
    assigned, _ = intake_services.problem_report(actor=personas["inspector"], intake=intake(address="人民路1号"))
    assigned = services.problem_assign(actor=district, problem=assigned, unit=org["street_a1"])
    rectifying, _ = intake_services.problem_report(actor=personas["inspector"], intake=intake(address="人民路2号"))
    rectifying = services.problem_assign(actor=district, problem=rectifying, unit=org["street_a1"])
    rectifying = services.problem_sign(actor=handler, problem=rectifying)
    submitted, _ = intake_services.problem_report(actor=personas["inspector"], intake=intake(address="人民路3号"))
    submitted = services.problem_assign(actor=district, problem=submitted, unit=org["street_a1"])
    submitted = services.problem_sign(actor=handler, problem=submitted)
    submitted = services.problem_submit(actor=handler, problem=submitted, photos=[make_photo(handler)], note="好了")
    by_state = {State.REPORTED: reported, State.PENDING_ASSIGNMENT: reported, State.ASSIGNED: assigned,
                State.RECTIFYING: rectifying, State.SUBMITTED: submitted}
    allowed_by_reach = {"office": {"office_city", "office_district_a"}, "unit": {"handler_street_a1"},
                        "verifier": {"office_city", "office_district_a", "inspector"}}
    for t in TRANSITIONS:
        if t.action in {"recur"} or t.answers:
            continue
        problem = next((by_state[s] for s in t.sources if s in by_state), None)
        if problem is None:
            continue
        for name, user in personas.items():
            if name in allowed_by_reach[t.reach]:
                continue
            problem.refresh_from_db()
            assert t not in services.available_actions(user, problem), (t.action, name)
            before = (problem.state, problem.unit_id, ProblemEvent.objects.filter(problem=problem).count())
            # refused before any input is looked at: 404 outside his view, 403 inside it
            with pytest.raises((Http404, PermissionDenied)):
                services.perform(actor=user, problem=problem, action=t.action)
            problem.refresh_from_db()
            assert (problem.state, problem.unit_id, ProblemEvent.objects.filter(problem=problem).count()) == before


@pytest.mark.django_db
def test_two_people_acting_at_once(personas, org, intake):
    district, city = personas["office_district_a"], personas["office_city"]
    problem, _ = intake_services.problem_report(actor=personas["inspector"], intake=intake())
    stale = Problem.objects.get(pk=problem.pk)
    services.problem_assign(actor=district, problem=problem, unit=org["street_a1"])
    with pytest.raises(ServiceError, match="当前状态为“已交办”，不能交办。可能已有他人处理"):
        services.problem_assign(actor=city, problem=stale, unit=org["street_a2"])
    problem.refresh_from_db()
    assert problem.unit == org["street_a1"]
    assert ProblemEvent.objects.filter(problem=problem, action="assign").count() == 1


@pytest.mark.django_db
def test_idempotent_report(personas, intake):
    inspector = personas["inspector"]
    first, created = intake_services.problem_report(actor=inspector, intake=intake(), idempotency_key="k-1")
    again, created_again = intake_services.problem_report(actor=inspector, intake=intake(), idempotency_key="k-1")
    assert created and not created_again and first.pk == again.pk
    assert Problem.objects.count() == 1


@pytest.mark.django_db
def test_report_validation_and_scope(personas, org, intake, category):
    with pytest.raises(ServiceError, match="标题不能为空"):
        intake_services.problem_report(actor=personas["inspector"], intake=intake(title=" "))
    with pytest.raises(ServiceError, match="请填写地址或定位"):
        intake_services.problem_report(actor=personas["inspector"], intake=intake(address=""))
    with pytest.raises(ServiceError, match="请选择具体的二级类别"):
        intake_services.problem_report(actor=personas["inspector"], intake=intake(category=category.parent))
    # a street handler reports in his street, not in the sibling street
    intake_services.problem_report(actor=personas["handler_street_a1"], intake=intake())
    from django.http import Http404

    with pytest.raises(Http404):
        intake_services.problem_report(actor=personas["handler_street_a1"], intake=intake(area=org["street_a2"]))
    assert Problem.objects.count() == 1


@pytest.mark.django_db
def test_a_long_title_is_shortened_in_the_inbox_only(personas, intake):
    title = "甲" * 100  # the longest title a problem may have
    problem, _ = intake_services.problem_report(actor=personas["inspector"], intake=intake(title=title))
    assert problem.title == title
    [note] = inbox(personas["office_district_a"])
    assert len(note) == Notification._meta.get_field("title").max_length and note.endswith("甲…")
    assert note.startswith(f"新问题待受理：{problem.code} 甲")


@pytest.mark.django_db
def test_an_assignment_reads_the_calendar_and_sla_rules_once(personas, org, intake):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    problem, _ = intake_services.problem_report(actor=personas["inspector"], intake=intake())
    with CaptureQueriesContext(connection) as queries:
        problem = services.problem_assign(actor=personas["office_city"], problem=problem, unit=org["street_a1"])
    statements = [query["sql"] for query in queries.captured_queries]
    for table in ("cases_casesettings", "cases_calendaroverride", "cases_slarule"):
        assert sum(1 for sql in statements if f'FROM "{table}"' in sql) == 1, table
    assert problem.deadline == sla.deadline_for(problem.category, problem.severity, problem.assigned_at)
    assert problem.next_due_at == sla.warn_at(problem)


@pytest.mark.django_db
def test_read_once_keeps_the_tables_for_its_block_only(db):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from wenming.cases.models import CalendarOverride

    def reads():
        with CaptureQueriesContext(connection) as queries:
            sla.work_schedule()
        return len(queries.captured_queries)

    assert reads() > 0 and reads() > 0          # outside a block: every time
    with sla.read_once():
        first = sla.work_schedule()
        assert reads() == 0
        with sla.read_once():                   # nested: the outer block's
            assert sla.work_schedule() is first
    day = timezone.localdate() + timedelta(days=3)
    CalendarOverride.objects.create(day=day, is_workday=False)
    assert sla.work_schedule().overrides.get(day) is False     # after the block: read afresh
