"""Writes of work plans: the plan, its stages, its tasks (by hand; the 任务分解表 import is
plans.transfer), 下发 and 签收. Each checks plans.policy, runs in one transaction and writes an audit
event; 下发 tells every named unit (inbox, and SMS when asked) after the tasks are checked for the 四明确."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from wenming.cases.models import Notification
from wenming.cases.notify import nearest_office_users
from wenming.core import access, audit, outbound
from wenming.core.errors import Conflict, ValidationFailed
from wenming.org.models import Membership, Role, Unit, User
from wenming.standards.models import Indicator

from . import policy
from .models import (
    Assignment,
    AssignmentRole,
    Cadence,
    PlanFile,
    PlanStatus,
    Source,
    Stage,
    Task,
    TaskStatus,
    WorkPlan,
)
from .services_reports import check_files, store_file
from .targets import Target

PLAN_LIMITS = {"title": (200, "方案名称"), "doc_number": (60, "文号"), "body": (20000, "方案说明")}
TEXT_LIMITS = {"content": (2000, "任务内容"), "standard": (2000, "工作标准"), "person": (100, "责任人")}
YEARS = (2000, 2100)
MAX_WEIGHT = Decimal(100)


def _text(errors: dict, name: str, value, limit: int, label: str, *, required: bool = False) -> str:
    value = (value or "").strip()
    if "\x00" in value:
        errors[name] = f"{label}含有空字符（\\0），请删除后重试"
    elif len(value) > limit:
        errors[name] = f"{label}最多{limit}个字，现有{len(value)}个字"
    elif required and not value:
        errors[name] = f"请填写{label}"
    return value


def _raise(errors: dict) -> None:
    if errors:
        raise ValidationFailed("；".join(errors.values()), errors=errors)


# --- plans ---------------------------------------------------------------------------------------------------

def _plan_fields(title, year, doc_number, body, end_year=None, files=()) -> tuple[dict, list]:
    errors: dict[str, str] = {}
    clean = {"title": _text(errors, "title", title, *PLAN_LIMITS["title"], required=True),
             "doc_number": _text(errors, "doc_number", doc_number, *PLAN_LIMITS["doc_number"]),
             "body": _text(errors, "body", body, *PLAN_LIMITS["body"])}
    if not isinstance(year, int) or not YEARS[0] <= year <= YEARS[1]:
        errors["year"] = f"年度应为{YEARS[0]}至{YEARS[1]}之间的整数"
    elif end_year is not None and (not isinstance(end_year, int) or not year <= end_year <= year + 10):
        errors["end_year"] = f"截止年度应在{year}至{year + 10}年之间（一年期的方案不填）"
    checked = check_files(list(files), errors, label="方案文件")
    _raise(errors)
    return {**clean, "year": year, "end_year": end_year if end_year != year else None}, checked


def _store_plan_files(plan: WorkPlan, checked: list) -> None:
    for data, filename, found in checked:
        store_file(PlanFile(plan=plan), data, filename, found)


def plan_create(*, actor, owner: Unit, title: str, year: int, doc_number: str = "", body: str = "",
                system=None, end_year: int | None = None, files=()) -> WorkPlan:
    if not policy.may_create(actor, owner):
        access.refuse_forbidden(actor, "plans.plan_create", target=owner, unit=owner)
    clean, checked = _plan_fields(title, year, doc_number, body, end_year, files)
    with transaction.atomic():
        plan = WorkPlan.objects.create(owner=owner, owner_path=owner.path, system=system, created_by=actor, **clean)
        _store_plan_files(plan, checked)
        audit.record("plans.plan_create", actor=actor, target=plan, unit=owner,
                     detail={"title": plan.title, "year": plan.year, "end_year": plan.end_year, "files": len(checked)})
    return plan


def plan_update(*, actor, plan: WorkPlan, title: str, year: int, doc_number: str = "", body: str = "",
                system=None, end_year: int | None = None, files=()) -> WorkPlan:
    if not policy.may_manage(actor, plan):
        access.refuse_forbidden(actor, "plans.plan_update", target=plan, unit=plan.owner)
    clean, checked = _plan_fields(title, year, doc_number, body, end_year, files)
    with transaction.atomic():
        locked = WorkPlan.objects.select_for_update().get(pk=plan.pk)
        if locked.system_id != (system.pk if system else None) and \
                Task.objects.filter(plan=locked, indicators__isnull=False).exists():
            raise ValidationFailed("已有任务关联了原测评体系的指标，不能更换或取消测评体系", field="system")
        for name, value in clean.items():
            setattr(locked, name, value)
        locked.system = system
        locked.save()
        _store_plan_files(locked, checked)
        audit.record("plans.plan_update", actor=actor, target=locked, unit=locked.owner,
                     detail=clean | {"body": "", "files": len(checked)})
    return locked


# --- stages ----------------------------------------------------------------------------------------------------

def stage_save(*, actor, plan: WorkPlan, name: str, start: datetime.date, end: datetime.date,
               cadence: str = Cadence.WEEKLY, stage: Stage | None = None) -> Stage:
    if not policy.may_manage(actor, plan):
        access.refuse_forbidden(actor, "plans.stage_save", target=plan, unit=plan.owner)
    errors: dict[str, str] = {}
    name = _text(errors, "name", name, 40, "阶段名称", required=True)
    if start is None:
        errors["start"] = "请填写开始日期"
    if end is None:
        errors["end"] = "请填写结束日期"
    if start is not None and end is not None and end < start:
        errors["end"] = "结束日期不能早于开始日期"
    if cadence not in Cadence.values:
        errors["cadence"] = "请选择进度报送频次"
    _raise(errors)
    with transaction.atomic():
        _lock(plan)  # one change of the plan's stages and tasks at a time: the checks below hold until commit
        same = Stage.objects.filter(plan=plan, name=name)
        if stage is not None:
            same = same.exclude(pk=stage.pk)
        if same.exists():
            raise ValidationFailed(f"本方案已有名为“{name}”的阶段", field="name")
        if stage is None:
            stage = Stage(plan=plan, sort=Stage.objects.filter(plan=plan).count())
        elif stage.plan_id != plan.pk:
            raise Conflict("该阶段不属于本方案")
        stage.name, stage.start, stage.end, stage.cadence = name, start, end, cadence
        stage.save()
        audit.record("plans.stage_save", actor=actor, target=stage, unit=plan.owner,
                     detail={"plan": plan.pk, "name": name, "start": str(start), "end": str(end), "cadence": cadence})
    return stage


def _lock(plan: WorkPlan) -> WorkPlan:
    """Lock the plan's row: its stages', tasks' and 下发's checks and writes go one at a time."""
    return WorkPlan.objects.select_for_update().get(pk=plan.pk)


def stage_delete(*, actor, stage: Stage) -> None:
    plan = stage.plan
    if not policy.may_manage(actor, plan):
        access.refuse_forbidden(actor, "plans.stage_delete", target=stage, unit=plan.owner)
    with transaction.atomic():
        tasks = Task.objects.filter(stage=stage).count()
        audit.record("plans.stage_delete", actor=actor, target=stage, unit=plan.owner,
                     detail={"plan": plan.pk, "name": stage.name, "tasks": tasks})
        stage.delete()


# --- tasks -----------------------------------------------------------------------------------------------------

@dataclass
class TaskInput:
    """A task as the form or a row of the 任务分解表 gives it (units and indicators already found)."""

    seq: int | None
    content: str
    standard: str = ""
    person: str = ""
    deadline: datetime.date | None = None
    target: Target | None = None
    weight: Decimal | None = None
    stage: Stage | None = None
    indicators: list[Indicator] = field(default_factory=list)
    leads: list[Unit] = field(default_factory=list)
    responsible: list[Unit] = field(default_factory=list)
    source: str = ""


def check_task(plan: WorkPlan, item: TaskInput) -> dict[str, str]:
    """The problems of a task (field → Chinese message); the import reports them per row and column.
    The 四明确 are not required here: a task lacking one is saved and flagged, and cannot be 下发."""
    errors: dict[str, str] = {}
    for name, (limit, label) in TEXT_LIMITS.items():
        setattr(item, name, _text(errors, name, getattr(item, name), limit, label, required=name == "content"))
    if item.seq is None or not 1 <= item.seq <= 99999:
        errors["seq"] = "序号应为1至99999之间的整数"
    if item.weight is not None and not Decimal(0) < item.weight <= MAX_WEIGHT:
        errors["weight"] = f"权重应大于0且不超过{MAX_WEIGHT}"
    if not item.responsible:
        errors["responsible"] = "请填写责任单位"
    outside = [u.name for u in item.leads + item.responsible if not u.path.startswith(plan.owner_path)]
    if outside:
        errors["responsible" if not errors.get("responsible") else "leads"] = \
            f"{'、'.join(dict.fromkeys(outside))}不在{plan.owner.name}的范围内"
    inactive = [u.name for u in item.leads + item.responsible if not u.is_active]
    if inactive:
        errors.setdefault("responsible", f"{'、'.join(dict.fromkeys(inactive))}已停用")
    if item.source not in Source.values:
        errors["source"] = "请选择实测值来源"
    if item.stage is not None and item.stage.plan_id != plan.pk:
        errors["stage"] = "所选阶段不属于本方案"
    if item.stage is not None and item.deadline is not None and not item.stage.start <= item.deadline <= item.stage.end:
        errors["deadline"] = (f"完成时限{item.deadline:%Y-%m-%d}不在“{item.stage.name}”阶段"
                              f"（{item.stage.start:%Y-%m-%d}至{item.stage.end:%Y-%m-%d}）内")
    if item.indicators and (plan.system_id is None or any(i.system_id != plan.system_id for i in item.indicators)):
        errors["indicators"] = "测评指标须属于本方案选定的测评体系"
    return errors


def fill_task(task: Task, item: TaskInput) -> None:
    task.seq, task.content, task.standard, task.person = item.seq, item.content, item.standard, item.person
    task.deadline, task.stage = item.deadline, item.stage
    task.metric, task.comparator, task.target_value, task.target_unit = (
        (item.target.metric, item.target.comparator, item.target.value, item.target.unit) if item.target
        else ("", "", None, ""))
    task.weight = item.weight if item.weight is not None else Decimal(1)
    task.source = item.source


def write_units(task: Task, item: TaskInput) -> list[Assignment]:
    """The task's assignments as the input names them (kept where unchanged, so a 签收 stays)."""
    wanted = [(unit, AssignmentRole.LEAD) for unit in item.leads] + \
             [(unit, AssignmentRole.RESPONSIBLE) for unit in item.responsible]
    existing = {(a.unit_id, a.role): a for a in Assignment.objects.filter(task=task)} if task.pk else {}
    keep, new = set(), []
    for sort, (unit, role) in enumerate(dict.fromkeys(wanted)):
        found = existing.get((unit.pk, role))
        if found is not None:
            keep.add(found.pk)
            if found.sort != sort:
                Assignment.objects.filter(pk=found.pk).update(sort=sort)
        else:
            new.append(Assignment(task=task, unit=unit, unit_path=unit.path, role=role, sort=sort))
    Assignment.objects.filter(task=task).exclude(pk__in=keep).delete()
    return new


