"""Writes of the rectification loop. Every workflow action goes through :func:`_act`, which
checks role and reach against the transitions table (``workflow.machine``) before the
transaction, locks the problem, re-checks its state under the lock (so of two people acting at
once exactly one succeeds), applies the effects, appends the timeline event and sends the
notifications."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from wenming.core import access
from wenming.core.errors import Conflict, ServiceError
from wenming.core.services_photos import photos_publish
from wenming.org.models import Role, Unit

from .. import events, notify, policy
from ..escalation import sla
from ..intake import services as intake_services
from ..models import (
    Escalation,
    PhotoPhase,
    Problem,
    ProblemEvent,
    ProblemRequest,
    RequestStatus,
    Source,
    State,
)
from .machine import (
    BLOCKED_BY_REQUEST,
    BY_ACTION,
    TRANSITIONS,
    Transition,
    required,
    transition,
)

# --- actions ------------------------------------------------------------------------------------

def available_actions(user, problem: Problem, pending: ProblemRequest | None = None) -> list[Transition]:
    """The transitions ``user`` may take on ``problem`` now — what the page shows as buttons."""
    scope = access.scope_for(user)
    reach = policy.problem_reach(user, problem)
    result = []
    for t in TRANSITIONS:
        if problem.state not in t.sources or t.reach not in reach:
            continue
        if not (scope.roles & t.roles):
            continue
        if t.answers and (pending is None or pending.kind != t.answers):
            continue
        if pending is not None and t.action in BLOCKED_BY_REQUEST:
            continue
        if t.action == "escalate" and (problem.unit is None or problem.unit.parent_id is None):
            continue
        result.append(t)
    return result


def pending_request(problem: Problem) -> ProblemRequest | None:
    return problem.requests.filter(status=RequestStatus.PENDING).first()


class _Act:
    """Context for one action: the locked problem, the actor's role, the event to append."""

    def __init__(self, actor, problem: Problem, t: Transition, role: str, pending: ProblemRequest | None):
        self.actor, self.problem, self.t, self.role, self.pending = actor, problem, t, role, pending
        self.from_state = problem.state
        self.data: dict = {}
        self.photos: list = []


def require_may_act(actor, problem: Problem, action: str) -> None:
    """404 unless the actor sees the problem; 403 unless his roles and where he stands toward it
    (the transition's ``reach``) allow the action. Pages, the API and :func:`perform` ask this
    before they look at anything the actor sent: a refused actor is not told what was missing."""
    t = transition(action)
    if not policy.may_view_problem(actor, problem):
        access.refuse_not_found(actor, "problem", problem)
    if t.reach not in policy.problem_reach(actor, problem) or not (access.scope_for(actor).roles & t.roles):
        access.refuse_forbidden(actor, f"cases.{action}", problem, problem.unit or problem.area)


def _act(actor, problem: Problem, action: str, effect, note: str = "") -> Problem:
    t = transition(action)
    require_may_act(actor, problem, action)
    reach = policy.problem_reach(actor, problem)
    scope = access.scope_for(actor)
    with transaction.atomic(), sla.read_once():  # the deadline, then when to warn: one read of the calendar
        locked = Problem.objects.select_for_update(of=("self",)).select_related("unit", "area", "category").get(pk=problem.pk)
        pending = pending_request(locked)
        if locked.state not in t.sources:
            raise Conflict(f"该问题当前状态为“{locked.get_state_display()}”，不能{t.label}。可能已有他人处理，请刷新后查看。")
        if t.answers and (pending is None or pending.kind != t.answers):
            raise Conflict("没有待审核的相应申请，可能已有他人处理，请刷新后查看。")
        if pending is not None and action in BLOCKED_BY_REQUEST:
            raise ServiceError(f"该问题有待审核的{pending.get_kind_display()}，请等待创建办答复。")
        role = next(iter(scope.roles & t.roles)) if len(scope.roles & t.roles) == 1 else _best_role(scope, t, reach)
        ctx = _Act(actor, locked, t, role, pending)
        effect(ctx)
        if t.target is not None:
            locked.state = t.target
        sla.schedule(locked)
        locked.save()
        events.record(locked, actor, role, action, ctx.from_state, locked.state, note, photos=ctx.photos, data=ctx.data)
        notify.after_action(locked, action, actor=actor, note=note, data=ctx.data)
    problem.refresh_from_db()
    return locked


