"""The problem ledger's Excel export, and bulk import of problems (上级反馈清单, 普查摸排) from Excel.

The export streams: it reads the (already user-scoped) queryset as plain tuples in chunks and
XlsxWriter in ``constant_memory`` mode writes each row to disk as it comes, so a 1,000,000-row
ledger never sits in memory. The reporter's name is masked (王**) and no phone is written.

The import lands whole or not at all, like the unit import: every row is checked first and each
problem is reported with its row and column; only a clean sheet is written, in one transaction,
with bulk inserts (one code reservation, one insert per batch of problems and of events)."""

from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import xlsxwriter
from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from wenming.core import access, audit, outbound
from wenming.core.dates import chinese_datetime
from wenming.core.importer import (
    CellInvalid,
    Column,
    SheetSpec,
    read_sheet,
    write_all_or_nothing,
)
from wenming.core.masking import mask_name
from wenming.core.sheets import ImportReport, safe_cell
from wenming.org.models import Membership, Role, Unit, User

from .. import policy, timeline
from ..escalation import sla
from ..intake import services
from ..models import (
    OPEN_STATES,
    Category,
    Notification,
    Problem,
    ProblemEvent,
    ProblemVersion,
    Severity,
    Source,
    State,
)

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# --- export ------------------------------------------------------------------------------------

EXPORT_COLUMNS = ["编号", "标题", "类别", "严重程度", "来源", "状态", "所在区域", "地址", "责任单位", "发现时间",
                  "交办时间", "整改期限", "期限提示", "办结时间", "是否逾期", "按期办结", "退回重改次数", "督办次数",
                  "报告人"]
EXPORT_WIDTHS = [15, 30, 22, 9, 12, 9, 16, 30, 18, 17, 17, 17, 30, 17, 9, 9, 8, 8, 9]
# what is read per row: plain values, no model instances
EXPORT_FIELDS = ("code", "title", "category__name", "category__parent__name", "severity", "source", "state",
                 "area__name", "address", "unit__name", "created_at", "assigned_at", "deadline", "closed_at",
                 "is_overdue", "closed_on_time", "rework_count", "supervision_count", "reporter_name")
CHUNK_SIZE = 2000
PROGRESS_EVERY = 200

SEVERITY_LABELS = dict(Severity.choices)
SOURCE_LABELS = dict(Source.choices)
STATE_LABELS = dict(State.choices)
YES_NO = {True: "是", False: "否", None: ""}


def _local_text(value, zone) -> str:
    if value is None:
        return ""
    moment = value.astimezone(zone)
    return f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d} {moment.hour:02d}:{moment.minute:02d}"


def _deadline_warnings(zone):
    """``warning(deadline)``: the deadline's ``sla.calendar_warning`` or "", worked out once per year."""
    by_year: dict[int, str] = {}

    def warning(deadline) -> str:
        if deadline is None:
            return ""
        year = deadline.astimezone(zone).year
        if year not in by_year:
            by_year[year] = sla.calendar_warning(deadline) or ""
        return by_year[year]

    return warning


def _ledger_values(row, zone, warning) -> tuple:
    (code, title, category, parent, severity, source, state, area, address, unit, created_at, assigned_at,
     deadline, closed_at, is_overdue, closed_on_time, rework, supervision, reporter_name) = row
    return (code, title, f"{parent} › {category}" if parent else category, SEVERITY_LABELS.get(severity, severity),
            SOURCE_LABELS.get(source, source), STATE_LABELS.get(state, state), area or "", address or "",
            unit or "", _local_text(created_at, zone), _local_text(assigned_at, zone), _local_text(deadline, zone),
            warning(deadline), _local_text(closed_at, zone), YES_NO[is_overdue], YES_NO[closed_on_time], rework,
            supervision, mask_name(reporter_name))


