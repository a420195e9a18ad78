"""Import and export of points (点位编码, 名称, 点位类型, 责任单位编码, 所在区域编码, 地址, 纬度, 经度,
包保领导账号).

An import lands whole or not at all: every row is checked first and each problem is reported with
its row and column; only a clean sheet is written, in one transaction, with bulk inserts and
updates (up to 20,000 rows). A row whose code already exists updates that point (its QR code,
photo and scores stay); a row that leaves a point the user sees exactly as it is is skipped
without checks. The export writes the user's visible points in the same columns, so it imports
again unchanged, also for an office that sees points it may not change (a city department's
road in its district)."""

from __future__ import annotations

from django.utils import timezone

from wenming.core import access, audit
from wenming.core.importer import CellInvalid, Column, SheetSpec, read_sheet, write_all_or_nothing
from wenming.core.sheets import ImportReport, csv_bytes, workbook_bytes
from wenming.org.models import Membership, Role, Unit, User
from wenming.standards.models import PointType

from . import selectors, services
from .models import Point


def _coordinate(label: str):
    def parse(text: str):
        value, message = services.parse_coordinate(text, label)
        if message:
            raise CellInvalid(message)
        return services.round_coordinate(value)
    return parse


MAX_ROWS = 20_000
SHEET = SheetSpec(columns=(
    Column("点位编码", aliases=("编码", "点位编号", "编号"), required=True, blank=False, max_length=30),
    Column("名称", aliases=("点位名称",), required=True, blank=False, max_length=100),
    Column("点位类型", aliases=("类型",), required=True, blank=False, max_length=40),
    Column("责任单位编码", aliases=("责任单位代码",), required=True, blank=False, max_length=18),
    Column("所在区域编码", aliases=("区域编码", "所在区域代码"), required=True, blank=False, max_length=18),
    Column("地址", aliases=("详细地址", "点位地址"), max_length=200),
    Column("纬度", parse=_coordinate("纬度"), default=None),
    Column("经度", parse=_coordinate("经度"), default=None),
    Column("包保领导账号", aliases=("包保领导用户名",), max_length=150),
), max_rows=MAX_ROWS)
COLUMNS = SHEET.headers
FIELD_COLUMN = {"code": "点位编码", "name": "名称", "point_type": "点位类型", "unit": "责任单位编码",
                "area": "所在区域编码", "address": "地址", "latitude": "纬度", "longitude": "经度",
                "patron": "包保领导账号"}
WIDTHS = [16, 28, 18, 22, 18, 36, 12, 12, 16]
CHUNK = 900  # values per IN (…) lookup: under SQLite's variable limit
WRITE_FIELDS = ["name", "point_type", "unit", "area", "unit_path", "area_path", "patron", "address", "latitude",
                "longitude", "updated_at"]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def type_aliases() -> dict[str, PointType]:
    """A type by its name, its code (any case) or one part of a name like 农贸市场/集贸市场."""
    aliases: dict[str, PointType] = {}
    types = list(PointType.objects.all())
    for point_type in types:
        aliases[point_type.name] = point_type
        aliases[point_type.code.upper()] = point_type
    for point_type in types:
        for part in point_type.name.replace("／", "/").split("/"):
            aliases.setdefault(part.strip(), point_type)
    return aliases


def _chunked(values, fetch) -> list:
    values = list(values)
    found: list = []
    for start in range(0, len(values), CHUNK):
        found.extend(fetch(values[start:start + CHUNK]))
    return found