def task_save(*, actor, plan: WorkPlan, item: TaskInput, task: Task | None = None) -> Task:
    if not policy.may_manage(actor, plan):
        access.refuse_forbidden(actor, "plans.task_save", target=plan, unit=plan.owner)
    if task is not None and task.status != TaskStatus.DRAFT:
        raise Conflict("任务已下发，不能再修改")
    auto = item.seq is None  # the plan's next 序号, taken under the plan's lock (a meeting's decision)
    if auto:
        item.seq = 1
    _raise(check_task(plan, item))
    with transaction.atomic():
        _lock(plan)
        if auto:
            item.seq = (Task.objects.filter(plan=plan).order_by("-seq").values_list("seq", flat=True).first() or 0) + 1
        same = Task.objects.filter(plan=plan, seq=item.seq)
        if task is not None:
            same = same.exclude(pk=task.pk)
        if same.exists():
            raise ValidationFailed(f"本方案已有序号为{item.seq}的任务", field="seq")
        if task is not None:
            task = Task.objects.select_for_update().get(pk=task.pk)
            if task.status != TaskStatus.DRAFT:
                raise Conflict("任务已下发，不能再修改")
        else:
            task = Task(plan=plan)
        fill_task(task, item)
        task.save()
        Assignment.objects.bulk_create(write_units(task, item))
        task.indicators.set(item.indicators)
        audit.record("plans.task_save", actor=actor, target=task, unit=plan.owner,
                     detail={"plan": plan.pk, "seq": task.seq, "missing": task.missing()})
    return task


