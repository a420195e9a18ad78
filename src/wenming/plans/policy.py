"""Access policy of work plans and tasks (DESIGN.md §3, §4, §7).

* A plan is **managed** (edited, its stages and tasks, the 任务分解表 imported, 下发) by an office at or
  above the unit that owns it.
* A plan is **seen** by the offices, leaders and admins whose subtree holds its owner, and — once
  下发 — by the staff of every unit named in its tasks (and the offices and leaders above them): they
  see the plan and the tasks that name a unit of theirs.
* A unit's **assignment** is 签收ed by its office or handler (or an office above it).
"""

from __future__ import annotations

from functools import reduce
from operator import or_

from django.db.models import Q

from wenming.core import access
from wenming.org.models import Role

from .models import AssignmentRole, PlanStatus, TaskStatus

STAFF = {Role.OFFICE, Role.LEADER, Role.ADMIN, Role.HANDLER, Role.GRID_WORKER, Role.INSPECTOR}
OVERSEERS = {Role.OFFICE, Role.LEADER, Role.ADMIN}
SIGNERS = {Role.OFFICE, Role.HANDLER}


def _paths(user, roles) -> list[str]:
    return [path for path, _, role in access.scope_for(user).grants if role in roles]


def may_view(user) -> bool:
    """Sees the 工作方案 menu: any staff role."""
    return bool(access.scope_for(user).roles & STAFF)


def _named(user, prefix: str) -> Q | None:
    """Rows whose assignment unit (reached through ``prefix``) lies in the user's scope."""
    scope = access.scope_for(user)
    if not scope.roles & STAFF:
        return None
    parts = [Q(**{f"{prefix}unit_path__startswith": path}) for path in scope.subtree_paths]
    if scope.own_unit_ids:
        parts.append(Q(**{f"{prefix}unit_id__in": sorted(scope.own_unit_ids)}))
    return reduce(or_, parts) if parts else None


def plan_filter(user) -> Q:
    """Plans the user oversees, and plans with an issued task naming a unit of his (a draft task naming
    it does not open the plan to him)."""
    parts = [Q(owner_path__startswith=path) for path in _paths(user, OVERSEERS)]
    if _named(user, "") is not None:
        from .models import Task

        parts.append(Q(status=PlanStatus.ISSUED, pk__in=Task.objects.filter(
            _named(user, "assignments__"), status=TaskStatus.ISSUED).values("plan_id")))
    return reduce(or_, parts) if parts else Q(pk__in=[])


def oversees(user, plan) -> bool:
    """Sees the whole plan (every task): an office, leader or admin at or above its owner."""
    return any(plan.owner_path.startswith(path) for path in _paths(user, OVERSEERS))


def task_filter(user) -> Q:
    """The tasks the user sees: every task of a plan he oversees; an issued task naming a unit of his."""
    parts = [Q(plan__owner_path__startswith=path) for path in _paths(user, OVERSEERS)]
    named = _named(user, "assignments__")
    if named is not None:
        parts.append(Q(status=TaskStatus.ISSUED) & named)
    return reduce(or_, parts) if parts else Q(pk__in=[])


def may_create(user, owner=None) -> bool:
    paths = _paths(user, {Role.OFFICE})
    return bool(paths) if owner is None else any(owner.path.startswith(path) for path in paths)


def may_manage(user, plan) -> bool:
    """Edits the plan, its stages and tasks, imports and issues: an office at or above its owner."""
    return any(plan.owner_path.startswith(path) for path in _paths(user, {Role.OFFICE}))


def may_issue(user, plan) -> bool:
    return may_manage(user, plan) and plan.tasks.filter(status=TaskStatus.DRAFT).exists()


def may_sign(user, assignment) -> bool:
    """签收: the task is issued, not yet signed, and the user is the unit's office or handler (or an office above)."""
    if assignment.signed_at is not None or assignment.task.status != TaskStatus.ISSUED:
        return False
    return bool(access.scope_for(user).roles_at(assignment.unit) & SIGNERS)


def assignment_filter(user) -> Q:
    """The assignments of the units the user works at: an office its unit and those below, a handler
    (or grid worker, inspector) his own unit — 我的任务."""
    scope = access.scope_for(user)
    parts = [Q(unit_path__startswith=path) for path in _paths(user, {Role.OFFICE})]
    workers = {unit_id for _, unit_id, role in scope.grants if role in STAFF - OVERSEERS}
    if workers:
        parts.append(Q(unit_id__in=sorted(workers)))
    return reduce(or_, parts) if parts else Q(pk__in=[])


def office_paths(user) -> list[str]:
    """The units whose office the user is: the owners he may make a plan for."""
    return _paths(user, {Role.OFFICE})


def may_report(user, assignment) -> bool:
    """Reports progress on its part: a responsible unit's office or handler, once the task is issued."""
    if assignment.role != AssignmentRole.RESPONSIBLE or assignment.task.status != TaskStatus.ISSUED:
        return False
    return bool(access.scope_for(user).roles_at(assignment.unit) & SIGNERS)


def may_review_report(user, report) -> bool:
    """Accepts or returns ``report``: a reviewer of its task — but not one whose unit made the report (a unit that
    is both 牵头 and 责任 has its own reports reviewed by the office)."""
    if may_manage(user, report.task.plan):
        return True
    return reviews(user, report.task) and not (access.scope_for(user).roles_at(report.unit) & SIGNERS)


def reviews(user, task, lead_unit_ids: list[int] | None = None) -> bool:
    """Accepts or returns the task's reports: an office at or above the plan's owner, or the office or
    handler of one of the task's lead units (``lead_unit_ids``; read from the task when None)."""
    if may_manage(user, task.plan):
        return True
    if lead_unit_ids is None:
        lead_unit_ids = [a.unit_id for a in task.assignments.all() if a.role == AssignmentRole.LEAD]
    if not lead_unit_ids:
        return False
    from wenming.org.models import Unit

    scope = access.scope_for(user)
    return any(scope.roles_at(unit) & SIGNERS for unit in Unit.objects.filter(pk__in=lead_unit_ids))


def report_filter(user) -> Q:
    """Reports of the units in the user's scope (his unit's own reports, an office's those below it)."""
    named = _named(user, "")
    return named if named is not None else Q(pk__in=[])


def meeting_filter(user) -> Q:
    """Meetings of the units the user oversees (an office, leader or admin at or above the convening unit)."""
    parts = [Q(owner_path__startswith=path) for path in _paths(user, OVERSEERS)]
    return reduce(or_, parts) if parts else Q(pk__in=[])


def may_view_meetings(user) -> bool:
    return bool(_paths(user, OVERSEERS))


def may_manage_meeting(user, meeting) -> bool:
    """Records the meeting, its attachments and turns its decisions into tasks: an office at or above it."""
    return any(meeting.owner_path.startswith(path) for path in _paths(user, {Role.OFFICE}))