def export_ledger(*, actor, qs, fileobj, filters: dict | None = None, progress=None) -> int:
    """Write the ledger rows of ``qs`` (a queryset from ``selectors.ledger(actor, ...)``, already
    scoped to the actor) as an .xlsx into ``fileobj``; returns the number of rows written.
    ``progress(rows_so_far)`` is called every ``PROGRESS_EVERY`` rows."""
    if not access.scope_for(actor).has("org.view"):
        access.refuse_forbidden(actor, "cases.ledger_export")
    zone = ZoneInfo(settings.TIME_ZONE)
    workbook = xlsxwriter.Workbook(fileobj, {
        "constant_memory": True,  # each row goes to a temp file as written; nothing accumulates
        "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
    })
    sheet = workbook.add_worksheet("问题台账")
    bold = workbook.add_format({"bold": True})
    for index, width in enumerate(EXPORT_WIDTHS):
        sheet.set_column(index, index, width)
    sheet.freeze_panes(1, 0)
    for col, title in enumerate(EXPORT_COLUMNS):
        sheet.write_string(0, col, title, bold)
    write_string, write_number = sheet.write_string, sheet.write_number
    rows = (qs.order_by("-created_at", "-id").values_list(*EXPORT_FIELDS).iterator(chunk_size=CHUNK_SIZE))
    n = 0
    warning = _deadline_warnings(zone)
    for raw in rows:
        n += 1
        for col, value in enumerate(_ledger_values(raw, zone, warning)):
            if isinstance(value, int):
                write_number(n, col, value)
            elif value:
                write_string(n, col, safe_cell(value))
        if progress is not None and not n % PROGRESS_EVERY:
            progress(n)
    if n:
        sheet.autofilter(0, 0, n, len(EXPORT_COLUMNS) - 1)
    workbook.close()
    audit.record("cases.ledger_export", actor=actor, target="问题台账",
                 detail={"rows": n, "filters": {k: v for k, v in (filters or {}).items() if v}})
    return n


# --- import ------------------------------------------------------------------------------------

MAX_ROWS = 10_000
MAX_DESCRIPTION = 2000
BATCH_SIZE = 500

SEVERITY_ALIASES = {label: value for value, label in Severity.choices}
SEVERITY_ALIASES.update({value: value for value in Severity.values})
SEVERITY_ALIASES.update({"普通": Severity.NORMAL, "紧急": Severity.URGENT, "难点问题": Severity.DIFFICULT,
                         "长期问题": Severity.LONG_TERM})
SOURCE_ALIASES = {label: value for value, label in Source.choices}
SOURCE_ALIASES.update({value: value for value in Source.values})
SOURCE_ALIASES.update({"上级反馈": Source.SUPERIOR, "上级交办": Source.SUPERIOR, "普查": Source.CENSUS,
                       "摸排": Source.CENSUS, "督查": Source.INSPECTION, "热线": Source.HOTLINE,
                       "12345": Source.HOTLINE, "随手拍": Source.CITIZEN, "媒体": Source.MEDIA,
                       "网格": Source.GRID})


def _coordinate(low: int, high: int, column: str):
    """The coordinate as a 6-place Decimal."""
    def parse(text: str) -> Decimal:
        try:
            value = Decimal(text.replace("，", "").replace(",", ""))
        except InvalidOperation:
            raise CellInvalid(f"“{text}”不是数字") from None
        if not value.is_finite():
            raise CellInvalid(f"“{text}”不是数字")
        if not low <= value <= high:
            raise CellInvalid(f"{column}应在{low}到{high}之间，“{text}”超出范围")
        return value.quantize(Decimal("0.000001"))
    return parse


def _choice(column: str, aliases: dict[str, str], labels: dict[str, str]):
    def parse(text: str) -> str:
        if text not in aliases:
            raise CellInvalid(f"{column}“{text}”无效，应为：{'、'.join(labels.values())}")
        return aliases[text]
    return parse


SHEET = SheetSpec(columns=(
    Column("标题", aliases=("问题标题",), required=True, blank=False, max_length=100),
    Column("类别编码", aliases=("问题类别编码",), required=True, blank=False, max_length=20),
    Column("区域编码", aliases=("所在区域编码",), required=True, blank=False, max_length=18),
    Column("地址", aliases=("问题地址", "详细地址"), required=True, max_length=200),
    Column("问题描述", aliases=("描述", "问题详情"), max_length=MAX_DESCRIPTION),
    Column("严重程度", parse=_choice("严重程度", SEVERITY_ALIASES, SEVERITY_LABELS), default=Severity.NORMAL),
    Column("来源", aliases=("问题来源",), parse=_choice("来源", SOURCE_ALIASES, SOURCE_LABELS),
           default=Source.SUPERIOR),
    Column("纬度", parse=_coordinate(-90, 90, "纬度"), default=None),
    Column("经度", parse=_coordinate(-180, 180, "经度"), default=None),
    Column("责任单位编码", aliases=("交办单位编码",), max_length=18),
), max_rows=MAX_ROWS)
IMPORT_COLUMNS = SHEET.headers