def task_delete(*, actor, task: Task) -> None:
    plan = task.plan
    if not policy.may_manage(actor, plan):
        access.refuse_forbidden(actor, "plans.task_delete", target=task, unit=plan.owner)
    with transaction.atomic():
        _lock(plan)
        locked = Task.objects.select_for_update().filter(pk=task.pk).first()
        if locked is None:
            raise Conflict("该任务已被删除")
        if locked.status != TaskStatus.DRAFT:
            raise Conflict("任务已下发，不能删除")
        audit.record("plans.task_delete", actor=actor, target=locked, unit=plan.owner,
                     detail={"plan": plan.pk, "seq": locked.seq, "content": locked.content[:100]})
        locked.delete()


# --- 下发 and 签收 -------------------------------------------------------------------------------------------

def unfit_for_issue(tasks) -> list[str]:
    """One line per task that may not be 下发: “第3项缺少目标、责任人”."""
    lines = []
    for task in tasks:
        missing = task.missing()
        if missing:
            lines.append(f"第{task.seq}项缺少{'、'.join(missing)}")
    return lines


def _recipients(unit_ids: set[int]) -> dict[int, set[int]]:
    """unit → the users told of its tasks: its office and handlers, else the nearest office above."""
    found: dict[int, set[int]] = {}
    for user_id, unit_id in Membership.objects.filter(
            unit_id__in=unit_ids, role__in=[Role.OFFICE, Role.HANDLER], is_active=True,
            user__is_active=True).values_list("user_id", "unit_id"):
        found.setdefault(unit_id, set()).add(user_id)
    for unit in Unit.objects.filter(pk__in=unit_ids - set(found)):
        found[unit.pk] = set(nearest_office_users(unit))
    return found


