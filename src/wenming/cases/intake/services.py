"""Intake (报告问题): a problem's code, the checks on what a reporter sends, and the report itself
— the fast path every report takes (DESIGN.md §10: plain SQL for its reads, ``intake.sql``) —
with recognising a duplicate or a 反弹 at the same place."""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.transaction import TransactionManagementError
from django.utils import timezone

from wenming.core import access
from wenming.core.errors import ServiceError, ValidationFailed
from wenming.org.models import Role, Unit

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
    try:
        with transaction.atomic():
            now = timezone.now()
            problem = Problem(
                code=next_code(timezone.localtime(now).year), title=intake.title.strip(),
                description=intake.description.strip(), category=intake.category, severity=intake.severity,
                source=source, area=intake.area, area_path=intake.area.path, address=intake.address.strip(),
                latitude=intake.latitude, longitude=intake.longitude, reporter=actor,
                reporter_name=intake.reporter_name or actor.display_name, reporter_phone=intake.reporter_phone,
                created_by=actor, idempotency_key=key,
            )
            previous = find_recurrence_of(problem)
            problem.recurrence_of = previous
            sql.insert(problem)
            events.attach_photos(problem, photos, PhotoPhase.BEFORE)
            events.record(problem, actor, role, "report", "", State.REPORTED, intake.description, photos=photos,
                   data={"source": source})
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


def find_recurrence_of(problem: Problem) -> Problem | None:
    """A problem closed within the recurrence window, of the same category at the same place —
    unless the place already has an open one (then the new report is a duplicate of that).
    One query over the few columns it needs, in plain SQL: this runs on every intake."""
    settings_row = config.snapshot()
    since = timezone.now() - timezone.timedelta(days=settings_row.recurrence_days)
    rows = sql.recurrence_candidates(problem.category_id, problem.area_id, since)
    here = [(pk, state) for pk, state, lat, lon, address in rows
            if same_place_values((lat, lon, address), (problem.latitude, problem.longitude, problem.address),
                                 settings_row.duplicate_radius_m)]
    if any(state in OPEN_STATES for _, state in here):
        return None
    closed = [pk for pk, state in here if state == State.CLOSED]
    return Problem.objects.filter(pk__in=closed).order_by("-closed_at").first() if closed else None


def open_problems_near(*, category: Category, area: Unit, latitude=None, longitude=None, address: str = "",
                       radius_m: float = 50) -> list[Problem]:
    """Open problems of this category at this place (for the reporter: only code, title, state
    and address are shown, nothing personal)."""
    candidates = (Problem.objects.filter(category=category, area=area, state__in=OPEN_STATES)
                  .only("code", "title", "state", "latitude", "longitude", "address").order_by("-id")[:100])
    here = (latitude, longitude, address)
    return [p for p in candidates if same_place_values((p.latitude, p.longitude, p.address), here, radius_m)][:10]


def same_place(a: Problem, b: Problem, radius_m: float) -> bool:
    return same_place_values((a.latitude, a.longitude, a.address), (b.latitude, b.longitude, b.address), radius_m)


def same_place_values(a: tuple, b: tuple, radius_m: float) -> bool:
    """(latitude, longitude, address) pairs: within the radius when both have coordinates,
    else the same address."""
    if a[0] is not None and b[0] is not None:
        return distance_m(a[0], a[1], b[0], b[1]) <= radius_m
    return bool(a[2]) and a[2].strip() == (b[2] or "").strip()


def distance_m(lat1, lon1, lat2, lon2) -> float:
    """Great-circle distance in metres (haversine)."""
    lat1, lon1, lat2, lon2 = (math.radians(float(v)) for v in (lat1, lon1, lat2, lon2))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6_371_000 * math.asin(math.sqrt(h))
