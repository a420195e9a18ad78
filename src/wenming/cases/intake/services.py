"""Intake (报告问题): a problem's code, the checks on what a reporter sends, and the report itself
— the fast path every report takes (DESIGN.md §10: plain SQL for its reads, ``intake.sql``) —
with recognising a duplicate or a 反弹 at the same place."""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from wenming.core import access
from wenming.core.errors import ServiceError, ValidationFailed
from wenming.core.geo import distance_m
from wenming.org.models import Role, Unit, UnitKind

from .. import events, notify, policy
from ..models import (
    OPEN_STATES,
    Category,
    PhotoPhase,
    Problem,
    ProblemCounter,
    Severity,
    Source,
    State,
)
from ..settings import config
from . import sql

DEFAULT_SOURCE = {Role.INSPECTOR: Source.INSPECTION, Role.GRID_WORKER: Source.GRID, Role.HANDLER: Source.SELF_CHECK,
                  Role.CITIZEN: Source.CITIZEN, Role.VOLUNTEER: Source.CITIZEN, Role.LEADER: Source.LEADER}


# --- codes ------------------------------------------------------------------------------------------

TRACKING_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read out over the phone


def new_tracking_code() -> str:
    """A 查询码: 8 random characters (32⁸ ≈ 10¹²), shown as ``ABCD-EFGH``."""
    return "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(8))


def normal_tracking_code(text: str) -> str:
    """What a person typed as a 查询码, as stored: no dash or spaces, upper case."""
    return "".join(ch for ch in str(text or "").upper() if ch.isalnum())[:16]


def next_code(year: int) -> str:
    """WT2026-000123: a per-year sequence, taken under a row lock held until the transaction
    ends, so that the codes have no gaps (a rolled-back report gives its number back) and no
    duplicates."""
    return f"WT{year}-{_counter_add(year, 1):06d}"


def reserve_codes(year: int, count: int) -> list[str]:
    last = _counter_add(year, count)
    return [f"WT{year}-{n:06d}" for n in range(last - count + 1, last + 1)]


def _counter_add(year: int, count: int) -> int:
    """Add ``count`` to the year's counter and return its new value. One
    ``UPDATE … SET last = last + n … RETURNING last`` (PostgreSQL; SQLite ≥ 3.35), which locks
    the row as ``SELECT … FOR UPDATE`` did; else read under the lock and write back."""
    if not transaction.get_connection().in_atomic_block:
        raise TransactionManagementError("problem codes are taken inside a transaction")
    if _update_returning():
        qn = connection.ops.quote_name
        sql = (f"UPDATE {qn(ProblemCounter._meta.db_table)} SET {qn('last')} = {qn('last')} + %s "
               f"WHERE {qn('year')} = %s RETURNING {qn('last')}")
        for _ in range(2):
            with connection.cursor() as cursor:
                cursor.execute(sql, [count, year])
                row = cursor.fetchone()
            if row is not None:
                return int(row[0])
            ProblemCounter.objects.get_or_create(year=year)  # the year's first code
        raise AssertionError("problem counter row missing")
    counter, _ = ProblemCounter.objects.select_for_update().get_or_create(year=year)
    counter.last += count
    counter.save(update_fields=["last"])
    return counter.last


def _update_returning() -> bool:
    if connection.vendor == "postgresql":
        return True
    # Django's flag for INSERT … RETURNING is the same SQLite version test (3.35)
    return connection.vendor == "sqlite" and connection.features.can_return_columns_from_insert


@dataclass
class Intake:
    title: str
    category: Category
    area: Unit
    description: str = ""
    severity: str = Severity.NORMAL
    source: str = ""
    address: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    reporter_name: str = ""
    reporter_phone: str = ""