def _best_role(scope, t: Transition, reach: set[str]) -> str:
    if "office" in reach and Role.OFFICE in scope.roles and Role.OFFICE in t.roles:
        return Role.OFFICE
    return sorted(scope.roles & t.roles)[0]


def _decide(ctx: _Act, status: str, note: str) -> None:
    request = ctx.pending
    request.status = status
    request.decided_by = ctx.actor
    request.decided_at = timezone.now()
    request.decision_note = note
    request.save()
    ctx.data["request"] = request.kind


def _open_request(ctx: _Act, kind: str, reason: str, deadline: datetime | None = None) -> None:
    ProblemRequest.objects.create(problem=ctx.problem, kind=kind, reason=reason, requested_deadline=deadline,
                                  requested_by=ctx.actor)
    ctx.data["request"] = kind
    if deadline:
        ctx.data["requested_deadline"] = deadline.isoformat()


MAX_DEADLINE_DAYS = 3 * 366  # a deadline further away than this is a typing error, not a plan


def check_deadline(deadline: datetime | None, now: datetime, *, label: str = "整改期限") -> None:
    """Every deadline a user gives: later than now, and within ``MAX_DEADLINE_DAYS``."""
    if deadline is None:
        return
    if deadline <= now:
        raise ServiceError(f"{label}必须晚于现在", field="deadline")
    if deadline - now > timedelta(days=MAX_DEADLINE_DAYS):
        raise ServiceError(f"{label}不能晚于{MAX_DEADLINE_DAYS // 366}年之后，请核对日期", field="deadline")


def _need(value, message: str):
    if value is None or (isinstance(value, str) and not value.strip()):
        raise ServiceError(message)
    return value


def _assign_to(ctx: _Act, unit: Unit, deadline: datetime | None) -> None:
    problem = ctx.problem
    if not access.scope_for(ctx.actor).sees_unit(unit):
        raise ServiceError("责任单位不在您的管理范围内")
    now = timezone.now()
    problem.unit, problem.unit_path = unit, unit.path
    problem.assigned_at = now
    problem.signed_at = None
    check_deadline(deadline, now)
    problem.deadline = deadline or sla.deadline_for(problem.category, problem.severity, now)
    check_deadline(problem.deadline, now)
    problem.escalation, problem.is_overdue, problem.overdue_at = Escalation.NONE, False, None
    ctx.data.update({"unit": unit.name, "unit_code": unit.code, "deadline": problem.deadline.isoformat()})


def problem_accept(*, actor, problem: Problem, note: str = "") -> Problem:
    return _act(actor, problem, "accept", lambda ctx: None, note)


def problem_assign(*, actor, problem: Problem, unit: Unit, deadline: datetime | None = None, verifier=None,
                   note: str = "") -> Problem:
    def effect(ctx):
        _assign_to(ctx, unit, deadline)
        if verifier is not None:
            if not policy.may_verify(verifier, ctx.problem):
                raise ServiceError(policy.VERIFIER_REFUSED, field="verifier")
            ctx.problem.verifier = verifier
        elif ctx.problem.verifier_id is None and ctx.problem.reporter_id and ctx.problem.source == Source.INSPECTION:
            ctx.problem.verifier_id = ctx.problem.reporter_id  # the inspector who found it re-checks it

    return _act(actor, problem, "assign", effect, note)


def problem_reject(*, actor, problem: Problem, reason: str) -> Problem:
    _need(reason, "请填写不予受理的理由")
    return _act(actor, problem, "reject", lambda ctx: None, reason)


