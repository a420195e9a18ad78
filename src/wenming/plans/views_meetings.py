"""Pages of meetings (领导小组会议, 调度会, 推进会, 现场会): the list with its ledger export, recording a
meeting with its attachments, and turning its decisions into tasks of a plan."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wenming.core import access, uploads
from wenming.core.errors import ServiceError, show_on_form
from wenming.core.sheets import xlsx_response
from wenming.core.uploads import read_all

from . import policy, progress, selectors, services, services_meetings, transfer
from .forms import DecisionForm, MeetingForm
from .models import MeetingKind
from .views import _year


def _refuse_unless_viewer(user) -> None:
    if not policy.may_view_meetings(user):
        access.refuse_forbidden(user, "plans.meetings")


def _filters(request) -> dict:
    kind = request.GET.get("kind") if request.GET.get("kind") in MeetingKind.values else ""
    return {"q": (request.GET.get("q") or "").strip()[:50].replace("\x00", ""), "kind": kind,
            "year": _year(request.GET.get("year"))}


@login_required
@require_GET
def meeting_list(request):
    _refuse_unless_viewer(request.user)
    filters = _filters(request)
    page = Paginator(selectors.meetings(request.user, **filters), 30).get_page(request.GET.get("page"))
    params = {k: v for k, v in filters.items() if v}
    return render(request, "plans/meetings.html", {
        "page": page, "params": params, **{k: v or "" for k, v in filters.items()}, "kinds": MeetingKind.choices,
        "may_create": bool(policy.office_paths(request.user))})


@login_required
@require_GET
def meeting_export(request):
    _refuse_unless_viewer(request.user)
    return xlsx_response(transfer.export_meetings(actor=request.user, rows=selectors.meetings(request.user,
                                                                                     **_filters(request))),
                 "会议台账.xlsx")


def _save(request, form, meeting=None):
    data = form.cleaned_data
    try:
        return services_meetings.meeting_save(
            actor=request.user, owner=data["owner"], kind=data["kind"], title=data["title"], held_on=data["held_on"],
            place=data["place"], chair=data["chair"], attendees=data["attendees"], minutes=data["minutes"],
            files=read_all(data["files"], label="会议附件"), meeting=meeting)
    except ServiceError as error:
        show_on_form(form, error)
        return None


@login_required
@require_http_methods(["GET", "POST"])
def meeting_new(request):
    if not policy.office_paths(request.user):
        access.refuse_forbidden(request.user, "plans.meeting_save")
    form = MeetingForm(request.POST or None, request.FILES or None, owners=selectors.owner_choices(request.user))
    if request.method == "POST" and form.is_valid():
        meeting = _save(request, form)
        if meeting is not None:
            messages.success(request, "会议已记录。议定事项可在会议页列入工作方案，作为任务下发和跟踪。")
            return redirect("plans:meeting", pk=meeting.pk)
    return render(request, "plans/form.html", {"form": form, "title": "记录会议", "multipart": True,
                                               "back": "plans:meetings"})


@login_required
@require_http_methods(["GET", "POST"])
def meeting_edit(request, pk: int):
    meeting = selectors.meeting_for(request.user, pk)
    if not policy.may_manage_meeting(request.user, meeting):
        access.refuse_forbidden(request.user, "plans.meeting_save", target=meeting)
    form = MeetingForm(request.POST or None, request.FILES or None, owners=[meeting.owner], initial={
        "owner": str(meeting.owner_id), "kind": meeting.kind, "title": meeting.title,
        "held_on": meeting.held_on.isoformat(), "place": meeting.place, "chair": meeting.chair,
        "attendees": meeting.attendees, "minutes": meeting.minutes})
    if request.method == "POST" and form.is_valid() and _save(request, form, meeting) is not None:
        messages.success(request, "已保存。")
        return redirect("plans:meeting", pk=meeting.pk)
    return render(request, "plans/form.html", {"form": form, "title": f"修改：{meeting.title}", "multipart": True,
                                               "back": "plans:meetings"})


@login_required
@require_GET
def meeting_detail(request, pk: int):
    meeting = selectors.meeting_for(request.user, pk)
    return _detail(request, meeting, None)


def _detail(request, meeting, form):
    manages = policy.may_manage_meeting(request.user, meeting)
    decisions = list(selectors.decisions_of(request.user, meeting))
    figures = {}
    for plan_id in {t.plan_id for t in decisions}:
        tasks = [t for t in decisions if t.plan_id == plan_id]
        plan_figures = progress.of_tasks(tasks, tasks[0].plan.lag_margin).tasks
        if policy.oversees(request.user, tasks[0].plan):
            figures.update(plan_figures)
        else:  # a decision put into a plan above: the viewer's own units' figures only
            figures.update({t.pk: progress.own_figure(plan_figures[t.pk], selectors.own_parts(request.user, t),
                                                      t.plan.lag_margin) for t in tasks})
    if form is None and manages:
        form = DecisionForm(plans=selectors.plans_to_add_to(request.user, meeting), initial={"weight": 1})
    return render(request, "plans/meeting.html", {
        "meeting": meeting, "manages": manages, "form": form if manages else None,
        "rows": [(task, figures.get(task.pk)) for task in decisions], "files": list(meeting.files.all())})


@login_required
@require_POST
def decision_add(request, pk: int):
    meeting = selectors.meeting_for(request.user, pk)
    if not policy.may_manage_meeting(request.user, meeting):
        access.refuse_forbidden(request.user, "plans.decision_add", target=meeting)
    form = DecisionForm(request.POST, plans=selectors.plans_to_add_to(request.user, meeting))
    if form.is_valid():
        data = form.cleaned_data
        plan = data["plan"]
        from .transfer import UnitDirectory

        units = UnitDirectory(plan.owner)
        leads, lead_problems = units.find(data["leads"])
        responsible, responsible_problems = units.find(data["responsible"])
        for name, problems in (("leads", lead_problems), ("responsible", responsible_problems)):
            for problem in problems:
                form.add_error(name, problem)
        if form.is_valid():
            item = services.TaskInput(seq=None, content=data["content"], standard=data["standard"],
                                      person=data["person"], deadline=data["deadline"], target=data["target"],
                                      weight=data["weight"], leads=leads, responsible=responsible,
                                      source=data["source"])
            try:
                task = services_meetings.decision_add(actor=request.user, meeting=meeting, plan=plan, item=item)
            except ServiceError as error:
                show_on_form(form, error)
            else:
                messages.success(request, f"已列入“{plan.title}”第{task.seq}项；在方案页下发后由责任单位签收和报送进度。")
                return redirect("plans:meeting", pk=meeting.pk)
    return _detail(request, meeting, form)


@login_required
@require_GET
def meeting_file(request, pk: int):
    stored = selectors.meeting_file_for(request.user, pk)
    return uploads.download(stored, actor=request.user, what="会议附件", unit=stored.meeting.owner)
