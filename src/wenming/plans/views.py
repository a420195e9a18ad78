"""Pages of work plans: the list, a plan with its stages and tasks (the 四明确 flags on each), the task
form, the 任务分解表 import and export, 下发, and a unit's tasks to 签收 (我的任务)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import F
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wenming.core import access, audit, uploads
from wenming.core.errors import ServiceError, form_refusals, show_on_form
from wenming.core.parsing import parse_id
from wenming.core.sheets import SheetError, xlsx_response
from wenming.core.uploads import read_all

from . import computed, jobs, policy, progress, selectors, services, services_reports, transfer
from .forms import ImportForm, IssueForm, PlanForm, ReportForm, ReviewForm, StageForm, TaskForm
from .models import AssignmentRole, Stage, TaskStatus, format_number

TASKS_PER_PAGE = 100      # rows of the plan's task table on one page
MATRIX_TASKS = 30         # task columns of the matrix on one page
MATRIX_UNITS = 100        # unit rows of the matrix on one page




def _year(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isascii() and text.isdigit() and 2000 <= int(text) <= 2100 else None


@login_required
@require_GET
def plan_list(request):
    if not policy.may_view(request.user):
        access.refuse_forbidden(request.user, "plans.view")
    q = (request.GET.get("q") or "").strip()[:50].replace("\x00", "")
    year = _year(request.GET.get("year"))
    page = Paginator(selectors.plans(request.user, q=q, year=year), 30).get_page(request.GET.get("page"))
    params = {k: v for k, v in {"q": q, "year": year or ""}.items() if v}
    return render(request, "plans/list.html", {
        "page": page, "params": params, "q": q, "year": year or "", "may_create": policy.may_create(request.user),
        "pending": selectors.my_assignments(request.user, pending_only=True).count(),
        "may_view_meetings": policy.may_view_meetings(request.user)})


@login_required
@require_http_methods(["GET", "POST"])
def plan_new(request):
    if not policy.may_create(request.user):
        access.refuse_forbidden(request.user, "plans.plan_create")
    form = PlanForm(request.POST or None, request.FILES or None, owners=selectors.owner_choices(request.user),
                    systems=selectors.system_choices(), initial={"year": timezone.localdate().year})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            plan = services.plan_create(actor=request.user, owner=data["owner"], title=data["title"], year=data["year"],
                                        doc_number=data["doc_number"], body=data["body"], system=data["system"],
                                        end_year=data["end_year"], files=read_all(data["files"], label="方案文件"))
        except ServiceError as error:
            show_on_form(form, error)
        else:
            messages.success(request, "工作方案已建立。下一步：设置阶段，再逐项添加任务或导入任务分解表。")
            return redirect("plans:detail", pk=plan.pk)
    return render(request, "plans/form.html", {"form": form, "title": "新建工作方案", "multipart": True})


@login_required
@require_http_methods(["GET", "POST"])
def plan_edit(request, pk: int):
    plan = selectors.plan_for(request.user, pk)
    if not policy.may_manage(request.user, plan):
        access.refuse_forbidden(request.user, "plans.plan_update", target=plan)
    form = PlanForm(request.POST or None, request.FILES or None, owners=[plan.owner], systems=selectors.system_choices(),
                    initial={"owner": str(plan.owner_id), "title": plan.title, "year": plan.year,
                             "end_year": plan.end_year, "doc_number": plan.doc_number,
                             "system": str(plan.system_id or ""), "body": plan.body})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.plan_update(actor=request.user, plan=plan, title=data["title"], year=data["year"],
                                 doc_number=data["doc_number"], body=data["body"], system=data["system"],
                                 end_year=data["end_year"], files=read_all(data["files"], label="方案文件"))
        except ServiceError as error:
            show_on_form(form, error)
        else:
            messages.success(request, "已保存。")
            return redirect("plans:detail", pk=plan.pk)
    return render(request, "plans/form.html", {"form": form, "title": f"修改：{plan.title}", "plan": plan,
                                               "multipart": True})


@login_required
@require_GET
def plan_detail(request, pk: int):
    plan = selectors.plan_for(request.user, pk)
    manages = policy.may_manage(request.user, plan)
    oversees = policy.oversees(request.user, plan)
    tasks = selectors.tasks_of(request.user, plan)
    page = Paginator(tasks, TASKS_PER_PAGE).get_page(request.GET.get("page"))
    # a task's figures sum up every unit on it: for those who oversee the plan (a unit sees its own on the task)
    figures = progress.of_tasks(tasks.filter(status=TaskStatus.ISSUED), plan.lag_margin) if oversees else None
    rows = []
    for task in page:
        units = list(task.assignments.all())
        rows.append({"task": task, "missing": task.missing() if task.status == TaskStatus.DRAFT else [],
                     "leads": [a.unit for a in units if a.role == AssignmentRole.LEAD],
                     "responsible": [a.unit for a in units if a.role == AssignmentRole.RESPONSIBLE],
                     "signed": sum(1 for a in units if a.signed_at), "units": len(units),
                     "figure": figures.tasks.get(task.pk) if figures else None})
    drafts, flagged = selectors.draft_counts(tasks)
    stages = list(plan.stages.all())
    for stage in stages:
        stage.progress = figures.stages.get(stage.pk) if figures and figures.tasks else None
    return render(request, "plans/detail.html", {
        "plan": plan, "rows": rows, "page": page, "params": {}, "total": page.paginator.count, "stages": stages,
        "manages": manages, "figures": figures if figures and figures.tasks else None, "oversees": oversees,
        "stage_form": StageForm() if manages else None, "issue_form": IssueForm() if manages and drafts else None,
        "drafts": drafts, "flagged": flagged})


@login_required
@require_POST
def stage_add(request, pk: int):
    plan = selectors.plan_for(request.user, pk)
    form = StageForm(request.POST)
    if not policy.may_manage(request.user, plan):
        access.refuse_forbidden(request.user, "plans.stage_save", target=plan)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.stage_save(actor=request.user, plan=plan, name=data["name"], start=data["start"], end=data["end"],
                                cadence=data["cadence"])
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"已添加阶段“{data['name']}”。")
    else:
        messages.error(request, form_refusals(form))
    return redirect("plans:detail", pk=plan.pk)


@login_required
@require_POST
def stage_delete(request, pk: int):
    stage = Stage.objects.filter(pk=pk).select_related("plan", "plan__owner").first()
    if stage is None or not selectors.plans(request.user).filter(pk=stage.plan_id).exists():
        access.refuse_not_found(request.user, "plans.stage", target=f"stage:{pk}")
    services.stage_delete(actor=request.user, stage=stage)
    messages.success(request, f"已删除阶段“{stage.name}”，其中的任务改为不分阶段。")
    return redirect("plans:detail", pk=stage.plan_id)


def _task_form(request, plan, task=None):
    stages = list(plan.stages.all())
    initial = {"seq": (plan.tasks.order_by("-seq").values_list("seq", flat=True).first() or 0) + 1, "weight": 1}
    if task is not None:
        units = list(task.assignments.all())
        initial = {"seq": task.seq, "stage": str(task.stage_id or ""), "content": task.content,
                   "standard": task.standard, "person": task.person,
                   "deadline": task.deadline.isoformat() if task.deadline else "", "target": task.target_text,
                   "weight": task.weight, "indicators": "、".join(i.code for i in task.indicators.all()),
                   "leads": "、".join(a.unit.name for a in units if a.role == AssignmentRole.LEAD),
                   "responsible": "、".join(a.unit.name for a in units if a.role == AssignmentRole.RESPONSIBLE),
                   "source": task.source}
    form = TaskForm(request.POST or None, stages=stages, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        units = transfer.UnitDirectory(plan.owner)
        leads, lead_problems = units.find(data["leads"])
        responsible, responsible_problems = units.find(data["responsible"])
        linked, indicator_problems = transfer.IndicatorDirectory(plan.system).find(data["indicators"])
        for name, problems in (("leads", lead_problems), ("responsible", responsible_problems),
                               ("indicators", indicator_problems)):
            for problem in problems:
                form.add_error(name, problem)
        if form.is_valid():
            item = services.TaskInput(seq=data["seq"], content=data["content"], standard=data["standard"],
                                      person=data["person"], deadline=data["deadline"], target=data["target"],
                                      weight=data["weight"], stage=data["stage"], indicators=linked, leads=leads,
                                      responsible=responsible, source=data["source"])
            try:
                saved = services.task_save(actor=request.user, plan=plan, item=item, task=task)
            except ServiceError as error:
                show_on_form(form, error)
            else:
                missing = saved.missing()
                messages.success(request, f"已保存第{saved.seq}项任务。" + (
                    f"注意：缺少{'、'.join(missing)}，补齐后才能下发。" if missing else ""))
                return None, redirect("plans:detail", pk=plan.pk)
    return form, None


@login_required
@require_http_methods(["GET", "POST"])
def task_new(request, pk: int):
    plan = selectors.plan_for(request.user, pk)
    if not policy.may_manage(request.user, plan):
        access.refuse_forbidden(request.user, "plans.task_save", target=plan)
    form, done = _task_form(request, plan)
    return done or render(request, "plans/task_form.html", {"form": form, "plan": plan, "title": "新增任务"})


@login_required
@require_http_methods(["GET", "POST"])
def task_detail(request, pk: int):
    task = selectors.task_for(request.user, pk)
    plan = task.plan
    editable = policy.may_manage(request.user, plan) and task.status == TaskStatus.DRAFT
    if request.method == "POST" and not editable:
        if not policy.may_manage(request.user, plan):
            access.refuse_forbidden(request.user, "plans.task_save", target=task)
        messages.error(request, "任务已下发，不能再修改。")
        return redirect("plans:task", pk=task.pk)
    form = None
    if editable:
        form, done = _task_form(request, plan, task)
        if done:
            return done
    units = list(task.assignments.all())
    waiting = selectors.waiting_assignments(task)
    # the form for the units the user reports for, while none of their reports waits for review
    reporting = [a for a in units if policy.may_report(request.user, a) and a.pk not in waiting]
    figures = progress.of_tasks([task], plan.lag_margin).tasks[task.pk]
    # the task's figures and its other units' progress: for those who see the whole task only
    whole = policy.oversees(request.user, plan) or policy.reviews(
        request.user, task, [a.unit_id for a in units if a.role == AssignmentRole.LEAD])
    scope = access.scope_for(request.user)
    shown = {a.pk for a in units if whole or scope.sees_unit(a.unit)}
    reports = list(selectors.reports_of(request.user, task))
    reviewer = policy.reviews(request.user, task, [a.unit_id for a in units if a.role == AssignmentRole.LEAD])
    responsible = [a for a in units if a.role == AssignmentRole.RESPONSIBLE and a.pk in shown]
    found = computed.compute(task, [a.unit for a in responsible])
    values = [(a.unit, found[a.unit_id], computed.meets(task, found[a.unit_id].value)) for a in responsible
              if a.unit_id in found and a.pk in shown]
    return render(request, "plans/task.html", {
        "task": task, "plan": plan, "form": form, "missing": task.missing(), "may_delete": editable,
        "units": units, "figures": figures, "reports": reports, "reviewer": reviewer,
        "report_form": ReportForm() if reporting else None, "reporting": reporting,
        "review_form": ReviewForm() if reviewer else None, "computed": values, "whole": whole, "shown": shown,
        "measured_text": format_number(figures.measured), "waiting": bool(waiting & {a.pk for a in units
                                                                                  if policy.may_report(request.user, a)})})


@login_required
@require_POST
def report_submit(request, pk: int):
    task = selectors.task_for(request.user, pk)
    assignment = next((a for a in task.assignments.all() if a.pk == parse_id(request.POST.get("assignment"))), None)
    if assignment is None:
        raise Http404("未找到该任务分工。")
    form = ReportForm(request.POST, request.FILES)
    if not policy.may_report(request.user, assignment):
        access.refuse_forbidden(request.user, "plans.report_submit", target=assignment)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services_reports.report_submit(
                actor=request.user, assignment=assignment, percent=data["percent"], narrative=data["narrative"],
                measured=data["measured"], files=read_all(data["files"], label="方案文件"))
        except ServiceError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, f"已报送{assignment.unit.name}的进度（{data['percent']}%），等待审核。")
    else:
        messages.error(request, form_refusals(form))
    return redirect("plans:task", pk=task.pk)


@login_required
@require_POST
def report_review(request, pk: int, action: str):
    report = selectors.report_for(request.user, pk)
    if action not in ("accept", "return"):
        raise Http404
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, "审核意见最多200个字")
        return redirect("plans:task", pk=report.task_id)
    note = form.cleaned_data["note"]
    try:
        services_reports.report_review(actor=request.user, report=report, accept=action == "accept", note=note)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "已采纳，计入任务进度。" if action == "accept" else "已退回。")
    return redirect("plans:task", pk=report.task_id)


@login_required
@require_GET
def report_file(request, pk: int):
    stored = selectors.report_file_for(request.user, pk)
    return uploads.download(stored, actor=request.user, what="佐证材料", unit=stored.report.unit)




@login_required
@require_POST
def task_delete(request, pk: int):
    task = selectors.task_for(request.user, pk)
    try:
        services.task_delete(actor=request.user, task=task)
    except ServiceError as error:
        messages.error(request, error.message)
        return redirect("plans:task", pk=task.pk)
    messages.success(request, f"已删除第{task.seq}项任务。")
    return redirect("plans:detail", pk=task.plan_id)


@login_required
@require_http_methods(["GET", "POST"])
def tasks_import(request, pk: int):
    plan = selectors.plan_for(request.user, pk)
    if not policy.may_manage(request.user, plan):
        access.refuse_forbidden(request.user, "plans.tasks_import", target=plan)
    form = ImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        if jobs.in_background(data):  # thousands of rows: checked and written by the worker, with progress
            job = jobs.enqueue(actor=request.user, plan=plan, data=data, filename=upload.name)
            return redirect("job", job.pk)
        try:
            report = transfer.import_tasks(actor=request.user, plan=plan, data=data, filename=upload.name)
        except SheetError as error:
            form.add_error("file", str(error))
        except ServiceError as error:  # the plan changed while the sheet was checked: nothing was written
            form.add_error("file", error.message)
        else:
            if report.ok:
                messages.success(request, f"导入成功：新增 {report.created} 项任务，更新 {report.updated} 项任务。")
                return redirect("plans:detail", pk=plan.pk)
    return render(request, "plans/import.html", {"form": form, "report": report, "plan": plan,
                                                 "columns": transfer.COLUMNS, "max_rows": transfer.MAX_ROWS})






@login_required
@require_GET
def tasks_export(request, pk: int):
    plan = selectors.plan_for(request.user, pk)
    return xlsx_response(transfer.export_tasks(actor=request.user, plan=plan), f"{plan.title}-任务分解表.xlsx")


@login_required
@require_GET
def import_template(request):
    if not policy.may_create(request.user):
        access.refuse_forbidden(request.user, "plans.tasks_import")
    audit.download(actor=request.user, what="任务分解表模板", rows=transfer.TEMPLATE_ROWS)
    return xlsx_response(transfer.template_sheet(), "任务分解表模板.xlsx")


@login_required
@require_POST
def plan_issue(request, pk: int):
    plan = selectors.plan_for(request.user, pk)
    form = IssueForm(request.POST)
    sms = form.is_valid() and form.cleaned_data["sms"]
    try:
        count = services.plan_issue(actor=request.user, plan=plan, sms=sms)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"已下发 {count} 项任务，各责任单位和牵头单位已收到通知。")
    return redirect("plans:detail", pk=plan.pk)


@login_required
@require_GET
def mine(request):
    if not policy.may_view(request.user):
        access.refuse_forbidden(request.user, "plans.view")
    rows = selectors.my_assignments(request.user).order_by(F("signed_at").asc(nulls_first=True), "task__deadline",
                                                            "task__plan_id", "task__seq", "role", "id")
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    for assignment in page:
        assignment.may_sign = policy.may_sign(request.user, assignment)
    return render(request, "plans/mine.html", {"page": page, "params": {}})


@login_required
@require_POST
def assignment_sign(request, pk: int):
    assignment = selectors.assignment_for(request.user, pk)
    try:
        services.task_sign(actor=request.user, assignment=assignment)
    except ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"已签收：{assignment.task.plan.title} 第{assignment.task.seq}项。")
    return redirect("plans:mine")




def _matrix_filters(request, plan) -> tuple[int | None, str]:
    stage_id = parse_id(request.GET.get("stage"))
    if stage_id is not None and not plan.stages.filter(pk=stage_id).exists():
        stage_id = None
    status = request.GET.get("status") if request.GET.get("status") in selectors.CELL_LABELS else ""
    return stage_id, status


@login_required
@require_GET
def plan_matrix(request, pk: int):
    plan = selectors.plan_for(request.user, pk)
    stage_id, status = _matrix_filters(request, plan)
    columns = Paginator(selectors.matrix_tasks(request.user, plan, stage_id=stage_id), MATRIX_TASKS).get_page(
        request.GET.get("tp"))
    grid = selectors.matrix(request.user, plan, tasks=list(columns), status=status)
    units = Paginator(grid["units"], MATRIX_UNITS).get_page(request.GET.get("page"))
    rows = [(unit, [grid["cells"].get((unit.pk, task.pk)) for task in grid["tasks"]]) for unit in units]
    params = {k: v for k, v in {"stage": stage_id or "", "status": status, "tp": columns.number}.items() if v}
    return render(request, "plans/matrix.html", {
        "plan": plan, "tasks": grid["tasks"], "rows": rows, "page": units, "columns": columns,
        "stages": list(plan.stages.all()), "stage_id": stage_id, "status": status,
        "states": list(selectors.CELL_LABELS.items()), "params": params,
        "column_params": {k: v for k, v in params.items() if k != "tp"}})


@login_required
@require_GET
def matrix_export(request, pk: int):
    plan = selectors.plan_for(request.user, pk)
    stage_id, status = _matrix_filters(request, plan)
    grid = selectors.matrix(request.user, plan, tasks=selectors.matrix_tasks(request.user, plan, stage_id=stage_id),
                            status=status)
    return xlsx_response(transfer.export_matrix(actor=request.user, plan=plan, grid=grid),
                         f"{plan.title}-任务推进矩阵.xlsx")


@login_required
@require_GET
def plan_timeline(request, pk: int):
    """The stages and tasks on a time line (a Gantt-like ECharts chart drawn from the table under it)."""
    plan = selectors.plan_for(request.user, pk)
    every = selectors.tasks_of(request.user, plan)
    dated = every.filter(deadline__isnull=False)
    stage_id = parse_id(request.GET.get("stage"))
    if stage_id is not None and plan.stages.filter(pk=stage_id).exists():
        dated = dated.filter(stage_id=stage_id)
    else:
        stage_id = None
    page = Paginator(dated, TASKS_PER_PAGE).get_page(request.GET.get("page"))
    tasks = list(page)
    issued = [t for t in tasks if t.status == TaskStatus.ISSUED]
    figures = progress.of_tasks(issued, plan.lag_margin).tasks if issued else {}
    if not policy.oversees(request.user, plan):  # a unit sees its own figures on a task, not the task's mean
        figures = {pk: progress.own_figure(figure, selectors.own_parts(request.user, task), plan.lag_margin)
                   for task in issued for pk, figure in [(task.pk, figures[task.pk])]}
    rows = []
    for task in tasks:
        figure = figures.get(task.pk)
        start = progress.task_start(task)
        state = ("未下发" if task.status != TaskStatus.ISSUED else "逾期" if figure.overdue else
                 "滞后" if figure.lagging else "已完成" if figure.percent >= 100 else "推进中")
        rows.append({"task": task, "start": min(start, task.deadline), "end": task.deadline, "state": state,
                     "percent": figure.percent if figure else None})
    chart = {"today": timezone.localdate().isoformat(),
             "stages": [{"name": s.name, "start": s.start.isoformat(), "end": s.end.isoformat()}
                        for s in plan.stages.all()],
             "tasks": [{"label": f"{r['task'].seq}. {r['task'].content[:18]}", "start": r["start"].isoformat(),
                        "end": r["end"].isoformat(), "state": r["state"],
                        "percent": None if r["percent"] is None else float(r["percent"])} for r in rows]}
    return render(request, "plans/timeline.html", {
        "plan": plan, "rows": rows, "chart": chart, "page": page, "stages": list(plan.stages.all()),
        "stage_id": stage_id, "params": {"stage": stage_id} if stage_id else {},
        "undated": every.filter(deadline__isnull=True).count()})


@login_required
@require_GET
def plan_file(request, pk: int):
    stored = selectors.plan_file_for(request.user, pk)
    return uploads.download(stored, actor=request.user, what="方案文件", unit=stored.plan.owner)