def problem_merge(*, actor, problem: Problem, keep: Problem, note: str = "") -> Problem:
    if keep.pk == problem.pk:
        raise ServiceError("不能与自身合并")
    if not Problem.objects.filter(policy.problem_filter(actor), pk=keep.pk).exists():
        raise ServiceError("找不到要保留的问题，或不在您的范围内")
    if keep.state in {State.MERGED, State.REJECTED}:
        raise ServiceError(f"保留的问题{keep.code}已{keep.get_state_display()}，请选择其他问题")

    def effect(ctx):
        ctx.problem.merged_into = keep
        ctx.data["keep"] = keep.code
        # the reporter of the duplicate follows the kept problem
        if ctx.problem.reporter_id:
            keep.followers.add(ctx.problem.reporter_id)
        for follower in ctx.problem.followers.all():
            keep.followers.add(follower)
        ProblemEvent.objects.create(problem=keep, action="merged_in", actor=actor, actor_role=ctx.role,
                                    at=timezone.now(), from_state=keep.state, to_state=keep.state,
                                    note=f"合并了重复问题 {ctx.problem.code}", data={"merged": ctx.problem.code})

    return _act(actor, problem, "merge", effect, note or f"与{keep.code}重复")


def problem_sign(*, actor, problem: Problem) -> Problem:
    def effect(ctx):
        ctx.problem.signed_at = timezone.now()

    return _act(actor, problem, "sign", effect)


def problem_request_return(*, actor, problem: Problem, reason: str) -> Problem:
    _need(reason, "请说明申请退回的理由")
    return _act(actor, problem, "request_return",
                lambda ctx: _open_request(ctx, "return", reason), reason)


def problem_approve_return(*, actor, problem: Problem, note: str = "") -> Problem:
    def effect(ctx):
        _decide(ctx, RequestStatus.APPROVED, note)
        ctx.data["from_unit"] = ctx.problem.unit.name
        ctx.problem.unit, ctx.problem.unit_path, ctx.problem.deadline = None, "", None
        ctx.problem.returned_count += 1

    return _act(actor, problem, "approve_return", effect, note)


def problem_refuse_return(*, actor, problem: Problem, reason: str) -> Problem:
    _need(reason, "请说明不同意的理由")
    return _act(actor, problem, "refuse_return", lambda ctx: _decide(ctx, RequestStatus.REFUSED, reason), reason)


def problem_request_coordination(*, actor, problem: Problem, reason: str) -> Problem:
    _need(reason, "请说明需要协调的事项")
    return _act(actor, problem, "request_coordination",
                lambda ctx: _open_request(ctx, "coordination", reason), reason)


def problem_reassign(*, actor, problem: Problem, unit: Unit, deadline: datetime | None = None,
                     note: str = "") -> Problem:
    def effect(ctx):
        if ctx.problem.unit_id == unit.pk:
            raise ServiceError("新的责任单位与原单位相同")
        ctx.data["from_unit"] = ctx.problem.unit.name if ctx.problem.unit_id else ""
        if ctx.pending is not None and ctx.pending.kind == "coordination":
            _decide(ctx, RequestStatus.APPROVED, note)
        _assign_to(ctx, unit, deadline)

    return _act(actor, problem, "reassign", effect, note)


def problem_escalate(*, actor, problem: Problem, deadline: datetime | None = None, note: str = "") -> Problem:
    def effect(ctx):
        parent = ctx.problem.unit.parent if ctx.problem.unit_id else None
        if parent is None:
            raise ServiceError("该单位没有上级单位，不能提级")
        ctx.data["from_unit"] = ctx.problem.unit.name
        if ctx.pending is not None and ctx.pending.kind == "coordination":
            _decide(ctx, RequestStatus.APPROVED, note)
        _assign_to(ctx, parent, deadline)

    return _act(actor, problem, "escalate", effect, note)


def problem_refuse_coordination(*, actor, problem: Problem, reason: str) -> Problem:
    _need(reason, "请说明不同意的理由")
    return _act(actor, problem, "refuse_coordination",
                lambda ctx: _decide(ctx, RequestStatus.REFUSED, reason), reason)