def validate_intake(intake: Intake) -> dict[str, str]:
    errors: dict[str, str] = {}
    if not intake.title.strip():
        errors["title"] = "标题不能为空"
    elif len(intake.title) > 100:
        errors["title"] = "标题不能超过100个字"
    if not intake.category.is_active:
        errors["category"] = "该类别已停用"
    elif intake.category.parent_id is None and intake.category.children.exists():
        errors["category"] = "请选择具体的二级类别"
    if intake.severity not in Severity.values:
        errors["severity"] = "严重程度无效"
    if intake.source and intake.source not in Source.values:
        errors["source"] = "来源无效"
    if (intake.latitude is None) != (intake.longitude is None):
        errors["latitude"] = "经纬度须同时填写"
    elif intake.latitude is not None:
        if not (-90 <= intake.latitude <= 90) or not (-180 <= intake.longitude <= 180):
            errors["latitude"] = "经纬度超出范围"
    if not intake.address.strip() and intake.latitude is None:
        errors["address"] = "请填写地址或定位"
    if len(intake.address) > 200:
        errors["address"] = "地址不能超过200个字"
    return errors


def problem_report(*, actor, intake: Intake, photos=(), idempotency_key: str | None = None) -> tuple[Problem, bool]:
    """Create a problem in 待受理. Returns (problem, created); a repeated idempotency key returns
    the first problem and creates nothing."""
    role = policy.may_report_in(actor, intake.area)
    if role is None:
        access.require_visible(actor, intake.area, what="area")
        access.refuse_forbidden(actor, "cases.report", intake.area, intake.area)
    key = _key(actor, idempotency_key) if idempotency_key else None
    # A repeated key is not looked up first: the unique index on idempotency_key refuses the
    # second insert, and the except clause below answers with the first problem.
    errors = validate_intake(intake)
    if errors:
        existing = _reported_with(key)
        if existing is not None:
            return existing, False
        raise ServiceError("；".join(errors.values()), field=next(iter(errors)))
    source = intake.source or DEFAULT_SOURCE.get(role, Source.INSPECTION)
    if role in {Role.CITIZEN, Role.VOLUNTEER}:
        source = Source.CITIZEN  # citizens cannot claim an official source
    recipients = notify.nearest_office_users(intake.area)  # read before the counter's lock is taken
    # the same category at the same place, whichever unit the reports named: open — the same
    # problem again (the office merges it, or not); closed within the window — a 反弹
    here = place_matches(intake.category.pk, place_of(intake.area, intake.latitude, intake.longitude, intake.address))
    duplicate = here.open[0] if here.open else None
    previous = None
    if duplicate is None and here.closed:
        previous = Problem.objects.filter(pk__in=[c.pk for c in here.closed]).order_by("-closed_at").first()
    try:
        with transaction.atomic():
            now = timezone.now()
            problem = Problem(
                code=next_code(timezone.localtime(now).year), title=intake.title.strip(),
                description=intake.description.strip(), category=intake.category, severity=intake.severity,
                source=source, area=intake.area, area_path=intake.area.path, address=intake.address.strip(),
                latitude=intake.latitude, longitude=intake.longitude, reporter=actor,
                reporter_name=intake.reporter_name or actor.display_name, reporter_phone=intake.reporter_phone,
                created_by=actor, idempotency_key=key, tracking_code=new_tracking_code(),
            )
            problem.duplicate_of_id = duplicate.pk if duplicate is not None else None
            problem.duplicate_code = duplicate.code if duplicate is not None else None  # for the answer
            problem.recurrence_of = previous
            sql.insert(problem)
            events.attach_photos(problem, photos, PhotoPhase.BEFORE)
            data = {"source": source}
            if duplicate is not None:
                data["duplicate_of"] = duplicate.code
            events.record(problem, actor, role, "report", "", State.REPORTED, intake.description, photos=photos,
                          data=data)
            if previous is not None:
                events.record(previous, actor, role, "recurred", State.CLOSED, State.CLOSED,
                              f"同一处同类问题再次出现：{problem.code}", data={"recurrence": problem.code})
            notify.problem_reported(problem, recipients)
    except IntegrityError:
        existing = _reported_with(key)  # a retry (or a race) with the same key: the first one won
        if existing is not None:
            return existing, False
        raise
    return problem, True


# the longest idempotency key a client may send; stored as "<user id>:<key>" in 80 characters
IDEMPOTENCY_KEY_MAX = 64


def _key(actor, key: str) -> str:
    """Never cut: two long keys sharing a prefix would otherwise answer the second report with
    the first problem."""
    if len(key) > IDEMPOTENCY_KEY_MAX or "\x00" in key:
        raise ValidationFailed(f"防重复提交标识（idempotency_key）不能超过{IDEMPOTENCY_KEY_MAX}个字符，且不能含空字符",
                               field="idempotency_key")
    return f"{actor.pk}:{key}"


