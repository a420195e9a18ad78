"""Writes to points (点位). Offices manage the points of their subtree: each function checks the
permission through core.access before its transaction, locks what it changes and writes an audit
event inside the transaction. The field rules live in :func:`check_point`, shared by the forms
and the importer (``transfer.py``)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import IntegrityError, transaction

from wenming.core import access, audit
from wenming.core.errors import ServiceError
from wenming.core.photos import process_photo
from wenming.core.services_photos import photo_create
from wenming.org.models import Membership, Role, Unit, UnitKind, User
from wenming.standards.models import PointType

from .models import Point, new_qr_token

MANAGE = "places.manage"
# where a point may lie: its grid, else its community or street
AREA_KINDS = (UnitKind.GRID, UnitKind.COMMUNITY, UnitKind.STREET)
CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,29}$")
# codes that would shadow a page under /points/
RESERVED_CODES = {"new", "import", "export", "qr-sheet", "q", "scatter"}
# mainland China with its islands, generously: a swapped pair (经度 in 纬度) falls outside
LATITUDE_RANGE = (Decimal("3"), Decimal("54"))
LONGITUDE_RANGE = (Decimal("73"), Decimal("136"))
MICRODEGREE = Decimal("0.000001")
FIELDS = ("code", "name", "point_type", "unit", "area", "patron", "address", "latitude", "longitude")


class PointInvalid(ServiceError):
    """The point's fields break the rules; ``errors`` maps each field to its Chinese message."""

    def __init__(self, errors: dict[str, str]):
        first_field, first_message = next(iter(errors.items()))
        super().__init__(first_message, field=first_field, errors=errors)

    @property
    def errors(self) -> dict[str, str]:  # one message per field (the base class's are lists)
        return dict(self._errors)


@dataclass
class PointInput:
    code: str
    name: str
    point_type: PointType | None
    unit: Unit | None
    area: Unit | None
    patron: User | None = None
    address: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    extra: dict = field(default_factory=dict)


from .policy import may_manage  # noqa: E402,F401  (the access rule, re-exported)

# --- who manages -------------------------------------------------------------------------------------

def require_manage(user, point: Point | None = None) -> None:
    """403 unless the user manages ``point`` (or, without one, manages points somewhere). The
    point's visibility is the caller's selector's business (404 before this)."""
    unit = point.unit if point is not None else None
    if not may_manage(user, unit):
        access.refuse_forbidden(user, MANAGE, target=point, unit=unit)


# --- field rules -------------------------------------------------------------------------------------

def parse_coordinate(text: str, label: str) -> tuple[Decimal | None, str | None]:
    """A coordinate typed or read from a sheet: (value, None) or (None, Chinese message)."""
    text = (text or "").strip()
    if not text:
        return None, None
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None, f"{label}“{text}”不是数字（应为十进制度数，如 28.682892）"
    if not value.is_finite():
        return None, f"{label}“{text}”不是数字（应为十进制度数，如 28.682892）"
    return value, None


