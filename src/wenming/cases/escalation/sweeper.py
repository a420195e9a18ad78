"""The sweeper: finds problems whose next step is due (through the partial index on
``next_due_at``), claims each with a conditional update — so two sweepers never act twice on
one problem — and takes the step the ladder says is due (``cases.escalation.ladder.next_step``): warn
before the deadline; at the deadline mark it overdue and issue a 督办单; then a 督办函 to the
unit's head and patron leader; then the 通报批评 list. Here: the claim, the lock, the documents,
the timeline events and the notifications."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from wenming.core.dates import chinese_datetime

from .. import notify
from ..events import system_event
from ..models import Problem
from ..notices import services as notices
from . import ladder, sla


@dataclass
class SweepReport:
    claimed: int = 0
    skipped: int = 0
    actions: dict[str, int] = field(default_factory=dict)

    def count(self, action: str) -> None:
        self.actions[action] = self.actions.get(action, 0) + 1


def sweep(now: datetime | None = None, limit: int = 500) -> SweepReport:
    now = now or timezone.now()
    report = SweepReport()
    due = list(Problem.objects.filter(next_due_at__lte=now).order_by("next_due_at")
               .values_list("pk", "next_due_at")[:limit])
    schedule = sla.work_schedule()
    rules = sla.ladder_rules(schedule)
    for pk, due_at in due:
        with transaction.atomic():
            # the claim: only the sweeper that still sees the same due time takes the row
            if not Problem.objects.filter(pk=pk, next_due_at=due_at).update(next_due_at=None):
                report.skipped += 1
                continue
            report.claimed += 1
            problem = Problem.objects.select_for_update(of=("self",)).select_related("unit", "area", "category").get(pk=pk)
            action = _take(problem, now, rules, schedule)
            if action:
                report.count(action)
            sla.schedule(problem)
            if problem.next_due_at is not None and problem.next_due_at <= now and action is None:
                problem.next_due_at = None  # nothing to do and nothing later: stop watching
            problem.save()
    return report


def _take(problem: Problem, now: datetime, rules: ladder.LadderRules, schedule) -> str | None:
    """Take the step due at ``now`` on ``problem`` (locked); the action taken, or None."""
    step = ladder.next_step(sla.ladder_state(problem, schedule), now, rules)
    if step is None:
        return None
    if step.overdue_at is not None:
        problem.is_overdue, problem.overdue_at = True, step.overdue_at
        system_event(problem, "overdue", "已超过整改期限，逾期")
    if step.kind == ladder.WARN:
        problem.escalation = step.escalation
        system_event(problem, "warn", f"距整改期限不足{sla.warn_hours_for(problem.category, problem.severity)}个工作小时")
        notify.warned(problem)
    elif step.issues:
        notice = notices.issue(problem, step.kind, step.deadline, now)
        problem.escalation = step.escalation
        problem.supervision_count += 1
        system_event(problem, step.kind, f"下发{notice.get_kind_display()} {notice.number}，"
                                         f"限{chinese_datetime(step.deadline, year=False)}前整改",
                     data={"notice": notice.number, "deadline": step.deadline.isoformat()})
        notify.escalated(problem, notice)
    elif step.kind == ladder.BULLETIN:
        problem.escalation = step.escalation
        problem.in_bulletin = True
        system_event(problem, "bulletin", "督办函期限已过仍未整改，列入下期通报批评名单")
        notify.bulletined(problem)
    else:  # 逾期 without a 督办单, or past disabled rungs only
        problem.escalation = step.escalation
    return step.kind
