"""Deadlines: the SLA table and the office's working calendar, on top of core.worktime; the
office's 督办 ladder (``EscalationStep``) and a problem's place on it, for ``escalation.ladder``.

A year the calendar library does not cover is counted on its computed statutory holidays; its 调休
are unknown until the office enters them and confirms the year (``CalendarYear``), and until then
every deadline in it carries :func:`calendar_warning`. A deadline given as a date alone is the end
of that office day (:func:`user_deadline`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from functools import partial

from django.utils import timezone

from wenming.core import worktime
from wenming.core.middleware import current_request

from ..models import (
    RUNNING_STATES,
    CalendarOverride,
    CalendarYear,
    CaseSettings,
    Category,
    Escalation,
    EscalationStep,
    Problem,
    SlaRule,
    SlaUnit,
)
from . import ladder

# used when the table has no rule at all for a severity (DESIGN.md §5)
DEFAULT_LIMITS = {"urgent": (0, SlaUnit.DAYS), "normal": (3, SlaUnit.DAYS), "difficult": (15, SlaUnit.DAYS),
                  "long_term": (60, SlaUnit.DAYS)}
DEFAULT_WARN_HOURS = 4


# what ``read_once`` keeps: the working calendar, the SLA rules by severity
_tables: ContextVar[dict | None] = ContextVar("wenming_sla_tables", default=None)


@contextmanager
def read_once() -> Iterator[None]:
    """Within the block, the working calendar and the SLA rules are read from the database at
    their first use only, then reused — for one action (its deadline, then when to warn), or
    for the actions of one write (the problems one inspection raises). Nested blocks share the
    outer one's. Not for blocks that change the calendar or the rules."""
    if _tables.get() is not None:
        yield
        return
    token = _tables.set({})
    try:
        yield
    finally:
        _tables.reset(token)


def case_settings() -> CaseSettings:
    row = CaseSettings.objects.order_by("pk").first()
    return row if row is not None else CaseSettings.objects.create()


def work_schedule() -> worktime.Schedule:
    tables = _tables.get()
    if tables is not None and "schedule" in tables:
        return tables["schedule"]
    row = case_settings()
    overrides = dict(CalendarOverride.objects.values_list("day", "is_workday"))
    result = worktime.Schedule(periods=((row.morning_start, row.morning_end), (row.afternoon_start, row.afternoon_end)),
                               overrides=overrides)
    if tables is not None:
        tables["schedule"] = result
    return result


def end_of_office_day(day: date, schedule=None) -> datetime:
    """The end of the office day ``day`` (the afternoon's end, 17:30 by default)."""
    return worktime.office_day_end(day, schedule or work_schedule())


def user_deadline(value: date | datetime | None) -> datetime | None:
    """A deadline as a person gave it: a date alone is the end of that office day, a naive
    datetime is local time."""
    if value is None:
        return None
    if not isinstance(value, datetime):
        return end_of_office_day(value)
    return timezone.make_aware(value) if timezone.is_naive(value) else value


# --- years whose 调休 are not known -----------------------------------------------------------------

CALENDAR_WARNING = "{year}年调休安排尚未录入，期限按法定节假日推算，可能与实际不符"
_CONFIRMED_MEMO = "_wenming_calendar_years"


def confirmed_years() -> frozenset[int]:
    """The years whose 调休 the office has entered and confirmed (``CalendarYear``); read once per
    request (and per ``read_once`` block)."""
    tables = _tables.get()
    if tables is not None and "years" in tables:
        return tables["years"]
    request = current_request()
    years = getattr(request, _CONFIRMED_MEMO, None) if request is not None else None
    if years is None:
        years = frozenset(CalendarYear.objects.values_list("year", flat=True))
        if request is not None:
            setattr(request, _CONFIRMED_MEMO, years)
    if tables is not None:
        tables["years"] = years
    return years


def forget_confirmed_years() -> None:
    """After the office confirms or withdraws a year within a request."""
    request = current_request()
    if request is not None and hasattr(request, _CONFIRMED_MEMO):
        delattr(request, _CONFIRMED_MEMO)
    tables = _tables.get()
    if tables is not None:
        tables.pop("years", None)


def calendar_estimated(year: int) -> bool:
    """True while ``year``'s working days are an estimate: the calendar library does not have it yet
    (they are counted on the computed statutory holidays) and the office has not confirmed that it
    entered the year's 调休."""
    return worktime.holidays_computed(year) and year not in confirmed_years()