def _reported_with(key: str | None) -> Problem | None:
    if not key:
        return None
    return Problem.objects.select_related("category", "area", "unit").filter(idempotency_key=key).first()


@dataclass(frozen=True)
class Place:
    """Where a report stands: its coordinates (if any), its address (if any) and the area an
    address is compared within (:func:`place_scope`)."""
    latitude: Decimal | None
    longitude: Decimal | None
    address: str
    scope_path: str


@dataclass(frozen=True)
class Candidate:
    pk: int
    code: str
    state: str
    latitude: Decimal | None
    longitude: Decimal | None
    address: str
    area_path: str


@dataclass
class PlaceMatches:
    """The problems of a category at a place: ``open`` ones (the new report is their duplicate) and
    ``closed`` ones within the recurrence window (the new report is their 反弹), newest first."""
    open: list[Candidate]
    closed: list[Candidate]


def place_scope(area: Unit) -> str:
    """The area within which the same address means the same place: the community (a grid's
    parent), so a grid worker's report (grid code) and a citizen's (community code) of one spot
    are compared; any other area is its own scope."""
    if area.kind == UnitKind.GRID and area.parent_id:
        return area.path.rstrip("/").rsplit("/", 1)[0] + "/"
    return area.path


def place_of(area: Unit, latitude=None, longitude=None, address: str = "") -> Place:
    return Place(latitude, longitude, (address or "").strip(), place_scope(area))


def box_around(latitude, longitude, radius_m: float) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    """``(lat_min, lat_max, lon_min, lon_max)`` a little larger than the circle of ``radius_m``."""
    lat, lon = float(latitude), float(longitude)
    dlat = radius_m * 1.02 / 111_320 + 1e-6
    dlon = radius_m * 1.02 / (111_320 * max(math.cos(math.radians(lat)), 0.01)) + 1e-6
    q = Decimal("0.000001")
    return (Decimal(lat - dlat).quantize(q), Decimal(lat + dlat).quantize(q),
            Decimal(lon - dlon).quantize(q), Decimal(lon + dlon).quantize(q))


def at_place(candidate, place: Place, radius_m: float) -> bool:
    """The one rule of "the same place" (DESIGN.md §5): within the radius when both have
    coordinates; else the same address within the place's scope."""
    if candidate.latitude is not None and place.latitude is not None:
        return distance_m(candidate.latitude, candidate.longitude, place.latitude, place.longitude) <= radius_m
    return bool(place.address) and (candidate.address or "").strip() == place.address and \
        (candidate.area_path or "").startswith(place.scope_path)


def place_matches(category_id: int, place: Place, *, radius_m: float | None = None,
                  recurrence_days: int | None = None) -> PlaceMatches:
    """The open and recently closed problems of this category at this place, whichever unit
    their reports named. One query over the few columns it needs, in plain SQL: this runs on
    every intake."""
    if radius_m is None or recurrence_days is None:
        settings_row = config.snapshot()
        radius_m = settings_row.duplicate_radius_m if radius_m is None else radius_m
        recurrence_days = settings_row.recurrence_days if recurrence_days is None else recurrence_days
    since = timezone.now() - timezone.timedelta(days=recurrence_days)
    box = box_around(place.latitude, place.longitude, radius_m) if place.latitude is not None else None
    rows = sql.place_candidates(category_id, since, box=box, address=place.address, scope_path=place.scope_path)
    here = [c for c in (Candidate(*row) for row in rows) if at_place(c, place, radius_m)]
    return PlaceMatches(open=[c for c in here if c.state in OPEN_STATES],
                        closed=[c for c in here if c.state == State.CLOSED])


def open_problems_near(*, category: Category, area: Unit, latitude=None, longitude=None, address: str = "",
                       radius_m: float | None = None) -> PlaceMatches:
    """For the reporter, before he submits: the open problems of this category at this place
    (a duplicate is better followed than reported again) and those closed within the recurrence
    window (his report will be their 反弹)."""
    return place_matches(category.pk, place_of(area, latitude, longitude, address), radius_m=radius_m)
