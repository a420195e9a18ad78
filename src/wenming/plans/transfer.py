"""The 任务分解表 in Excel, in the layout offices use: 序号, 阶段, 测评项目/指标, 任务内容, 工作标准, 牵头单位,
责任单位, 责任人, 完成时限, 目标值, 权重 — imported into a plan's draft and exported from it.

An import lands whole or not at all (core.importer): every row is checked and each problem reported
with its row and column in Chinese; only a clean sheet is written, in one transaction, in bulk. A
row whose 序号 is a draft task of the plan replaces that task; a new 序号 adds one; an issued task
cannot be changed by an import. Units are found by code or by name among the units of the plan's
owner (a name given to several units asks for the code; a near miss gets suggestions), or as a
group — 各区, 各街道, 各社区, 各部门 — meaning every such unit under the owner. A task may lack some
of the 四明确: it is imported and flagged, and cannot be 下发 until completed."""

from __future__ import annotations

import difflib
import re
from decimal import Decimal

from django.db.models import Count
from django.utils import timezone

from wenming.core import audit
from wenming.core.errors import ValidationFailed
from wenming.core.importer import CellInvalid, Column, SheetSpec, read_sheet, write_all_or_nothing
from wenming.core.parsing import parse_day
from wenming.core.sheets import ImportReport, workbook_bytes
from wenming.org.models import Unit, UnitKind
from wenming.standards.models import Indicator

from . import policy, selectors, services
from .models import Assignment, AssignmentRole, Source, Stage, Task, TaskStatus, WorkPlan, format_number
from .targets import TargetInvalid, parse_target

MAX_ROWS = 5_000
SPLIT = re.compile(r"[、,，;；/\n]+")


def _day(text: str):
    try:
        return parse_day(text, label="完成时限")
    except ValidationFailed as error:
        raise CellInvalid(error.message) from None


def _target(text: str):
    try:
        return parse_target(text)
    except TargetInvalid as error:
        raise CellInvalid(str(error)) from None