def calendar_warning(moment: date | datetime | None) -> str | None:
    """The warning a deadline (or any date counted in working time) carries when its year's
    calendar is an estimate, else None. No query for a year the library covers."""
    if moment is None:
        return None
    if isinstance(moment, datetime):
        moment = timezone.localtime(moment) if timezone.is_aware(moment) else moment
    return CALENDAR_WARNING.format(year=moment.year) if calendar_estimated(moment.year) else None


def _rules(severity: str) -> dict:
    tables = _tables.get()
    key = ("rules", severity)
    if tables is not None and key in tables:
        return tables[key]
    rules = {r.category_id: r for r in SlaRule.objects.filter(severity=severity)}
    if tables is not None:
        tables[key] = rules
    return rules


def rule_for(category: Category, severity: str) -> SlaRule | None:
    """The most specific rule: the category, then its parent, then any category."""
    rules = _rules(severity)
    for key in (category.pk, category.parent_id, None):
        if key in rules:
            return rules[key]
    return None


def deadline_for(category: Category, severity: str, start: datetime, schedule=None) -> datetime:
    schedule = schedule or work_schedule()
    rule = rule_for(category, severity)
    limit, unit = (rule.limit, rule.limit_unit) if rule else DEFAULT_LIMITS[severity]
    if unit == SlaUnit.HOURS:
        return worktime.add_working_hours(start, limit, schedule)
    return worktime.add_working_days(start, limit, schedule)


def warn_hours_for(category: Category, severity: str) -> int:
    rule = rule_for(category, severity)
    return rule.warn_hours if rule else DEFAULT_WARN_HOURS


def working_hours_between(a: datetime, b: datetime, schedule=None) -> float:
    return worktime.working_hours_between(a, b, schedule or work_schedule())


def warn_at(problem: Problem, schedule=None) -> datetime | None:
    """When ``warn_hours`` of office time remain before the deadline (``ladder.warn_time``)."""
    if not problem.deadline or not problem.assigned_at:
        return None
    schedule = schedule or work_schedule()
    return ladder.warn_time(problem.assigned_at, problem.deadline,
                                warn_hours_for(problem.category, problem.severity),
                                hours_between=partial(worktime.working_hours_between, schedule=schedule),
                                add_hours=partial(worktime.add_working_hours, schedule=schedule))


def ladder_rules(schedule=None, *, add_working_days: Callable[[datetime, int], datetime] | None = None
                 ) -> ladder.LadderRules:
    """The office's 督办 ladder, its deadlines counted on the working calendar (or ``add_working_days``)."""
    if add_working_days is None:
        add_working_days = partial(worktime.add_working_days, schedule=schedule or work_schedule())
    return ladder.LadderRules.from_steps(EscalationStep.objects.all(), add_working_days)


def _notice_deadline(problem: Problem) -> datetime | None:
    """The deadline of the problem's latest 督办单/督办函 — read only while one sets the pace."""
    if problem.escalation not in (Escalation.NOTICE, Escalation.LETTER) or not problem.pk:
        return None
    return problem.notices.order_by("-issued_at", "-id").values_list("deadline", flat=True).first()


def ladder_state(problem: Problem, schedule=None, *, paused: bool = False) -> ladder.LadderState:
    """The problem's place on the 督办 ladder (the warning time only while nothing has happened yet)."""
    warning = warn_at(problem, schedule) if problem.escalation == Escalation.NONE else None
    return ladder.LadderState(running=problem.state in RUNNING_STATES, deadline=problem.deadline,
                                  escalation=problem.escalation, warn_at=warning,
                                  notice_deadline=_notice_deadline(problem), paused=paused)


def stage_deadline(problem: Problem) -> datetime | None:
    """The deadline now running: the latest 督办单/督办函's, else the problem's own."""
    return ladder.LadderState(running=problem.state in RUNNING_STATES, deadline=problem.deadline,
                                  escalation=problem.escalation,
                                  notice_deadline=_notice_deadline(problem)).stage_deadline


def schedule(problem: Problem) -> None:
    """Set ``next_due_at``: when the sweeper must next look at the problem (``ladder.next_due``).
    Only problems whose clock runs (交办 or 整改中) are watched; submitting stops the clock, 退回重改
    restarts it."""
    if problem.state not in RUNNING_STATES or not problem.deadline:
        problem.next_due_at = None
        return
    if problem.pk and problem.requests.filter(status="pending", kind="return").exists():
        # the unit says the problem is not its duty: its clock waits for the office's answer
        problem.next_due_at = None
        return
    problem.next_due_at = ladder.next_due(ladder_state(problem), timezone.now())
