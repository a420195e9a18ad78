"""The demo's problems: the small demo written through the services, and the city generator."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from wenming.cases.escalation import sla, sweeper
from wenming.cases.models import (
    Escalation,
    EscalationStep,
    NoticeCounter,
    NoticeKind,
    Problem,
    ProblemCounter,
    ProblemEvent,
    State,
    SupervisionNotice,
)
from wenming.core import worktime
from wenming.demo.cases import build_cases
from wenming.demo.city import build_city_cases
from wenming.demo.org import build_org

pytestmark = pytest.mark.django_db

SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=SH)  # a Friday


def timeline(problem):
    return list(ProblemEvent.objects.filter(problem=problem).order_by("at", "id"))


def assert_consistent(problem: Problem, now: datetime) -> None:
    """What every problem must satisfy, however it was written."""
    events = timeline(problem)
    assert events, problem.code
    first = events[0]
    assert first.action == "report" and first.from_state == "", (problem.code, first.action)
    assert abs((first.at - problem.created_at).total_seconds()) < 1, problem.code
    assert events[-1].to_state == problem.state, (problem.code, events[-1].action, problem.state)
    for before, after in zip(events, events[1:], strict=False):
        if after.from_state:
            assert after.from_state == before.to_state or after.action in {"merged_in", "recurred"}, \
                (problem.code, before.action, after.action)
    assert all(e.at <= now + timedelta(seconds=1) for e in events), problem.code
    assert problem.created_at <= now
    if problem.state in {State.ASSIGNED, State.RECTIFYING, State.SUBMITTED, State.CLOSED}:
        assert problem.unit_id and problem.deadline and problem.assigned_at, problem.code
        assert problem.created_at <= problem.assigned_at, problem.code
    if problem.state == State.CLOSED:
        assert problem.assigned_at <= problem.submitted_at <= problem.closed_at <= now, problem.code
        assert problem.closed_on_time == (problem.submitted_at <= problem.deadline), problem.code
        assert problem.handling_hours is not None and problem.handling_hours >= 0
    if problem.state == State.MERGED:
        assert problem.merged_into_id and problem.merged_into.state not in {State.MERGED, State.REJECTED}
    if problem.state in {State.REPORTED, State.PENDING_ASSIGNMENT, State.REJECTED, State.MERGED}:
        assert problem.next_due_at is None
    assert problem.supervision_count == problem.notices.count(), problem.code
    if problem.is_overdue:  # (a new 交办 clears the flag: the new unit's clock starts afresh)
        assert any(e.action == "overdue" for e in events), problem.code
    kinds = [e.action for e in events if e.action in {NoticeKind.NOTICE, NoticeKind.LETTER}]
    assert sorted(kinds) == sorted(problem.notices.values_list("kind", flat=True)), problem.code


# --- small: through the services -----------------------------------------------------------------


def timezone_year(problem):
    from django.utils import timezone

    return timezone.localtime(problem.created_at).year


def test_small_demo_is_reproducible_with_a_fixed_clock(settings):
    org = build_org(scale="small", seed=5)

    def snapshot():
        return sorted(Problem.objects.values_list("code", "title", "state", "escalation", "deadline", "closed_at",
                                                  "address"))

    build_cases(org, scale="small", seed=5, now=NOW)
    first = snapshot()
    assert all(row[5] is None or row[5] <= NOW for row in first)
    from wenming.demo.build import _reset_cases

    _reset_cases()
    assert not Problem.objects.exists() and not ProblemCounter.objects.exists()
    build_cases(org, scale="small", seed=5, now=NOW)
    assert snapshot() == first


# --- city: bulk generator ------------------------------------------------------------------------

def test_city_generator_in_miniature():
    org = build_org(scale="small", seed=3)
    written = build_city_cases(org, count=400, seed=3, now=NOW, batch_size=150)
    assert written == 400 == Problem.objects.count()
    problems = list(Problem.objects.select_related("merged_into"))
    codes = [p.code for p in problems]
    assert len(set(codes)) == 400 and all(c.startswith("WT20") and len(c) == 13 for c in codes)
    assert {timezone_year(p) for p in problems} >= {NOW.year - 2, NOW.year - 1, NOW.year}
    states = {p.state for p in problems}
    assert State.CLOSED in states and sum(p.state == State.CLOSED for p in problems) > 300
    schedule = sla.work_schedule()
    for p in problems:
        assert_consistent(p, NOW)
        assert p.is_overdue == ProblemEvent.objects.filter(problem=p, action="overdue").exists()
        n = ProblemEvent.objects.filter(problem=p).count()
        assert 1 <= n <= 14
        if p.state == State.CLOSED:
            expected = worktime.working_hours_between(p.assigned_at, p.submitted_at, schedule)
            assert p.handling_hours == pytest.approx(expected, abs=1e-4)
        if p.state in {State.ASSIGNED, State.RECTIFYING}:
            assert p.next_due_at is None and p.escalation == Escalation.BULLETIN or p.next_due_at > NOW
        if p.state != State.REPORTED:
            assert n >= 2
    assert ProblemEvent.objects.filter(action="verify_pass").count() == sum(p.state == State.CLOSED for p in problems)
    # the documents are numbered per issuer, kind and year without gaps; the counters agree
    for counter in NoticeCounter.objects.all():
        seqs = sorted(SupervisionNotice.objects.filter(issuer=counter.issuer, kind=counter.kind, year=counter.year)
                      .values_list("seq", flat=True))
        assert seqs == list(range(1, counter.last + 1))

    # reproducible from the seed; a second call adds more and the codes go on
    digest = sorted(Problem.objects.values_list("code", "title", "state", "created_at", "closed_at"))
    build_city_cases(org, count=50, seed=3, now=NOW)
    assert Problem.objects.count() == 450
    assert len(set(Problem.objects.values_list("code", flat=True))) == 450
    from wenming.demo.build import _reset_cases

    _reset_cases()
    build_city_cases(org, count=400, seed=3, now=NOW, batch_size=150)
    assert sorted(Problem.objects.values_list("code", "title", "state", "created_at", "closed_at")) == digest


# --- city: the ladder is the sweeper's -----------------------------------------------------------

LADDER = ("warn", "overdue", "notice", "letter", "bulletin")


def stretches_of(problem: Problem) -> list[tuple[datetime, datetime, datetime]]:
    """While the generated problem's clock ran: (start, end, deadline in force), from its timeline."""
    stretches, start, deadline = [], None, None
    for event in timeline(problem):
        if event.action == "assign":
            start, deadline = event.at, datetime.fromisoformat(event.data["deadline"])
        elif event.action == "submit":
            stretches.append((start, event.at, deadline))
            start = None
        elif event.action == "verify_fail":
            start, deadline = event.at, datetime.fromisoformat(event.data["deadline"])
    if start is not None:
        stretches.append((start, NOW, deadline))
    return stretches