@dataclass
class ProblemImportReport(ImportReport):
    assigned: int = 0  # of ``created``, how many were 交办 at once


@dataclass
class _Row:
    number: int
    title: str
    category: Category
    area: Unit
    role: str
    address: str
    description: str
    severity: str
    source: str
    latitude: Decimal | None
    longitude: Decimal | None
    unit: Unit | None


def _category_lookup(code: str, categories: dict[str, Category]) -> Category | None:
    if code in categories:
        return categories[code]
    if code.isdigit() and len(code) % 2:  # Excel dropped the leading zero: 201 → 0201
        return categories.get("0" + code)
    return None


def import_problems(*, actor, data: bytes, filename: str) -> ProblemImportReport:
    """Create one problem per row of a 上级反馈清单/普查 sheet; see the module docstring."""
    scope = access.scope_for(actor)
    if Role.OFFICE not in scope.roles:
        access.refuse_forbidden(actor, "cases.problem_import")
    report = ProblemImportReport()
    sheet = read_sheet(data, filename, SHEET, report.errors)
    if sheet.refused:
        return report
    category_codes = {r.text("类别编码") for r in sheet.rows}
    category_codes |= {"0" + c for c in category_codes if c.isdigit() and len(c) % 2}
    categories = {c.code: c for c in Category.objects.filter(code__in=category_codes).select_related("parent")}
    unit_codes = {r.text("区域编码") for r in sheet.rows} | {r.text("责任单位编码") for r in sheet.rows}
    units = {u.code: u for u in Unit.objects.filter(code__in=unit_codes - {""})}

    # blank, over-long and unparsed cells are the sheet's errors already; here what they refer to
    errors = report.errors
    rows: list[_Row] = []
    for row in sheet.rows:
        number, count = row.number, len(errors)
        category = None
        code = row.text("类别编码")
        if code:
            category = _category_lookup(code, categories)
            if category is None:
                sheet.error(number, "类别编码", f"找不到编码为{code}的问题类别")
            elif category.parent_id is None:
                sheet.error(number, "类别编码", f"{code}（{category.name}）是一级类别，请填写具体的二级类别编码")
            elif not category.is_active:
                sheet.error(number, "类别编码", f"类别{category.code}（{category.name}）已停用")

        area, role = None, None
        if row.text("区域编码"):
            area = units.get(row.text("区域编码"))
            role = policy.may_report_in(actor, area) if area is not None and area.is_active else None
            if role is None:
                sheet.error(number, "区域编码", f"找不到编码为{row.text('区域编码')}的区域，或不在您可以报告的范围内")

        latitude, longitude = row["纬度"], row["经度"]
        location_error = bool(row.refused & {"纬度", "经度"})
        if not location_error and (latitude is None) != (longitude is None):
            sheet.error(number, "经度" if longitude is None else "纬度", "经纬度须同时填写")
            location_error = True
        address = row.text("地址")
        if "地址" not in row.refused and not address and latitude is None and not location_error:
            sheet.error(number, "地址", "请填写地址或经纬度")

        unit = None
        if row.text("责任单位编码"):
            unit = units.get(row.text("责任单位编码"))
            if unit is None or not unit.is_active or Role.OFFICE not in scope.roles_at(unit):
                sheet.error(number, "责任单位编码",
                            f"找不到编码为{row.text('责任单位编码')}的责任单位，或该单位不在您的交办范围内")
                unit = None

        if not row.refused and len(errors) == count:
            rows.append(_Row(number, row["标题"], category, area, role, address, row["问题描述"], row["严重程度"],
                             row["来源"], latitude, longitude, unit))

    sheet.sort_errors()
    if not report.ok:
        return report
    matches = _place_matches(rows)
    texts = write_all_or_nothing(report, lambda: _write(actor, filename, rows, matches, report),
                                 conflict="导入过程中问题编号冲突（可能有人同时导入）")
    # text messages leave only once the problems are there, and not while the code counter is locked
    for phone, text in texts or ():
        outbound.send_sms(phone, text)
    return report