def coordinate_errors(latitude: Decimal | None, longitude: Decimal | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    if (latitude is None) != (longitude is None):
        missing = "latitude" if latitude is None else "longitude"
        errors[missing] = "经度和纬度应同时填写或同时留空"
        return errors
    if latitude is None:
        return errors
    if not LATITUDE_RANGE[0] <= latitude <= LATITUDE_RANGE[1]:
        hint = "，是否与经度填反了？" if LONGITUDE_RANGE[0] <= latitude <= LONGITUDE_RANGE[1] else ""
        errors["latitude"] = f"纬度{latitude}超出范围：应在3到54之间（中国境内）{hint}"
    if not LONGITUDE_RANGE[0] <= longitude <= LONGITUDE_RANGE[1]:
        hint = "，是否与纬度填反了？" if LATITUDE_RANGE[0] <= longitude <= LATITUDE_RANGE[1] else ""
        errors["longitude"] = f"经度{longitude}超出范围：应在73到136之间（中国境内）{hint}"
    return errors


def round_coordinate(value: Decimal | None) -> Decimal | None:
    """Six decimal places. A number far outside any coordinate range (1e30 typed in a sheet) is
    returned as is: quantizing it would overflow, and :func:`coordinate_errors` refuses it."""
    if value is None or abs(value) >= 1000:
        return value
    return value.quantize(MICRODEGREE, rounding=ROUND_HALF_UP)


def code_error(code: str) -> str | None:
    if not code:
        return "点位编码不能为空"
    if code.lower() in RESERVED_CODES:
        return f"“{code}”是系统保留字，不能用作点位编码"
    if not CODE_PATTERN.match(code):
        return f"点位编码“{code}”无效：只能由字母、数字、“-”和“_”组成，以字母或数字开头，不超过30位"
    return None


def territory_path(unit: Unit, ancestors: dict[int, Unit] | None = None) -> str:
    """The territory a unit answers for: an administrative unit's own subtree; for a department,
    school or enterprise, that of the nearest administrative unit above it."""
    if unit.is_administrative:
        return unit.path
    ids = unit.ancestor_ids()
    if ancestors is None:
        ancestors = {u.pk: u for u in Unit.objects.filter(pk__in=ids)}
    for unit_id in reversed(ids):
        above = ancestors.get(unit_id)
        if above is not None and above.is_administrative:
            return above.path
    return "/"


def leader_paths(user: User) -> list[str]:
    """Paths of the units where ``user`` holds an active 领导 role."""
    return list(Membership.objects.filter(user=user, role=Role.LEADER, is_active=True, unit__is_active=True)
                .values_list("unit__path", flat=True))


def patron_fits(actor, patron_paths: list[str], unit: Unit, area: Unit | None) -> bool:
    """A patron is a leader of a unit at or above the point's unit or area, or of a unit the
    actor sees."""
    scope = access.scope_for(actor)
    for path in patron_paths:
        if unit.path.startswith(path) or (area is not None and area.path.startswith(path)):
            return True
        if any(path.startswith(p) for p in scope.subtree_paths):
            return True
    return False


def patron_error(username: str = "") -> str:
    who = f"“{username}”" if username else ""
    return f"找不到领导账号{who}，或该账号不能作为本点位的包保领导（须为本辖区或上级单位的领导）"


def check_point(actor, data: PointInput, *, territory: str | None, patron_paths: list[str] | None,
                patron_label: str = "") -> dict[str, str]:
    """Field -> Chinese message for everything wrong, except the code's uniqueness (the caller
    knows the codes in use). ``territory`` is :func:`territory_path` of ``data.unit``;
    ``patron_paths`` the patron's :func:`leader_paths`."""
    scope = access.scope_for(actor)
    errors: dict[str, str] = {}
    message = code_error(data.code)
    if message:
        errors["code"] = message
    if not data.name or not data.name.strip():
        errors["name"] = "名称不能为空"
    elif len(data.name) > 100:
        errors["name"] = "名称不能超过100个字"
    if data.point_type is None:
        errors["point_type"] = "请选择点位类型"
    unit, area = data.unit, data.area
    if unit is None:
        errors["unit"] = "请填写责任单位"
    elif not scope.sees_unit(unit) or Role.OFFICE not in scope.roles_at(unit):
        errors["unit"] = f"找不到编码为{unit.code}的单位，或该单位不在您的管理范围内"
        unit = None
    elif not unit.is_active:
        errors["unit"] = f"责任单位{unit.name}已停用"
    if area is None:
        errors["area"] = "请填写所在区域（网格、社区或街道）"
    elif not scope.sees_unit(area):
        errors["area"] = f"找不到编码为{area.code}的区域，或该区域不在您的范围内"
    elif area.kind not in AREA_KINDS:
        errors["area"] = f"所在区域应为网格、社区/村或街道/镇，{area.name}是{area.get_kind_display()}"
    elif not area.is_active:
        errors["area"] = f"所在区域{area.name}已停用"
    elif unit is not None and territory is not None and not area.path.startswith(territory):
        errors["area"] = f"所在区域{area.name}（{area.code}）不在责任单位{unit.name}的辖区内"
    if data.patron is not None:
        fits = bool(patron_paths) and data.patron.is_active
        if fits and unit is not None:
            fits = patron_fits(actor, patron_paths, unit, data.area)
        if not fits:
            errors["patron"] = patron_error(patron_label or data.patron.username)
    if len(data.address or "") > 200:
        errors["address"] = "地址不能超过200个字"
    errors.update(coordinate_errors(data.latitude, data.longitude))
    return errors


def _checked(actor, data: PointInput, *, exclude_pk: int | None = None) -> PointInput:
    """Run :func:`check_point` with what it needs from the database; raise PointInvalid."""
    data.code = (data.code or "").strip()
    data.name = (data.name or "").strip()
    data.address = (data.address or "").strip()
    data.latitude, data.longitude = round_coordinate(data.latitude), round_coordinate(data.longitude)
    territory = territory_path(data.unit) if data.unit is not None else None
    patron_paths = leader_paths(data.patron) if data.patron is not None else None
    errors = check_point(actor, data, territory=territory, patron_paths=patron_paths)
    if "code" not in errors and Point.objects.filter(code=data.code).exclude(pk=exclude_pk).exists():
        errors["code"] = f"点位编码{data.code}已被其他点位使用"
    if errors:
        raise PointInvalid(errors)
    return data


def _snapshot(point: Point) -> dict:
    return {"code": point.code, "name": point.name, "point_type": point.point_type_id, "unit": point.unit_id,
            "area": point.area_id, "patron": point.patron_id, "address": point.address,
            "latitude": None if point.latitude is None else str(point.latitude),
            "longitude": None if point.longitude is None else str(point.longitude)}


# --- actions -----------------------------------------------------------------------------------------

def point_create(*, actor, data: PointInput) -> Point:
    require_manage(actor)
    data = _checked(actor, data)
    point = Point(code=data.code, name=data.name, point_type=data.point_type, unit=data.unit, area=data.area,
                  patron=data.patron, address=data.address, latitude=data.latitude, longitude=data.longitude)
    try:
        with transaction.atomic():
            point.save()
            audit.record("places.point_create", actor=actor, target=point, unit=point.unit,
                         detail=_snapshot(point))
    except IntegrityError as exc:  # the same code created meanwhile
        raise PointInvalid({"code": f"点位编码{data.code}已被其他点位使用"}) from exc
    return point


def point_update(*, actor, point: Point, data: PointInput) -> Point:
    require_manage(actor, point)
    data = _checked(actor, data, exclude_pk=point.pk)
    try:
        with transaction.atomic():
            locked = Point.objects.select_for_update().select_related("unit", "area").get(pk=point.pk)
            before = _snapshot(locked)
            for name in FIELDS:
                setattr(locked, name, getattr(data, name))
            locked.save()
            after = _snapshot(locked)
            changes = {key: [before[key], after[key]] for key in before if before[key] != after[key]}
            audit.record("places.point_update", actor=actor, target=locked, unit=locked.unit,
                         detail={"changes": changes})
    except IntegrityError as exc:
        raise PointInvalid({"code": f"点位编码{data.code}已被其他点位使用"}) from exc
    return locked


def _set_active(actor, point: Point, active: bool) -> Point:
    require_manage(actor, point)
    with transaction.atomic():
        locked = Point.objects.select_for_update().select_related("unit", "area").get(pk=point.pk)
        if locked.is_active != active:
            locked.is_active = active
            locked.save(update_fields=["is_active", "updated_at"])
            audit.record("places.point_activate" if active else "places.point_deactivate", actor=actor,
                         target=locked, unit=locked.unit)
    return locked


def point_deactivate(*, actor, point: Point) -> Point:
    """停用: the point leaves lists, samples and the map; its history stays."""
    return _set_active(actor, point, False)


def point_activate(*, actor, point: Point) -> Point:
    return _set_active(actor, point, True)


def point_regenerate_qr(*, actor, point: Point) -> Point:
    """A new QR token: codes printed with the old one stop working."""
    require_manage(actor, point)
    with transaction.atomic():
        locked = Point.objects.select_for_update().select_related("unit", "area").get(pk=point.pk)
        locked.qr_token = new_qr_token()
        locked.save(update_fields=["qr_token", "updated_at"])
        audit.record("places.point_regenerate_qr", actor=actor, target=locked, unit=locked.unit)
    return locked


def point_set_photo(*, actor, point: Point, data: bytes, filename: str = "") -> Point:
    """Store a photo of the point (validated by content; PhotoError otherwise) and show it."""
    require_manage(actor, point)
    processed = process_photo(data, filename=filename)  # refuse a bad file before any write or lock
    with transaction.atomic():
        locked = Point.objects.select_for_update().select_related("unit", "area").get(pk=point.pk)
        photo = photo_create(actor=actor, processed=processed, unit=locked.unit)
        previous = locked.photo_id
        locked.photo = photo
        locked.save(update_fields=["photo", "updated_at"])
        audit.record("places.point_photo", actor=actor, target=locked, unit=locked.unit,
                     detail={"photo": photo.pk, "previous": previous})
    return locked