def sweep_a_twin(problem: Problem, clock: list) -> Problem:
    """A copy of ``problem`` assigned the same way, left to the real sweeper while its clock runs,
    swept exactly when its ``next_due_at`` says (the generated steps come a few minutes later)."""
    twin = Problem.objects.create(
        code=f"T{problem.code}", title=problem.title, category=problem.category, severity=problem.severity,
        source=problem.source, state=State.RECTIFYING, area=problem.area, area_path=problem.area_path,
        unit=problem.unit, unit_path=problem.unit_path, assigned_at=problem.assigned_at)
    for start, end, deadline in stretches_of(problem):
        clock[0] = start  # assigned, or sent back (退回重改) with a new deadline: the services schedule it
        twin.state, twin.deadline = State.RECTIFYING, deadline
        sla.schedule(twin)
        twin.save()
        while twin.next_due_at is not None and max(twin.next_due_at, clock[0]) < end:
            clock[0] = max(twin.next_due_at, clock[0])
            assert sweeper.sweep(now=clock[0]).claimed == 1
            twin.refresh_from_db()
        if end < NOW:  # submitted: the clock stops
            Problem.objects.filter(pk=twin.pk).update(state=State.SUBMITTED, next_due_at=None)
            twin.refresh_from_db()
    return twin


@pytest.mark.parametrize("ladder", [{}, {Escalation.NOTICE: False}, {Escalation.LETTER: False},
                                    {Escalation.BULLETIN: False}])
def test_city_ladders_are_what_the_sweeper_does(ladder, monkeypatch):
    for level, enabled in ladder.items():
        EscalationStep.objects.update_or_create(level=level, defaults={"enabled": enabled})
    EscalationStep.objects.filter(level=Escalation.LETTER).update(grace_days=3)
    org = build_org(scale="small", seed=4)
    build_city_cases(org, count=300, seed=4, now=NOW, batch_size=300)
    generated = list(Problem.objects.filter(assigned_at__isnull=False).select_related("category", "area", "unit")
                     .order_by("id"))
    with_ladder = [p for p in generated if p.events.filter(action__in=LADDER).exists()]
    sample = with_ladder + [p for p in generated if p not in with_ladder][:10]
    assert len(with_ladder) >= 10
    Problem.objects.update(next_due_at=None)  # only the twins are swept

    from django.utils import timezone

    clock = [NOW]
    monkeypatch.setattr(timezone, "now", lambda: clock[0])
    seen = set()
    for problem in sample:
        twin = sweep_a_twin(problem, clock)
        made = [(e.action, e.at) for e in timeline(problem) if e.action in LADDER]
        swept = [(e.action, e.at) for e in timeline(twin) if e.action in LADDER]
        assert [a for a, _ in made] == [a for a, _ in swept], problem.code
        for (_, generated_at), (_, swept_at) in zip(made, swept, strict=True):
            assert swept_at <= generated_at <= swept_at + timedelta(minutes=15), problem.code
        documents = list(problem.notices.order_by("issued_at", "id"))
        assert [(n.kind, n.deadline, n.missed_deadline) for n in documents] == \
            [(n.kind, n.deadline, n.missed_deadline) for n in twin.notices.order_by("issued_at", "id")], problem.code
        cited = [e.data["notice"] for e in timeline(problem) if e.action in {NoticeKind.NOTICE, NoticeKind.LETTER}]
        assert cited == [n.number for n in documents], problem.code
        for field in ("escalation", "is_overdue", "overdue_at", "supervision_count", "in_bulletin"):
            assert getattr(problem, field) == getattr(twin, field), (problem.code, field)
        if problem.state in {State.ASSIGNED, State.RECTIFYING}:
            assert problem.next_due_at == twin.next_due_at, problem.code
        seen.update(a for a, _ in made)
    expected = {"warn", "overdue"} | {"notice", "letter", "bulletin"} - {
        {Escalation.NOTICE: "notice", Escalation.LETTER: "letter", Escalation.BULLETIN: "bulletin"}[level]
        for level in ladder}
    assert seen == expected
