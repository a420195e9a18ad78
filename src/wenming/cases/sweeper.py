"""The sweeper: finds problems whose next step is due (through the partial index on
``next_due_at``), claims each with a conditional update — so two sweepers never act twice on
one problem — and takes the step: warn before the deadline; at the deadline mark it overdue and
issue a 督办单; then a 督办函 to the unit's head and patron leader; then the 通报批评 list."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from wenming.core import worktime

from . import notices, notify, sla
from .models import RUNNING_STATES, Escalation, EscalationStep, NoticeKind, Problem
from .services import system_event

DEFAULT_GRACE_DAYS = 2


@dataclass
class SweepReport:
    claimed: int = 0
    skipped: int = 0
    actions: dict[str, int] = field(default_factory=dict)

    def count(self, action: str) -> None:
        self.actions[action] = self.actions.get(action, 0) + 1


def _steps() -> dict[int, EscalationStep]:
    return {step.level: step for step in EscalationStep.objects.all()}


def sweep(now: datetime | None = None, limit: int = 500) -> SweepReport:
    now = now or timezone.now()
    report = SweepReport()
    due = list(Problem.objects.filter(next_due_at__lte=now).order_by("next_due_at")
               .values_list("pk", "next_due_at")[:limit])
    steps = _steps()
    schedule = sla.work_schedule()
    for pk, due_at in due:
        with transaction.atomic():
            # the claim: only the sweeper that still sees the same due time takes the row
            if not Problem.objects.filter(pk=pk, next_due_at=due_at).update(next_due_at=None):
                report.skipped += 1
                continue
            report.claimed += 1
            problem = Problem.objects.select_for_update(of=("self",)).select_related("unit", "area", "category").get(pk=pk)
            action = _step(problem, now, steps, schedule)
            if action:
                report.count(action)
            sla.schedule(problem)
            if problem.next_due_at is not None and problem.next_due_at <= now and action is None:
                problem.next_due_at = None  # nothing to do and nothing later: stop watching
            problem.save()
    return report


def _grace(steps, level: int) -> int:
    step = steps.get(level)
    return step.grace_days if step else DEFAULT_GRACE_DAYS


def _enabled(steps, level: int) -> bool:
    step = steps.get(level)
    return step.enabled if step else True


def _step(problem: Problem, now: datetime, steps, schedule) -> str | None:
    if problem.state not in RUNNING_STATES or not problem.deadline:
        return None
    if problem.escalation == Escalation.NONE and now < problem.deadline:
        problem.escalation = Escalation.WARNED
        system_event(problem, "warn", f"距整改期限不足{sla.warn_hours_for(problem.category, problem.severity)}个工作小时")
        notify.warned(problem)
        return "warn"
    if problem.escalation < Escalation.NOTICE and now >= problem.deadline:
        problem.is_overdue, problem.overdue_at = True, problem.deadline
        system_event(problem, "overdue", "已超过整改期限，逾期")
        if _enabled(steps, Escalation.NOTICE):
            return _issue(problem, NoticeKind.NOTICE, Escalation.NOTICE, now, steps, schedule)
        problem.escalation = Escalation.NOTICE
        return "overdue"
    stage = sla.stage_deadline(problem)
    if stage is None or now < stage:
        return None
    if problem.escalation == Escalation.NOTICE:
        if _enabled(steps, Escalation.LETTER):
            return _issue(problem, NoticeKind.LETTER, Escalation.LETTER, now, steps, schedule)
        problem.escalation = Escalation.LETTER
    if problem.escalation == Escalation.LETTER and _enabled(steps, Escalation.BULLETIN):
        problem.escalation = Escalation.BULLETIN
        problem.in_bulletin = True
        system_event(problem, "bulletin", "督办函期限已过仍未整改，列入下期通报批评名单")
        notify.bulletined(problem)
        return "bulletin"
    return None


def _issue(problem: Problem, kind: str, level: int, now: datetime, steps, schedule) -> str:
    deadline = worktime.add_working_days(now, _grace(steps, level), schedule)
    notice = notices.issue(problem, kind, deadline, now)
    problem.escalation = level
    problem.supervision_count += 1
    system_event(problem, kind, f"下发{notice.get_kind_display()} {notice.number}，限{timezone.localtime(deadline):%m月%d日%H:%M}前整改",
                 data={"notice": notice.number, "deadline": deadline.isoformat()})
    notify.escalated(problem, notice)
    return kind