def problem_request_extension(*, actor, problem: Problem, deadline: datetime, reason: str) -> Problem:
    _need(reason, "请说明申请延期的理由")
    _need(deadline, "请填写申请延至的日期")

    def effect(ctx):
        check_deadline(deadline, timezone.now(), label="申请延至的日期")
        if ctx.problem.deadline and deadline <= ctx.problem.deadline:
            raise ServiceError("申请延至的日期须晚于现在的整改期限", field="deadline")
        _open_request(ctx, "extension", reason, deadline)

    return _act(actor, problem, "request_extension", effect, reason)


def problem_approve_extension(*, actor, problem: Problem, deadline: datetime | None = None,
                              note: str = "") -> Problem:
    def effect(ctx):
        new_deadline = deadline or ctx.pending.requested_deadline
        check_deadline(new_deadline, timezone.now(), label="新的整改期限")
        _decide(ctx, RequestStatus.APPROVED, note)
        ctx.data.update({"old_deadline": ctx.problem.deadline.isoformat() if ctx.problem.deadline else None,
                         "deadline": new_deadline.isoformat()})
        # an approved extension re-bases the 督办 ladder on the new deadline (DESIGN.md §5): warn
        # again before it, and 督办单 only once it passes; notices already issued stay on record
        ctx.problem.deadline = new_deadline
        ctx.problem.escalation, ctx.problem.is_overdue, ctx.problem.overdue_at = Escalation.NONE, False, None

    return _act(actor, problem, "approve_extension", effect, note)


def problem_refuse_extension(*, actor, problem: Problem, reason: str) -> Problem:
    _need(reason, "请说明不同意的理由")
    return _act(actor, problem, "refuse_extension",
                lambda ctx: _decide(ctx, RequestStatus.REFUSED, reason), reason)


def problem_submit(*, actor, problem: Problem, photos, note: str) -> Problem:
    _need(note, "请说明整改情况")
    if not photos:
        raise ServiceError("请上传至少一张整改后照片")

    def effect(ctx):
        ctx.problem.submitted_at = timezone.now()
        events.attach_photos(ctx.problem, photos, PhotoPhase.AFTER)
        ctx.photos = list(photos)

    return _act(actor, problem, "submit", effect, note)


def problem_verify_pass(*, actor, problem: Problem, note: str = "") -> Problem:
    def effect(ctx):
        p = ctx.problem
        now = timezone.now()
        p.closed_at = now
        p.closed_on_time = bool(p.deadline and p.submitted_at and p.submitted_at <= p.deadline)
        p.handling_hours = sla.working_hours_between(p.assigned_at or p.created_at, p.submitted_at or now)
        # 结单公示: the closed problem's photos become public (they carry no personal data)
        photos_publish(photos=[link.photo for link in p.photos.select_related("photo")])
        ctx.data.update({"on_time": p.closed_on_time, "handling_hours": round(p.handling_hours, 2)})

    return _act(actor, problem, "verify_pass", effect, note)


def problem_verify_fail(*, actor, problem: Problem, reason: str, deadline: datetime | None = None) -> Problem:
    _need(reason, "请说明复核不通过的原因")

    def effect(ctx):
        ctx.problem.rework_count += 1
        ctx.problem.submitted_at = None
        if deadline is not None:
            check_deadline(deadline, timezone.now(), label="新的整改期限")
            ctx.data["deadline"] = deadline.isoformat()
            ctx.problem.deadline = deadline
        ctx.data["rework"] = ctx.problem.rework_count

    return _act(actor, problem, "verify_fail", effect, reason)