def _seq(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or not 1 <= int(text) <= 99999:
        raise CellInvalid("序号应为1至99999之间的整数")
    return int(text)


def _weight(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except ArithmeticError:
        raise CellInvalid("权重应为数字，如 1 或 2.5") from None
    message = f"权重应为0.01至{services.MAX_WEIGHT}之间的数（最多两位小数）"
    if not value.is_finite() or not Decimal(0) < value <= services.MAX_WEIGHT:
        raise CellInvalid(message)
    value = value.quantize(Decimal("0.01"))
    if value <= 0:
        raise CellInvalid(message)
    return value


SOURCES = {label: value for value, label in Source.choices if value} | {
    label.split("（")[0]: value for value, label in Source.choices if value} | {"单位报送": ""}


def _source(text: str) -> str:
    if text in SOURCES:
        return SOURCES[text]
    raise CellInvalid(f"实测值来源应为：{'、'.join(label for value, label in Source.choices)}之一，或留空（单位报送）")


SHEET = SheetSpec(columns=(
    Column("序号", aliases=("编号",), required=True, blank=False, parse=_seq, default=None),
    Column("阶段", aliases=("所属阶段", "工作阶段"), max_length=40),
    Column("测评项目/指标", aliases=("测评项目", "测评指标", "指标", "对应指标"), max_length=500),
    Column("任务内容", aliases=("工作任务", "任务", "重点任务"), required=True, blank=False, max_length=2000),
    Column("工作标准", aliases=("标准", "完成标准"), max_length=2000),
    Column("牵头单位", aliases=("牵头部门",), max_length=500),
    Column("责任单位", aliases=("责任部门", "配合单位"), required=True, blank=False, max_length=2000),
    Column("责任人", aliases=("责任领导", "具体责任人"), max_length=100),
    Column("完成时限", aliases=("完成时间", "时限"), parse=_day, default=None),
    Column("目标值", aliases=("目标", "量化目标", "目标要求"), max_length=100, parse=_target, default=None),
    Column("权重", parse=_weight, default=None),
    Column("实测值来源", aliases=("数据来源",), parse=_source, default=""),
), max_rows=MAX_ROWS, too_many="表中数据超过{max}行，一个方案一次最多导入{max}项任务，请拆分后分批导入")
COLUMNS = SHEET.headers
FIELD_COLUMN = {"seq": "序号", "stage": "阶段", "indicators": "测评项目/指标", "content": "任务内容", "standard": "工作标准",
                "leads": "牵头单位", "responsible": "责任单位", "person": "责任人", "deadline": "完成时限",
                "target": "目标值", "weight": "权重", "source": "实测值来源"}
WIDTHS = [6, 12, 24, 48, 36, 18, 30, 12, 12, 24, 6, 22]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# the group words of the seeds' 任务分解表: every unit of that kind under the plan's owner
GROUPS = {
    "各区": UnitKind.DISTRICT, "各区县": UnitKind.DISTRICT, "各县区": UnitKind.DISTRICT, "各县（市、区）": UnitKind.DISTRICT,
    "各街道": UnitKind.STREET, "各街道（镇）": UnitKind.STREET, "各镇街": UnitKind.STREET, "各乡镇（街道）": UnitKind.STREET,
    "各社区": UnitKind.COMMUNITY, "各村（居）委会": UnitKind.COMMUNITY, "各村(居)委会": UnitKind.COMMUNITY,
    "各社区（村）": UnitKind.COMMUNITY, "各部门": UnitKind.DEPARTMENT, "市直各单位": UnitKind.DEPARTMENT,
    "各有关部门": UnitKind.DEPARTMENT, "市直各有关单位": UnitKind.DEPARTMENT,
}


class UnitDirectory:
    """The units of a plan's owner (itself and below, active), found by code, name or group word."""

    def __init__(self, owner: Unit):
        self.units = list(Unit.objects.filter(path__startswith=owner.path, is_active=True).order_by("path"))
        self.by_code = {u.code: u for u in self.units}
        self.by_name: dict[str, list[Unit]] = {}
        for unit in self.units:
            self.by_name.setdefault(unit.name, []).append(unit)
        self.by_id = {u.pk: u for u in self.units}
        self.kinds: dict[str, list[Unit]] = {}
        for unit in self.units:
            self.kinds.setdefault(unit.kind, []).append(unit)
        self.owner = owner

    def find(self, text: str) -> tuple[list[Unit], list[str]]:
        """The units a cell names, and one message per part that names none or several."""
        found, problems = [], []
        for part in (p.strip() for p in SPLIT.split(text or "")):
            if not part:
                continue
            if part in GROUPS:
                units = self.kinds.get(GROUPS[part], [])
                if not units:
                    problems.append(f"“{part}”：{self.owner.name}下没有{UnitKind(GROUPS[part]).label}")
                found.extend(units)
                continue
            unit = self.by_code.get(part)
            if unit is not None:
                found.append(unit)
                continue
            named = self.by_name.get(part, [])
            if len(named) == 1:
                found.append(named[0])
            elif named:
                places = "、".join(f"{self._parent_name(u)}{u.name}（{u.code}）" for u in named[:4])
                problems.append(f"名为“{part}”的单位有{len(named)}个：{places}，请改填单位编码")
            else:
                near = difflib.get_close_matches(part, list(self.by_name), n=3, cutoff=0.6)
                hint = f"，是否为：{'、'.join(near)}？" if near else "；可填单位名称、单位编码，或“各街道”“各社区”等"
                problems.append(f"找不到单位“{part}”（须为{self.owner.name}或其下属单位）{hint}")
        return list(dict.fromkeys(found)), problems

    def _parent_name(self, unit: Unit) -> str:
        parent = self.by_id.get(unit.parent_id)
        return f"{parent.name}" if parent is not None else ""


class IndicatorDirectory:
    def __init__(self, system):
        rows = list(Indicator.objects.filter(system=system).order_by("level", "sort", "id")) if system else []
        self.system = system
        self.by_code = {i.code: i for i in rows}
        self.by_name: dict[str, list[Indicator]] = {}
        for indicator in rows:
            self.by_name.setdefault(indicator.name, []).append(indicator)

    def find(self, text: str) -> tuple[list[Indicator], list[str]]:
        parts = [p.strip() for p in SPLIT.split(text or "") if p.strip()]
        if parts and self.system is None:
            return [], ["本方案未选定测评体系，不能关联测评指标；请先在方案中选定测评体系"]
        found, problems = [], []
        for part in parts:
            hit = self.by_code.get(part) or (self.by_name.get(part) or [None])[0]
            if hit is None:
                code = part.split()[0] if " " in part else ""
                hit = self.by_code.get(code)
            if hit is None:
                near = difflib.get_close_matches(part, list(self.by_name), n=3, cutoff=0.6)
                problems.append(f"测评体系中没有指标“{part}”" + (f"，是否为：{'、'.join(near)}？" if near else
                                                                 "；可填指标编码或名称"))
            else:
                found.append(hit)
        return list(dict.fromkeys(found)), problems


def import_tasks(*, actor, plan: WorkPlan, data: bytes, filename: str, progress=None) -> ImportReport:
    """Check every row, then write all of them or none. ``progress`` (a core.jobs.Progress, when the
    import runs as a background job) is told the rows checked, then the rows written."""
    if not policy.may_manage(actor, plan):
        from wenming.core import access

        access.refuse_forbidden(actor, "plans.tasks_import", target=plan, unit=plan.owner)
    report = ImportReport()
    sheet = read_sheet(data, filename, SHEET, report.errors)
    if sheet.refused:
        return report
    total = len(sheet.rows)
    if progress is not None:
        progress.start(2 * total)  # each row is checked, then written
    units = UnitDirectory(plan.owner)
    indicators = IndicatorDirectory(plan.system)
    stages = {s.name: s for s in Stage.objects.filter(plan=plan)}
    existing = {t.seq: t for t in Task.objects.filter(plan=plan)}
    seen: dict[int, int] = {}
    parsed: list[tuple[services.TaskInput, Task | None]] = []
    for row in sheet.rows:
        found: dict[str, str] = {}
        seq = row["序号"]
        if seq is not None:
            if seq in seen:
                found["seq"] = f"序号{seq}与第{seen[seq]}行重复"
            seen.setdefault(seq, row.number)
            current = existing.get(seq)
            if current is not None and current.status != TaskStatus.DRAFT:
                found["seq"] = f"序号为{seq}的任务已下发，不能通过导入修改；新任务请使用新的序号"
        else:
            current = None
        stage = None
        stage_name = row.text("阶段")
        if stage_name:
            stage = stages.get(stage_name)
            if stage is None:
                found["stage"] = (f"本方案没有“{stage_name}”阶段（现有：{'、'.join(stages)}）" if stages
                                  else f"本方案还没有设置阶段，请先在方案页添加“{stage_name}”阶段或清空此列")
        leads, lead_problems = units.find(row.text("牵头单位"))
        responsible, responsible_problems = units.find(row.text("责任单位"))
        if lead_problems:
            found["leads"] = "；".join(lead_problems)
        if responsible_problems:
            found["responsible"] = "；".join(responsible_problems)
        linked, indicator_problems = indicators.find(row.text("测评项目/指标"))
        if indicator_problems:
            found["indicators"] = "；".join(indicator_problems)
        item = services.TaskInput(seq=seq, content=row.text("任务内容"), standard=row.text("工作标准"),
                                  person=row.text("责任人"), deadline=row["完成时限"], target=row["目标值"],
                                  weight=row["权重"], stage=stage, indicators=linked, leads=leads,
                                  responsible=responsible, source=row["实测值来源"] or "")
        checked = services.check_task(plan, item)
        for name in ("leads", "responsible", "indicators", "stage"):
            if name in found:
                checked.pop(name, None)  # what was not found says more than what the found units lack
        if row.refused:  # a cell the sheet refused already has its message
            for name, header in FIELD_COLUMN.items():
                if header in row.refused:
                    checked.pop(name, None)
        checked.update(found)
        sheet.errors_by_field(row.number, checked, FIELD_COLUMN)
        parsed.append((item, current))
        if progress is not None:
            progress(len(parsed))
    sheet.sort_errors()
    write_all_or_nothing(report, lambda: _write(actor, plan, filename, parsed, report),
                         conflict="导入过程中本方案的任务已被他人修改", column="序号")
    if progress is not None and report.ok:
        progress(2 * total)
    return report


def _write(actor, plan: WorkPlan, filename: str, parsed: list, report: ImportReport) -> None:
    """Runs in :func:`write_all_or_nothing`'s transaction."""
    now = timezone.now()
    locked = WorkPlan.objects.select_for_update().get(pk=plan.pk)
    replaced = [current.pk for _, current in parsed if current is not None]
    if Task.objects.filter(pk__in=replaced).exclude(status=TaskStatus.DRAFT).exists():
        raise ValidationFailed("导入过程中有任务已被下发，未写入任何数据，请重新导入")
    Task.objects.filter(pk__in=replaced).delete()  # replaced whole: their units and indicators with them
    tasks = []
    for item, _ in parsed:
        task = Task(plan=locked, created_at=now, updated_at=now)
        services.fill_task(task, item)
        tasks.append(task)
    Task.objects.bulk_create(tasks, batch_size=500)
    if any(t.pk is None for t in tasks):  # a backend that gives no ids back on bulk insert
        ids = dict(Task.objects.filter(plan=locked, seq__in=[t.seq for t in tasks]).values_list("seq", "pk"))
        for task in tasks:
            task.pk = task.id = ids[task.seq]
    assignments, links = [], []
    through = Task.indicators.through
    for (item, _), task in zip(parsed, tasks, strict=True):
        wanted = [(u, AssignmentRole.LEAD) for u in item.leads] + [(u, AssignmentRole.RESPONSIBLE) for u in item.responsible]
        for sort, (unit, role) in enumerate(dict.fromkeys(wanted)):
            assignments.append(Assignment(task=task, unit=unit, unit_path=unit.path, role=role, sort=sort))
        links.extend(through(task_id=task.pk, indicator_id=i.pk) for i in item.indicators)
    Assignment.objects.bulk_create(assignments, batch_size=1000)
    through.objects.bulk_create(links, batch_size=1000)
    report.updated = len(replaced)
    report.created = len(tasks) - report.updated
    flagged = sum(1 for task in tasks if task.missing())
    audit.record("plans.tasks_import", actor=actor, target=locked, unit=locked.owner,
                 detail={"file": filename, "rows": len(tasks), "created": report.created, "updated": report.updated,
                         "flagged": flagged, "seqs": [t.seq for t in tasks][:2000]})


def _names(assignments, role) -> str:
    return "、".join(a.unit.name for a in assignments if a.role == role)


def export_tasks(*, actor, plan: WorkPlan) -> bytes:
    """The plan's tasks the actor sees, in the import layout (it imports again unchanged)."""
    tasks = list(selectors.tasks_of(actor, plan))
    rows = []
    for task in tasks:
        units = list(task.assignments.all())
        rows.append([task.seq, task.stage.name if task.stage else "",
                     "、".join(i.code for i in task.indicators.all()), task.content, task.standard,
                     _names(units, AssignmentRole.LEAD), _names(units, AssignmentRole.RESPONSIBLE), task.person,
                     task.deadline.isoformat() if task.deadline else "", task.target_text,
                     format_number(task.weight), task.get_source_display() if task.source else ""])
    audit.download(actor=actor, what="任务分解表", rows=len(rows), target=plan, unit=plan.owner, format="xlsx")
    return workbook_bytes("任务分解表", COLUMNS, rows, widths=WIDTHS)


TEMPLATE_ROWS = 3


def template_sheet() -> bytes:
    example = [
        [1, "", "", "注册志愿者人数占城市常住人口比例达到10%以上", "建立志愿者注册登记制度，按月统计", "市文明办",
         "各区", "张三", "2026-06-30", "注册志愿者占比≥10%", 2, ""],
        [2, "", "", "主次干道路灯完好，夜间全部亮灯", "每周巡查一次，损坏路灯48小时内修复", "市城管局", "市城管局、各区",
         "李四", "2026-05-31", "主干道亮灯率=100%", 1, ""],
        [3, "", "", "问题按期办结", "交办问题在期限内整改到位", "", "各区", "王五", "2026-12-31",
         "问题按期办结率≥90%", 1, "问题按期办结率（本年度）"],
    ]
    return workbook_bytes("任务分解表", COLUMNS, example, widths=WIDTHS)


MEETING_COLUMNS = ["召开日期", "会议类型", "会议名称", "召开单位", "地点", "主持人", "参会人员", "议定事项", "已下发", "附件"]


def export_meetings(*, actor, rows) -> bytes:
    """The meeting ledger (会议台账): the meetings ``rows`` (selectors.meetings) with their decisions' counts."""
    rows = list(rows)
    issued = dict(Task.objects.filter(meeting__in=rows, status=TaskStatus.ISSUED).values("meeting_id")
                  .annotate(n=Count("id")).values_list("meeting_id", "n"))
    data = [[m.held_on.isoformat(), m.get_kind_display(), m.title, m.owner.name, m.place, m.chair, m.attendees,
             m.decision_count, issued.get(m.pk, 0), m.file_count] for m in rows]
    audit.download(actor=actor, what="会议台账", rows=len(data), format="xlsx")
    return workbook_bytes("会议台账", MEETING_COLUMNS, data, widths=[12, 12, 36, 16, 16, 10, 30, 8, 8, 6])


def export_matrix(*, actor, plan: WorkPlan, grid: dict) -> bytes:
    """The unit × task matrix (selectors.matrix) as a sheet: one row per unit, per task its progress and state."""
    from .selectors import CELL_LABELS

    tasks = grid["tasks"]
    header = ["单位"] + [f"{t.seq}. {t.content[:20]}" for t in tasks]
    rows = []
    for unit in grid["units"]:
        row = [unit.name]
        for task in tasks:
            cell = grid["cells"].get((unit.pk, task.pk))
            row.append(f"{cell['percent']}% {CELL_LABELS[cell['state']]}" if cell else "")
        rows.append(row)
    audit.download(actor=actor, what="任务推进矩阵", rows=len(rows), target=plan, unit=plan.owner, format="xlsx")
    return workbook_bytes("任务推进矩阵", header, rows, widths=[20] + [16] * min(len(tasks), 24))