@dataclass
class _PlaceMatch:
    duplicate: tuple[int, str] | None = None   # (pk, code) of the open problem at the row's place
    recurrence: tuple[int, str] | None = None  # (pk, code) of the problem closed there lately


def _place_matches(rows: list[_Row]) -> dict[int, _PlaceMatch]:
    """Row number → what stands at its place already — the rule of
    ``intake.services.place_matches`` (``at_place``: the radius, or the same address in the
    community), for the whole sheet in a query per 100 rows. Earlier rows of the sheet count as
    open problems at their place: a later row of the same spot is no 反弹."""
    settings_row = sla.case_settings()
    radius = settings_row.duplicate_radius_m
    since = timezone.now() - timezone.timedelta(days=settings_row.recurrence_days)
    places = {r.number: services.place_of(r.area, r.latitude, r.longitude, r.address) for r in rows}
    candidates: dict[int, dict[int, tuple]] = defaultdict(dict)  # category → pk → (candidate, closed_at)
    for start in range(0, len(rows), 100):
        near = Q()
        for row in rows[start:start + 100]:
            place = places[row.number]
            if place.latitude is not None:
                lat_min, lat_max, lon_min, lon_max = services.box_around(place.latitude, place.longitude, radius)
                near |= Q(category=row.category, latitude__range=(lat_min, lat_max),
                          longitude__range=(lon_min, lon_max))
            if place.address:
                near |= Q(category=row.category, address=place.address, area_path__startswith=place.scope_path)
        if not near:
            continue
        found = (Problem.objects.filter(near).filter(Q(state__in=OPEN_STATES) | Q(state=State.CLOSED, closed_at__gte=since))
                 .values_list("pk", "code", "state", "latitude", "longitude", "address", "area_path", "category_id",
                              "closed_at"))
        for *fields, category_id, closed_at in found:
            candidates[category_id][fields[0]] = (services.Candidate(*fields), closed_at)
    result: dict[int, _PlaceMatch] = {}
    earlier: dict[int, list] = defaultdict(list)  # category → places of earlier rows
    for row in rows:
        place, category_id = places[row.number], row.category.pk
        here = [(c, at) for c, at in candidates[category_id].values() if services.at_place(c, place, radius)]
        match = _PlaceMatch()
        opened = sorted((c for c, _ in here if c.state in OPEN_STATES), key=lambda c: -c.pk)
        if opened:
            match.duplicate = (opened[0].pk, opened[0].code)
        elif not any(_same(other, place, radius) for other in earlier[category_id]):
            closed = sorted(((at, c) for c, at in here if c.state == State.CLOSED), key=lambda x: x[0], reverse=True)
            if closed:
                match.recurrence = (closed[0][1].pk, closed[0][1].code)
        if match.duplicate or match.recurrence:
            result[row.number] = match
        earlier[category_id].append(place)
    return result


def _same(a, b, radius: float) -> bool:
    """Two places of the sheet: the rule of ``at_place`` with ``a`` as the earlier problem."""
    return services.at_place(SimpleNamespace(latitude=a.latitude, longitude=a.longitude, address=a.address,
                                             area_path=a.scope_path), b, radius)


