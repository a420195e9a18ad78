"""Writes of meetings (调度会 and the like): record one with its attachments (checked by content), and
turn a decision (议定事项) into a task of a plan, which is then 下发 and tracked like any task. Each
checks plans.policy, runs in one transaction and writes an audit event."""

from __future__ import annotations

import datetime

from django.db import transaction

from wenming.core import access, audit
from wenming.core.errors import ValidationFailed
from wenming.org.models import Unit

from . import policy, services
from .models import Meeting, MeetingFile, MeetingKind, Task, WorkPlan
from .services_reports import check_files, store_file

LIMITS = {"title": (200, "会议名称"), "place": (100, "地点"), "chair": (100, "主持人"), "attendees": (2000, "参会人员"),
          "minutes": (20000, "会议纪要")}


def meeting_save(*, actor, owner: Unit, kind: str, title: str, held_on: datetime.date, place: str = "",
                 chair: str = "", attendees: str = "", minutes: str = "", files=(), meeting: Meeting | None = None
                 ) -> Meeting:
    probe = meeting or Meeting(owner=owner, owner_path=owner.path)
    if not policy.may_manage_meeting(actor, probe):
        access.refuse_forbidden(actor, "plans.meeting_save", target=meeting or owner, unit=owner)
    errors: dict[str, str] = {}
    clean = {name: services._text(errors, name, value, *LIMITS[name], required=name == "title")
             for name, value in (("title", title), ("place", place), ("chair", chair), ("attendees", attendees),
                                 ("minutes", minutes))}
    if kind not in MeetingKind.values:
        errors["kind"] = "请选择会议类型"
    if held_on is None:
        errors["held_on"] = "请填写召开日期"
    checked = check_files(list(files), errors, label="会议附件")
    if errors:
        raise ValidationFailed("；".join(errors.values()), errors=errors)
    with transaction.atomic():
        if meeting is None:
            meeting = Meeting(owner=owner, owner_path=owner.path, created_by=actor)
        else:
            meeting = Meeting.objects.select_for_update().get(pk=meeting.pk)
        meeting.kind, meeting.held_on = kind, held_on
        for name, value in clean.items():
            setattr(meeting, name, value)
        meeting.save()
        for data, filename, found in checked:
            store_file(MeetingFile(meeting=meeting), data, filename, found)
        audit.record("plans.meeting_save", actor=actor, target=meeting, unit=meeting.owner,
                     detail={"title": meeting.title, "kind": kind, "held_on": str(held_on), "files": len(checked)})
    return meeting


def decision_add(*, actor, meeting: Meeting, plan: WorkPlan, item: services.TaskInput) -> Task:
    """A decision of the meeting as the next task of ``plan`` (a plan of the meeting's unit or above)."""
    if not policy.may_manage_meeting(actor, meeting):
        access.refuse_forbidden(actor, "plans.decision_add", target=meeting, unit=meeting.owner)
    if not meeting.owner_path.startswith(plan.owner_path):
        raise ValidationFailed("议定事项只能列入本单位或上级单位的工作方案", field="plan")
    with transaction.atomic():  # task_save gives a decision without a 序号 the plan's next one, under the plan's lock
        task = services.task_save(actor=actor, plan=plan, item=item)
        Task.objects.filter(pk=task.pk).update(meeting=meeting)
        task.meeting = meeting
        audit.record("plans.decision_add", actor=actor, target=task, unit=meeting.owner,
                     detail={"meeting": meeting.pk, "plan": plan.pk, "seq": task.seq})
    return task
