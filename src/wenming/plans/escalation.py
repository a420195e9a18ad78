"""Tasks on the 督办 ladder (DESIGN.md §5, §7): a responsible unit's part in an issued task that is not at
100 % (by its latest accepted report) when the task's 完成时限 ends is 逾期 and gets a numbered 督办单 with a
new deadline; that passed, a 督办函 to the unit's head; that passed, the 通报批评 list — the problems' ladder
(cases.escalation.ladder, the office's rungs and grace days, the working calendar) and the same documents
(cases.notices), the task instead of a problem. Run by ``wenming sweep`` beside the problems' sweeper:
parts whose next step is due (partial index on ``next_due_at``) are claimed with a conditional update, so two
sweepers never act twice on one part."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from wenming.cases.escalation import ladder, sla
from wenming.cases.models import Notification
from wenming.cases.notices import services as notices
from wenming.core import audit, outbound, worktime
from wenming.core.dates import chinese_datetime

from .models import Assignment, AssignmentRole, ProgressReport, ReportStatus, TaskStatus


@dataclass
class TaskSweep:
    claimed: int = 0
    actions: dict[str, int] = field(default_factory=dict)


def deadline_of(assignment: Assignment, schedule) -> datetime | None:
    """The end of the office day of the task's 完成时限."""
    task = assignment.task
    return worktime.office_day_end(task.deadline, schedule) if task.deadline else None


def accepted_percent(assignment: Assignment) -> int:
    latest = (ProgressReport.objects.filter(assignment=assignment, status=ReportStatus.ACCEPTED)
              .order_by("-period_start", "-id").values_list("percent", flat=True).first())
    return latest or 0


def state(assignment: Assignment, schedule) -> ladder.LadderState:
    running = (assignment.role == AssignmentRole.RESPONSIBLE and assignment.task.status == TaskStatus.ISSUED
               and accepted_percent(assignment) < 100)
    return ladder.LadderState(running=running, deadline=deadline_of(assignment, schedule),
                              escalation=assignment.escalation, notice_deadline=assignment.notice_deadline)


def schedule(assignment: Assignment, schedule_, now: datetime | None = None) -> None:
    """Set when the sweeper must look at the part next (not saved)."""
    assignment.next_due_at = ladder.next_due(state(assignment, schedule_), now or timezone.now())


def watch(assignments, now: datetime | None = None) -> None:
    """Start the ladder of newly issued parts (plans.services.plan_issue)."""
    work = sla.work_schedule()
    for assignment in assignments:
        schedule(assignment, work, now)
        Assignment.objects.filter(pk=assignment.pk).update(next_due_at=assignment.next_due_at)


def sweep(now: datetime | None = None, limit: int = 500) -> TaskSweep:
    now = now or timezone.now()
    report = TaskSweep()
    due = list(Assignment.objects.filter(next_due_at__lte=now).order_by("next_due_at")
               .values_list("pk", "next_due_at")[:limit])
    if not due:
        return report
    work = sla.work_schedule()
    rules = sla.ladder_rules(work)
    for pk, due_at in due:
        with transaction.atomic():
            if not Assignment.objects.filter(pk=pk, next_due_at=due_at).update(next_due_at=None):
                continue
            report.claimed += 1
            assignment = (Assignment.objects.select_for_update(of=("self",))
                          .select_related("task", "task__plan", "unit").get(pk=pk))
            step = ladder.next_step(state(assignment, work), now, rules)
            if step is not None:
                _take(assignment, step, now)
                report.actions[step.kind or "level"] = report.actions.get(step.kind or "level", 0) + 1
            schedule(assignment, work, now)
            if assignment.next_due_at is not None and assignment.next_due_at <= now and step is None:
                assignment.next_due_at = None
            assignment.save(update_fields=["escalation", "overdue_at", "notice_deadline", "in_bulletin",
                                           "next_due_at"])
    return report


def _take(assignment: Assignment, step: ladder.Step, now: datetime) -> None:
    task = assignment.task
    assignment.escalation = step.escalation
    if step.overdue_at is not None:
        assignment.overdue_at = step.overdue_at
    if step.issues:
        missed = assignment.notice_deadline if step.kind == ladder.LETTER and assignment.notice_deadline \
            else step.due_at
        notice = notices.issue_for_task(assignment, step.kind, step.deadline, missed, now)
        assignment.notice_deadline = step.deadline
        audit.record(f"plans.task_{step.kind}", target=assignment, unit=assignment.unit, username="sweeper",
                     detail={"task": task.pk, "notice": notice.number, "deadline": step.deadline.isoformat()})
        _tell(assignment, f"{notice.get_kind_display()}：{notice.number} {task.plan.title}第{task.seq}项",
              f"任务已逾期，请于{chinese_datetime(step.deadline, year=False)}前完成并报送进度")
    elif step.kind == ladder.BULLETIN:
        assignment.in_bulletin = True
        audit.record("plans.task_bulletin", target=assignment, unit=assignment.unit, username="sweeper",
                     detail={"task": task.pk})
        _tell(assignment, f"列入通报批评：{task.plan.title}第{task.seq}项", "督办函期限已过仍未完成")


def _tell(assignment: Assignment, title: str, body: str) -> None:
    from django.urls import reverse

    from .services import _recipients

    users = sorted(_recipients({assignment.unit_id}).get(assignment.unit_id, set()))
    url = reverse("plans:task", args=[assignment.task_id])
    Notification.objects.bulk_create([Notification(user_id=uid, title=title[:120], body=body, url=url)
                                      for uid in users])
    from wenming.org.models import User

    for phone in User.objects.filter(pk__in=users).exclude(phone="").values_list("phone", flat=True):
        outbound.send_sms(phone, f"【创城办】{title}。{body}"[:300])