def _write(actor, filename: str, rows: list[_Row], matches: dict[int, _PlaceMatch],
           report: ProblemImportReport) -> list[tuple[str, str]]:
    """Runs in :func:`write_all_or_nothing`'s transaction; returns the text messages to send after it."""
    now = timezone.now()
    codes = services.reserve_codes(timezone.localtime(now).year, len(rows))
    schedule = sla.work_schedule()
    timing: dict[tuple, tuple] = {}  # (category, severity) → (deadline, next_due_at): same start for all
    reporter_name = actor.display_name
    problems = []
    for row, code in zip(rows, codes):
        match = matches.get(row.number) or _PlaceMatch()
        previous = match.recurrence
        problem = Problem(
            code=code, title=row.title, description=row.description, category=row.category,
            severity=row.severity, source=row.source, area=row.area, area_path=row.area.path,
            address=row.address, latitude=row.latitude, longitude=row.longitude, reporter=actor,
            reporter_name=reporter_name, created_by=actor, recurrence_of_id=previous[0] if previous else None,
            duplicate_of_id=match.duplicate[0] if match.duplicate else None, tracking_code=services.new_tracking_code(),
            state=State.REPORTED, created_at=now)
        if row.unit is not None:
            problem.unit, problem.unit_path = row.unit, row.unit.path
            problem.state, problem.assigned_at = State.ASSIGNED, now
            key = (row.category.pk, row.severity)
            if key not in timing:
                problem.deadline = sla.deadline_for(row.category, row.severity, now, schedule)
                sla.schedule(problem)
                timing[key] = (problem.deadline, problem.next_due_at)
            problem.deadline, problem.next_due_at = timing[key]
        problems.append(problem)
    Problem.objects.bulk_create(problems, batch_size=BATCH_SIZE)

    events = []
    for row, problem in zip(rows, problems):
        data = {"source": problem.source, "import": filename[:100]}
        match = matches.get(row.number) or _PlaceMatch()
        if match.duplicate:
            data["duplicate_of"] = match.duplicate[1]
        events.append(ProblemEvent(problem=problem, action="report", actor=actor, actor_role=row.role, at=now,
                                   from_state="", to_state=State.REPORTED, note=row.description, data=data))
        previous = match.recurrence
        if previous is not None:
            events.append(ProblemEvent(problem_id=previous[0], action="recurred", actor=actor,
                                       actor_role=row.role, at=now, from_state=State.CLOSED,
                                       to_state=State.CLOSED, note=f"同一处同类问题再次出现：{problem.code}",
                                       data={"recurrence": problem.code}))
        if row.unit is not None:
            events.append(ProblemEvent(problem=problem, action="assign", actor=actor, actor_role=Role.OFFICE,
                                       at=now, from_state=State.REPORTED, to_state=State.ASSIGNED,
                                       data={"unit": row.unit.name, "unit_code": row.unit.code,
                                             "deadline": problem.deadline.isoformat()}))
    timeline.link(events)
    ProblemEvent.objects.bulk_create(events, batch_size=BATCH_SIZE)
    ProblemVersion.objects.bulk_create([ProblemVersion.of(p, now) for p in problems if p.assigned_at is not None],
                                       batch_size=BATCH_SIZE)

    report.created = len(problems)
    report.assigned = sum(1 for p in problems if p.unit_id)
    texts = _notify(actor, problems)
    audit.record("cases.problem_import", actor=actor, target=filename[:200],
                 detail={"rows": report.created, "assigned": report.assigned,
                         "first": codes[0], "last": codes[-1],
                         "recurrences": sum(1 for m in matches.values() if m.recurrence),
                         "duplicates": sum(1 for m in matches.values() if m.duplicate)})
    return texts


def _notify(actor, problems: list[Problem]) -> list[tuple[str, str]]:
    """One summary per person, not one per problem: the units' staff hear of what was 交办 to
    them (in the app and by SMS, as for a single 交办); the nearest office of each area hears of
    the problems waiting to be accepted (the importer himself is not told). Returns the text
    messages to send after the commit."""
    by_unit: dict[int, list[Problem]] = defaultdict(list)
    unassigned: list[Problem] = []
    for problem in problems:
        (by_unit[problem.unit_id] if problem.unit_id else unassigned).append(problem)
    notes: list[Notification] = []
    texts: list[tuple[str, str]] = []
    staff: dict[int, list[int]] = defaultdict(list)
    for user_id, unit_id in Membership.objects.filter(
            unit_id__in=list(by_unit), role__in=policy.UNIT_STAFF_ROLES, is_active=True,
            user__is_active=True).values_list("user_id", "unit_id"):
        staff[unit_id].append(user_id)
    phones = dict(User.objects.filter(pk__in={u for ids in staff.values() for u in ids}).exclude(phone="")
                  .values_list("pk", "phone"))
    for unit_id, items in by_unit.items():
        first = min(p.deadline for p in items)
        deadline = chinese_datetime(first, year=False)
        title, body = f"交办：批量导入{len(items)}个问题", f"请及时签收整改，最早的整改期限为{deadline}"
        for user_id in sorted(set(staff[unit_id])):
            notes.append(Notification(user_id=user_id, title=title, body=body, url=reverse("cases:mine")))
            if user_id in phones:
                texts.append((phones[user_id], f"【创城办】{title}。{body}"[:300]))
    if unassigned:
        offices: dict[int, list[int]] = defaultdict(list)
        for user_id, unit_id in Membership.objects.filter(role=Role.OFFICE, is_active=True,
                                                           user__is_active=True).values_list("user_id", "unit_id"):
            offices[unit_id].append(user_id)
        counts: dict[int, int] = defaultdict(int)
        nearest: dict[int, list[int]] = {}
        for problem in unassigned:
            if problem.area_id not in nearest:
                chain = reversed(problem.area.ancestor_ids() + [problem.area_id])
                nearest[problem.area_id] = next((offices[u] for u in chain if u in offices), [])
            for user_id in set(nearest[problem.area_id]):
                counts[user_id] += 1
        for user_id, n in sorted(counts.items()):
            if user_id != actor.pk:
                notes.append(Notification(user_id=user_id, title=f"新问题待受理：批量导入{n}个问题",
                                          body=f"由{actor.display_name}导入", url=reverse("cases:todo")))
    Notification.objects.bulk_create(notes, batch_size=BATCH_SIZE)
    return texts