def import_points(*, actor, data: bytes, filename: str) -> ImportReport:
    services.require_manage(actor)
    report = ImportReport()
    sheet = read_sheet(data, filename, SHEET, report.errors)
    if sheet.refused:
        return report
    rows = sheet.rows

    # everything the rows refer to, in a few queries
    aliases = type_aliases()
    unit_codes = {r.text("责任单位编码") for r in rows} | {r.text("所在区域编码") for r in rows}
    units = {u.code: u for u in _chunked(unit_codes - {""}, lambda part: Unit.objects.filter(code__in=part))}
    above_ids = {i for u in units.values() if not u.is_administrative for i in u.ancestor_ids()}
    ancestors = {u.pk: u for u in _chunked(above_ids, lambda part: Unit.objects.filter(pk__in=part))}
    usernames = {r.text("包保领导账号") for r in rows} - {""}
    users = {u.username: u for u in _chunked(usernames, lambda part: User.objects.filter(username__in=part))}
    paths: dict[int, list[str]] = {}
    for user_id, path in _chunked([u.pk for u in users.values()], lambda part: Membership.objects.filter(
            user_id__in=part, role=Role.LEADER, is_active=True, unit__is_active=True).values_list("user_id", "unit__path")):
        paths.setdefault(user_id, []).append(path)
    codes = {r.text("点位编码") for r in rows} - {""}
    existing = {p.code: p for p in _chunked(codes, lambda part: Point.objects.filter(code__in=part)
                                            .select_related("unit", "area"))}
    visible = set(_chunked(existing, lambda part: selectors.points(actor).filter(code__in=part)
                           .values_list("code", flat=True)))
    territories: dict[int, str] = {}

    seen: dict[str, int] = {}
    parsed: list[tuple[services.PointInput, Point | None]] = []
    for r in rows:
        # blank, over-long and unparsed cells are the sheet's errors already; here what they refer to
        number, code = r.number, r.text("点位编码")
        found: dict[str, str] = {}
        if code and code in seen:
            found["code"] = f"点位编码{code}与第{seen[code]}行重复"
        seen.setdefault(code, number)
        type_text, unit_code, area_code, patron_name = (r.text("点位类型"), r.text("责任单位编码"),
                                                        r.text("所在区域编码"), r.text("包保领导账号"))
        point_type = aliases.get(type_text) or aliases.get(type_text.upper())
        if type_text and point_type is None:
            found["point_type"] = f"找不到点位类型“{type_text}”（可填类型名称或编码，如：社区 或 SQ）"
        unit = units.get(unit_code)
        if unit_code and unit is None:
            found["unit"] = f"找不到编码为{unit_code}的单位，或该单位不在您的管理范围内"
        area = units.get(area_code)
        if area_code and area is None:
            found["area"] = f"找不到编码为{area_code}的区域，或该区域不在您的范围内"
        patron = None
        if patron_name:
            patron = users.get(patron_name)
            if patron is None:
                found["patron"] = services.patron_error(patron_name)
        current = existing.get(code)
        item = services.PointInput(code=code, name=r.text("名称"), point_type=point_type, unit=unit, area=area,
                                   patron=patron, address=r.text("地址"), latitude=r["纬度"], longitude=r["经度"])
        if current is not None and not found and not r.refused and code in visible and not _changed(current, item):
            # a visible point left as it is (an export imported again): nothing to check or write,
            # even where the actor may not change it
            parsed.append((item, current))
            continue
        if current is not None and not services.may_manage(actor, current.unit):
            found["code"] = f"点位{code}已存在，且不在您的管理范围内"
        territory = None
        if unit is not None:
            if unit.pk not in territories:
                territories[unit.pk] = services.territory_path(unit, ancestors)
            territory = territories[unit.pk]
        checked = services.check_point(actor, item, territory=territory,
                                       patron_paths=paths.get(patron.pk, []) if patron is not None else None,
                                       patron_label=patron_name)
        if r.refused & {"纬度", "经度"}:  # unparsed numbers: no range or pairing messages
            checked.pop("latitude", None)
            checked.pop("longitude", None)
        checked.update(found)
        sheet.errors_by_field(number, checked, FIELD_COLUMN)
        parsed.append((item, current))

    sheet.sort_errors()
    write_all_or_nothing(report, lambda: _write(actor, filename, parsed, report),
                         conflict="导入过程中有点位编码已被使用（可能有人同时导入）", column="点位编码")
    return report


RELATED = ("point_type", "unit", "area", "patron")


def _changed(point: Point, item: services.PointInput) -> bool:
    for name in services.FIELDS:
        if name == "code":
            continue
        if name in RELATED:
            value = getattr(item, name)
            if getattr(point, f"{name}_id") != (value.pk if value is not None else None):
                return True
        elif getattr(point, name) != getattr(item, name):
            return True
    return False


def _write(actor, filename: str, parsed: list, report: ImportReport) -> None:
    """Runs in :func:`write_all_or_nothing`'s transaction."""
    now = timezone.now()
    new: list[Point] = []
    changed: list[Point] = []
    for item, current in parsed:
        if current is None:
            new.append(Point(code=item.code, name=item.name, point_type=item.point_type, unit=item.unit,
                             area=item.area, unit_path=item.unit.path, area_path=item.area.path, patron=item.patron,
                             address=item.address, latitude=item.latitude, longitude=item.longitude))
            continue
        if not _changed(current, item):
            continue
        for name in services.FIELDS:
            if name != "code":
                setattr(current, name, getattr(item, name))
        current.unit_path, current.area_path, current.updated_at = item.unit.path, item.area.path, now
        changed.append(current)
    Point.objects.bulk_create(new, batch_size=1000)
    Point.objects.bulk_update(changed, WRITE_FIELDS, batch_size=500)
    report.created, report.updated = len(new), len(changed)
    audit.record("places.points_import", actor=actor, target=filename,
                 detail={"created": report.created, "updated": report.updated, "rows": len(parsed),
                         "codes": [item.code for item, _ in parsed][:2000]})


def export_points(*, actor, filters: selectors.PointFilters, fmt: str = "xlsx") -> tuple[bytes, str]:
    """The actor's visible points under ``filters``, in the import layout."""
    if not access.scope_for(actor).has("org.view"):
        access.refuse_forbidden(actor, "places.view")
    qs = selectors.for_table(selectors.filtered(actor, filters))
    written = 0

    def rows():
        nonlocal written
        for p in qs.iterator(chunk_size=2000):
            written += 1
            yield [p.code, p.name, p.point_type.name, p.unit.code, p.area.code, p.address,
                   None if p.latitude is None else float(p.latitude),
                   None if p.longitude is None else float(p.longitude), p.patron.username if p.patron_id else ""]

    if fmt == "csv":
        data = csv_bytes(COLUMNS, ([("" if v is None else v) for v in row] for row in rows()))
        content_type = "text/csv; charset=utf-8"
    else:
        data, content_type = workbook_bytes("点位", COLUMNS, rows(), widths=WIDTHS), XLSX
    audit.download(actor=actor, what="点位", rows=written, format=fmt, **filters.params())
    return data, content_type


TEMPLATE_ROWS = 2  # the example rows of template_sheet()


def template_sheet() -> bytes:
    example = [
        ["DW-0001", "幸福里社区", "社区", "361202001001", "361202001001", "幸福路88号", 28.682892, 115.857972, ""],
        ["DW-0002", "东门农贸市场", "农贸市场", "361202001", "361202001001001", "东门街12号", 28.684120, 115.861030, ""],
    ]
    return workbook_bytes("点位", COLUMNS, example, widths=WIDTHS)
