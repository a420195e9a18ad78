"""ProblemVersion: the metrics' fields as they stood at any moment, so that a period's figures read
``as_of`` its end do not move when a deadline is extended or a problem reassigned afterwards."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from wenming.cases.escalation import sweeper
from wenming.cases.intake import services as intake_services
from wenming.cases.metrics.figures import counts_by_path, period_bounds, subtree_counts, unit_metrics
from wenming.cases.models import Problem, ProblemVersion, State
from wenming.cases.workflow import services

SH = ZoneInfo("Asia/Shanghai")
NOV = period_bounds("month", date(2026, 11, 15))


class Clock:
    """``timezone.now`` under the test's control (the services, the sweeper and auto_now all call it)."""

    def __init__(self, monkeypatch, start: datetime):
        self.now = start
        monkeypatch.setattr(timezone, "now", lambda: self.now)

    def set(self, month: int, day: int, hour: int = 10) -> None:
        self.now = datetime(2026, month, day, hour, tzinfo=SH)


def open_versions_match(problem: Problem) -> bool:
    problem.refresh_from_db()
    version = ProblemVersion.objects.get(problem=problem, valid_to__isnull=True)
    return all(getattr(version, f) == getattr(problem, f) for f in ProblemVersion.FIELDS)


@pytest.mark.django_db
def test_every_step_writes_the_version_in_force_and_reports_alone_write_none(monkeypatch, personas, org, intake,
                                                                               make_photo):
    clock = Clock(monkeypatch, datetime(2026, 11, 2, 9, tzinfo=SH))
    district, handler, inspector = (personas["office_district_a"], personas["handler_street_a1"],
                                    personas["inspector"])
    problem, _ = intake_services.problem_report(actor=inspector, intake=intake())
    problem = services.problem_accept(actor=district, problem=problem)
    assert not ProblemVersion.objects.filter(problem=problem).exists()   # never assigned: counts nowhere
    problem = services.problem_assign(actor=district, problem=problem, unit=org["street_a1"])
    assert open_versions_match(problem)
    clock.set(11, 3)
    problem = services.problem_sign(actor=handler, problem=problem)
    assert open_versions_match(problem)
    clock.set(11, 20)  # past the deadline: the sweeper marks it 逾期 and issues a 督办单
    sweeper.sweep()
    assert open_versions_match(problem) and problem.overdue_at is not None
    clock.set(11, 21)
    problem = services.problem_submit(actor=handler, problem=problem, photos=[make_photo(handler)], note="已清理")
    problem = services.problem_verify_pass(actor=inspector, problem=problem)
    assert open_versions_match(problem) and problem.state == State.CLOSED
    versions = list(ProblemVersion.objects.filter(problem=problem).order_by("valid_from", "id"))
    # one per event after the assignment, each ended when the next began, the last still open
    assert [v.state for v in versions][:2] == [State.ASSIGNED, State.RECTIFYING] and versions[-1].valid_to is None
    assert all(a.valid_to == b.valid_from for a, b in zip(versions, versions[1:]))


@pytest.mark.django_db
def test_a_late_extension_and_reassignment_do_not_move_a_past_period(monkeypatch, personas, org, intake):
    clock = Clock(monkeypatch, datetime(2026, 11, 2, 9, tzinfo=SH))
    district, handler = personas["office_district_a"], personas["handler_street_a1"]
    problem, _ = intake_services.problem_report(actor=personas["inspector"], intake=intake())
    problem = services.problem_accept(actor=district, problem=problem)
    problem = services.problem_assign(actor=district, problem=problem, unit=org["street_a1"],
                                      deadline=datetime(2026, 11, 25, 17, 30, tzinfo=SH))
    problem = services.problem_sign(actor=handler, problem=problem)
    start, end = NOV
    before = unit_metrics(org["street_a1"], start, end, as_of=True)
    assert (before.assigned, before.due, before.overdue) == (1, 1, 0)

    # December: the deadline moves into December and the problem goes to street A2
    clock.set(12, 3)
    problem = services.problem_request_extension(actor=handler, problem=problem, reason="需协调",
                                                 deadline=datetime(2026, 12, 18, 17, 30, tzinfo=SH))
    problem = services.problem_approve_extension(actor=district, problem=problem)
    clock.set(12, 4)
    problem = services.problem_reassign(actor=district, problem=problem, unit=org["street_a2"])

    # read as it stood at November's end: the same figures for A1, nothing for A2
    after = unit_metrics(org["street_a1"], start, end, as_of=True)
    assert after == before
    assert unit_metrics(org["street_a2"], start, end, as_of=True).assigned == 0
    # read from the current fields (the live pages), November lost the problem
    live = unit_metrics(org["street_a1"], start, end)
    assert (live.assigned, live.due) == (0, 0)
    # the grouped reading agrees with the per-unit one, for peers under different parents too
    by_path = counts_by_path(start, end)
    rolled = subtree_counts(by_path, [org["street_a1"].path, org["street_a2"].path, org["district_a"].path])
    assert (rolled[org["street_a1"].path].assigned, rolled[org["street_a1"].path].due) == (1, 1)
    assert rolled[org["street_a2"].path].assigned == 0 and rolled[org["district_a"].path].due == 1
    # December, as it stands at its end, holds the new deadline with street A2
    dec_start, dec_end = period_bounds("month", date(2026, 12, 1))
    clock.now = dec_end + timedelta(days=1)
    assert unit_metrics(org["street_a2"], dec_start, dec_end, as_of=True).due == 1
    assert unit_metrics(org["street_a1"], dec_start, dec_end, as_of=True).due == 0