# --- template ----------------------------------------------------------------------------------

TEMPLATE_EXAMPLES = [
    ["（示例）人行道占道经营", "0201", "370202001001", "人民路88号", "水果摊占用人行道约10米", "一般", "上级反馈清单",
     "", "", ""],
    ["（示例）小区门口暴露垃圾", "0101", "370202001001", "幸福路12号小区东门", "垃圾桶满溢未及时清运", "立行立改",
     "普查摸排", "36.067108", "120.382609", "370202001"],
]


def import_template() -> bytes:
    """The import sheet: header and two example rows; a second sheet lists the category codes
    and a third explains each column. Only the first sheet is read on import."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "问题清单"
    sheet.append(IMPORT_COLUMNS)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in TEMPLATE_EXAMPLES:
        sheet.append(row)
    for letter, width in zip("ABCDEFGHIJ", [30, 10, 16, 30, 36, 10, 14, 12, 12, 16]):
        sheet.column_dimensions[letter].width = width
    for letter in "BCJ":  # codes stay text (Excel would turn 0201 into 201)
        sheet.column_dimensions[letter].number_format = "@"
        for cell in sheet[letter]:
            cell.number_format = "@"
    sheet.freeze_panes = "A2"

    codes = workbook.create_sheet("类别编码")
    codes.append(["类别编码", "一级类别", "二级类别"])
    for category in (Category.objects.filter(is_active=True, parent__isnull=False).select_related("parent")
                     .order_by("parent__sort", "parent__code", "sort", "code")):
        codes.append([safe_cell(category.code), safe_cell(category.parent.name), safe_cell(category.name)])
    codes.column_dimensions["A"].width, codes.column_dimensions["B"].width = 10, 14
    codes.column_dimensions["C"].width = 22

    notes = workbook.create_sheet("填写说明")
    for line in [
        ["列", "说明"],
        ["标题", "必填，不超过100个字"],
        ["类别编码", "必填，二级类别编码，见“类别编码”表（如0201 占道经营）"],
        ["区域编码", "必填，问题所在的街道/社区/网格编码，须在您的管理范围内"],
        ["地址", "地址与经纬度至少填一项，不超过200个字"],
        ["问题描述", f"选填，不超过{MAX_DESCRIPTION}个字"],
        ["严重程度", f"选填，默认“一般”；可填：{'、'.join(SEVERITY_LABELS.values())}"],
        ["来源", f"选填，默认“上级反馈清单”；可填：{'、'.join(SOURCE_LABELS.values())}"],
        ["纬度、经度", "选填，须同时填写，如 36.067108、120.382609"],
        ["责任单位编码", "选填；填写后问题直接交办给该单位，整改期限按办理时限表自动计算"],
        ["注意", "导入是“全部成功或全部不导入”：只要有一行有错，不会写入任何数据。请删除两行示例后再填写。"],
    ]:
        notes.append(line)
    notes.column_dimensions["A"].width, notes.column_dimensions["B"].width = 14, 90
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