def plan_issue(*, actor, plan: WorkPlan, sms: bool = True) -> int:
    """下发 every task not yet issued; refused, naming each task, while any lacks one of the 四明确.
    Returns how many tasks were issued."""
    if not policy.may_manage(actor, plan):
        access.refuse_forbidden(actor, "plans.plan_issue", target=plan, unit=plan.owner)
    with transaction.atomic():
        locked = _lock(plan)
        tasks = list(Task.objects.select_for_update().filter(plan=locked, status=TaskStatus.DRAFT).order_by("seq"))
        if not tasks:
            raise Conflict("没有待下发的任务")
        unfit = unfit_for_issue(tasks)
        if unfit:
            raise ValidationFailed("以下任务“四明确”（目标、标准、时限、责任人）不全，补齐后才能下发：" + "；".join(unfit),
                                   errors={"tasks": unfit})
        now = timezone.now()
        Task.objects.filter(pk__in=[t.pk for t in tasks]).update(status=TaskStatus.ISSUED, issued_at=now,
                                                                 updated_at=now)
        locked.status, locked.issued_at = PlanStatus.ISSUED, locked.issued_at or now
        locked.save(update_fields=["status", "issued_at", "updated_at"])
        from .escalation import watch  # the 督办 ladder of each responsible unit's part starts now

        watch(Assignment.objects.filter(task__in=tasks, role=AssignmentRole.RESPONSIBLE)
              .select_related("task"), now)
        per_unit: dict[int, int] = {}
        for unit_id in Assignment.objects.filter(task__in=tasks).values_list("unit_id", flat=True):
            per_unit[unit_id] = per_unit.get(unit_id, 0) + 1
        told = _recipients(set(per_unit))
        url = reverse("plans:mine")
        notes, texts = [], {}
        for unit_id, count in per_unit.items():
            title = f"任务下发：{locked.title}（{count}项）"[:120]
            for user_id in sorted(told.get(unit_id, ())):
                notes.append(Notification(user_id=user_id, title=title, body="请在“我的任务”中签收", url=url))
                texts[user_id] = title
        Notification.objects.bulk_create(notes)
        if sms:
            for user_id, phone in User.objects.filter(pk__in=list(texts)).exclude(phone="").values_list("id", "phone"):
                outbound.send_sms(phone, f"【创城办】{texts[user_id]}，请登录平台在“我的任务”中签收。")
        audit.record("plans.plan_issue", actor=actor, target=locked, unit=locked.owner,
                     detail={"tasks": len(tasks), "units": len(per_unit), "notified": len(notes), "sms": sms})
    return len(tasks)


def task_sign(*, actor, assignment: Assignment) -> Assignment:
    if not policy.may_sign(actor, assignment):
        if assignment.signed_at is not None:
            raise Conflict(f"该任务已由{assignment.signed_by.display_name if assignment.signed_by else '他人'}签收")
        access.refuse_forbidden(actor, "plans.task_sign", target=assignment, unit=assignment.unit)
    with transaction.atomic():
        locked = Assignment.objects.select_for_update().get(pk=assignment.pk)
        if locked.signed_at is not None:
            raise Conflict("该任务已签收")
        locked.signed_at, locked.signed_by = timezone.now(), actor
        locked.save(update_fields=["signed_at", "signed_by"])
        audit.record("plans.task_sign", actor=actor, target=locked, unit=locked.unit,
                     detail={"task": locked.task_id, "role": locked.role})
    return locked