def problem_recur(*, actor, problem: Problem, note: str, photos=()) -> Problem:
    """A closed problem is back: a new problem, linked as 反弹, assigned to the same unit."""
    _need(note, "请说明反弹情况")
    created: list[Problem] = []

    def effect(ctx):
        old = ctx.problem
        now = timezone.now()
        new = Problem.objects.create(
            code=intake_services.next_code(timezone.localtime(now).year), title=old.title, description=note,
            tracking_code=intake_services.new_tracking_code(),
            category=old.category, severity=old.severity, source=Source.INSPECTION, area=old.area,
            area_path=old.area_path, address=old.address, latitude=old.latitude, longitude=old.longitude,
            reporter=actor, reporter_name=actor.display_name, created_by=actor, recurrence_of=old,
            unit=old.unit, unit_path=old.unit_path, state=State.ASSIGNED, assigned_at=now,
            deadline=sla.deadline_for(old.category, old.severity, now), verifier=old.verifier or actor)
        events.attach_photos(new, photos, PhotoPhase.BEFORE)
        sla.schedule(new)
        new.save()
        events.record(new, actor, ctx.role, "report", "", State.ASSIGNED, note, photos=photos,
               data={"recurrence_of": old.code, "unit": old.unit.name if old.unit_id else ""})
        ctx.data["recurrence"] = new.code
        created.append(new)

    _act(actor, problem, "recur", effect, note)
    notify.after_action(created[0], "assign", actor=actor, note=note, data={})
    return created[0]


def perform(*, actor, problem: Problem, action: str, note: str = "", reason: str = "", unit: Unit | None = None,
            deadline: datetime | None = None, keep: Problem | None = None, verifier=None, photos=()) -> Problem:
    """One entry for the pages and the API: the inputs a transition names, to its service."""
    if action not in BY_ACTION:
        raise ServiceError(f"未知操作：{action}")
    t = BY_ACTION[action]
    require_may_act(actor, problem, action)  # the permission first, then what is missing
    given = {"note": note, "reason": reason, "unit": unit, "deadline": deadline, "keep": keep, "photos": photos}
    labels = {"reason": "理由", "unit": "责任单位", "deadline": "期限", "keep": "保留的问题", "photos": "照片",
              "note": "说明"}
    for need in required(t):
        if not given.get(need):
            raise ServiceError(f"{t.label}须填写{labels[need]}", field=need)
    calls = {
        "accept": lambda: problem_accept(actor=actor, problem=problem, note=note),
        "assign": lambda: problem_assign(actor=actor, problem=problem, unit=unit, deadline=deadline,
                                         verifier=verifier, note=note),
        "reject": lambda: problem_reject(actor=actor, problem=problem, reason=reason),
        "merge": lambda: problem_merge(actor=actor, problem=problem, keep=keep, note=note),
        "sign": lambda: problem_sign(actor=actor, problem=problem),
        "request_return": lambda: problem_request_return(actor=actor, problem=problem, reason=reason),
        "approve_return": lambda: problem_approve_return(actor=actor, problem=problem, note=note),
        "refuse_return": lambda: problem_refuse_return(actor=actor, problem=problem, reason=reason),
        "request_coordination": lambda: problem_request_coordination(actor=actor, problem=problem, reason=reason),
        "reassign": lambda: problem_reassign(actor=actor, problem=problem, unit=unit, deadline=deadline, note=note),
        "escalate": lambda: problem_escalate(actor=actor, problem=problem, deadline=deadline, note=note),
        "refuse_coordination": lambda: problem_refuse_coordination(actor=actor, problem=problem, reason=reason),
        "request_extension": lambda: problem_request_extension(actor=actor, problem=problem, deadline=deadline,
                                                               reason=reason),
        "approve_extension": lambda: problem_approve_extension(actor=actor, problem=problem, deadline=deadline,
                                                               note=note),
        "refuse_extension": lambda: problem_refuse_extension(actor=actor, problem=problem, reason=reason),
        "submit": lambda: problem_submit(actor=actor, problem=problem, photos=photos, note=note),
        "verify_pass": lambda: problem_verify_pass(actor=actor, problem=problem, note=note),
        "verify_fail": lambda: problem_verify_fail(actor=actor, problem=problem, reason=reason, deadline=deadline),
        "recur": lambda: problem_recur(actor=actor, problem=problem, note=note, photos=photos),
    }
    return calls[action]()
