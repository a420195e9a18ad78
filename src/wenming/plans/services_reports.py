"""Writes of progress reports: a responsible unit reports on its part of an issued task (percent,
measured value, what was done, evidence files checked by their content), the lead unit or the office
accepts it or returns it with a reason. Each checks plans.policy, runs in one transaction and writes
an audit event; the other side is told in its inbox."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from wenming.cases.models import Notification
from wenming.core import access, audit
from wenming.core.errors import Conflict, ValidationFailed
from wenming.core.uploads import check_upload
from wenming.org.models import Membership, Role

from . import policy, progress
from .models import Assignment, AssignmentRole, ProgressReport, ReportFile, ReportStatus, TaskStatus
from .orphans import keep_or_write

MAX_FILES = 10
NARRATIVE_MAX = 2000


def _measured(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationFailed("实测值应为数字", field="measured") from None
    too_big = ValidationFailed("实测值超出范围（最多10位整数、4位小数）", field="measured")
    if not number.is_finite() or (number and number.adjusted() >= 10):
        raise too_big
    try:
        number = number.quantize(Decimal("0.0001"))
    except ArithmeticError:
        raise too_big from None
    if abs(number) >= Decimal(10) ** 10:
        raise too_big
    return number


def check_files(files, errors: dict, *, label: str = "佐证材料") -> list:
    """(data, filename, core.uploads.Checked) of each file, or the problems under ``errors["files"]``."""
    if len(files) > MAX_FILES:
        errors["files"] = f"一次最多上传{MAX_FILES}个{label}"
        return []
    checked, problems = [], []
    for data, filename in files:
        try:
            checked.append((data, (filename or "").strip()[-200:], check_upload(data, filename, field="files",
                                                                                label=label)))
        except ValidationFailed as error:
            problems.append(error.message)
    if problems:
        errors["files"] = "；".join(problems)
    return checked


def store_file(stored, data: bytes, filename: str, found) -> None:
    """Save an uploaded file's row (a ReportFile or MeetingFile); the same content is stored once."""
    stored.filename, stored.extension, stored.content_type = filename, found.extension, found.content_type
    stored.size, stored.sha256 = found.size, found.sha256
    keep_or_write(stored, type(stored)._meta.get_field("file").upload_to(stored, filename), data)
    stored.save()


def report_submit(*, actor, assignment: Assignment, percent, narrative: str, measured=None,
                  files: list[tuple[bytes, str]] = (), day=None) -> ProgressReport:
    """The unit's report for the current period (its week, or its day in a daily stage)."""
    task = assignment.task
    if not policy.may_report(actor, assignment):
        if assignment.role == AssignmentRole.RESPONSIBLE and task.status != TaskStatus.ISSUED:
            raise Conflict("任务尚未下发，不能报送进度")
        access.refuse_forbidden(actor, "plans.report_submit", target=assignment, unit=assignment.unit)
    errors: dict[str, str] = {}
    if isinstance(percent, bool) or not isinstance(percent, int) or not 0 <= percent <= 100:
        errors["percent"] = "完成进度应为0到100之间的整数"
    narrative = (narrative or "").strip()
    if not narrative:
        errors["narrative"] = "请填写工作进展"
    elif "\x00" in narrative or len(narrative) > NARRATIVE_MAX:
        errors["narrative"] = f"工作进展最多{NARRATIVE_MAX}个字，且不能含空字符"
    try:
        measured = _measured(measured)
    except ValidationFailed as error:
        errors["measured"] = error.message
    checked = check_files(files, errors)
    if errors:
        raise ValidationFailed("；".join(errors.values()), errors=errors)
    day = day or timezone.localdate()
    start, end = progress.period_for(task.stage, day)
    with transaction.atomic():
        locked = Assignment.objects.select_for_update().get(pk=assignment.pk)
        if ProgressReport.objects.filter(assignment=locked, status=ReportStatus.SUBMITTED).exists():
            raise Conflict("上一份进度报告尚待审核，审核后再报送")
        if locked.signed_at is None:  # reporting is receiving it
            locked.signed_at, locked.signed_by = timezone.now(), actor
            locked.save(update_fields=["signed_at", "signed_by"])
        report = ProgressReport.objects.create(
            assignment=locked, task=task, unit=locked.unit, unit_path=locked.unit_path, period_start=start,
            period_end=end, percent=percent, measured=measured, narrative=narrative, submitted_by=actor)
        for data, filename, found in checked:
            store_file(ReportFile(report=report), data, filename, found)
        audit.record("plans.report_submit", actor=actor, target=report, unit=locked.unit,
                     detail={"task": task.pk, "percent": percent, "measured": str(measured) if measured is not None
                             else None, "files": len(checked), "period": f"{start}~{end}"})
        _tell(_reviewers(task), f"进度待审核：{locked.unit.name} 第{task.seq}项 {percent}%", task.pk)
    return report


def report_review(*, actor, report: ProgressReport, accept: bool, note: str = "") -> ProgressReport:
    task = report.task
    if not policy.may_review_report(actor, report):
        if policy.reviews(actor, task):
            raise ValidationFailed("本单位的进度报告须由牵头单位或方案制定单位的创建办审核")
        access.refuse_forbidden(actor, "plans.report_review", target=report, unit=report.unit)
    note = (note or "").strip()
    if "\x00" in note or len(note) > 200:
        raise ValidationFailed("审核意见最多200个字，且不能含空字符", field="note")
    if not accept and not note:
        raise ValidationFailed("退回请填写理由", field="note")
    with transaction.atomic():
        locked = ProgressReport.objects.select_for_update().get(pk=report.pk)
        if locked.status != ReportStatus.SUBMITTED:
            raise Conflict(f"该报告已{locked.get_status_display()}，请刷新后查看")
        locked.status = ReportStatus.ACCEPTED if accept else ReportStatus.RETURNED
        locked.reviewed_by, locked.reviewed_at, locked.review_note = actor, timezone.now(), note
        locked.save(update_fields=["status", "reviewed_by", "reviewed_at", "review_note", "updated_at"])
        audit.record("plans.report_review", actor=actor, target=locked, unit=locked.unit,
                     detail={"task": task.pk, "accept": accept, "note": note})
        _tell([locked.submitted_by_id], f"进度报告{'已采纳' if accept else '被退回'}：第{task.seq}项"
                                        + ("" if accept else f"（{note}）"), task.pk)
    return locked


def _reviewers(task) -> list[int]:
    """The lead units' offices and handlers, and the plan owner's office."""
    leads = [a.unit_id for a in task.assignments.all() if a.role == AssignmentRole.LEAD]
    return list(Membership.objects.filter(
        unit_id__in=leads + [task.plan.owner_id], is_active=True, user__is_active=True,
        role__in=[Role.OFFICE, Role.HANDLER]).exclude(role=Role.HANDLER, unit_id=task.plan.owner_id)
        .values_list("user_id", flat=True).distinct())


def _tell(user_ids, title: str, task_id: int) -> None:
    url = reverse("plans:task", args=[task_id])
    Notification.objects.bulk_create([Notification(user_id=uid, title=title[:120], url=url)
                                      for uid in sorted(set(user_ids))])
