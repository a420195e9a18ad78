"""The problem API (docs/api.md): the endpoints of the rectification loop for the H5/mini-program
clients and other systems — typed schemas (django-ninja), mounted at ``/api/problems/`` by
config/api.py. The same selectors, services and transitions table as the pages; authentication,
errors and pagination come from core/api.py. Every endpoint checks the token permission it needs
(core/tokens.py) before anything else; a session has them all (his roles decide)."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from django.utils import timezone
from ninja import Field, Header, Path, Query, Router
from pydantic import field_validator

from wenming.core import access, tokens
from wenming.core import api as core_api
from wenming.core.api import ERRORS, ApiSchema, PageQuery, Text
from wenming.core.errors import NotFound, ValidationFailed
from wenming.core.parsing import parse_date_or_datetime
from wenming.org.models import Unit

from . import policy, selectors
from .escalation import sla
from .intake import locate
from .intake import services as intake_services
from .intake import sql as intake_sql
from .intake.views import report_with_photos
from .models import Severity, Source, State
from .settings import config
from .uploads import photo_transaction, processed_photos, store_photos
from .workflow import services
from .workflow.machine import BY_ACTION, TRANSITIONS
from .workflow.views import verifier_named

router = Router(tags=["问题"])

READ, REPORT = "problems.read", "problems.report"
Code = Annotated[Text(40), Field(description="编码")]
IdempotencyKey = Text(intake_services.IDEMPOTENCY_KEY_MAX)


def register_token_permissions() -> None:
    """The permissions an API token can be granted for this router (cases/apps.py)."""
    tokens.register_permission(READ, "查看问题（列表、详情、附近的问题）")
    tokens.register_permission(REPORT, "报告问题")
    for t in TRANSITIONS:
        tokens.register_permission(f"problems.{t.action}", f"办理：{t.label}")


# --- schemas ---------------------------------------------------------------------------------------

class IntakeIn(ApiSchema):
    title: Text(100) = Field(description="标题，如“人行道占道经营”（必填，不超过100字）")
    category: Code = Field(description="问题类别编码，如 0201")
    area: Code = Field(description="问题所在区域（单位）编码，须在您可以报告的范围内")
    severity: Severity = Field(Severity.NORMAL, description="严重程度，默认 normal")
    source: Source | None = Field(None, description="来源；不填按报告人的角色确定")
    address: Text(200) = Field("", description="地址")
    description: Text(5000) = Field("", description="描述")
    latitude: Annotated[Decimal, Field(ge=-90, le=90)] | None = Field(None, description="纬度（-90 到 90）")
    longitude: Annotated[Decimal, Field(ge=-180, le=180)] | None = Field(None, description="经度（-180 到 180）")
    idempotency_key: IdempotencyKey | None = Field(
        None, description=f"防重复提交的标识（不超过{intake_services.IDEMPOTENCY_KEY_MAX}个字符），也可放在请求头 Idempotency-Key")

    blank_is_none = ("severity", "source", "latitude", "longitude", "idempotency_key")


class ActionIn(ApiSchema):
    unit: Code | None = Field(None, description="责任单位编码（交办、改派）")
    deadline: Text(40) | None = Field(
        None, description="期限，ISO 8601，如 2026-12-01T17:30:00+08:00；只写日期（2026-12-01）为当天下班时间")
    verifier: Text(150) | None = Field(None, description="复核人的账号（交办时指定）")
    keep: Code | None = Field(None, description="保留的问题编号（合并重复）")
    note: Text(2000) = Field("", description="说明")
    reason: Text(2000) = Field("", description="理由")

    blank_is_none = ("unit", "deadline", "verifier", "keep")

    @field_validator("deadline", mode="after")
    @classmethod
    def _deadline(cls, value):
        if value is None:
            return None
        try:
            parse_date_or_datetime(value, label="期限")
        except ValidationFailed as error:
            raise ValueError(error.message) from None
        return value


class ListQuery(PageQuery):
    state: State | None = Field(None, description="只列出这个状态的问题")

    blank_is_none = ("state",)


class NearbyQuery(ApiSchema):
    category: Code = Field(description="问题类别编码")
    area: Code = Field(description="区域（单位）编码")
    latitude: Annotated[Decimal, Field(ge=-90, le=90)] | None = Field(None, description="纬度")
    longitude: Annotated[Decimal, Field(ge=-180, le=180)] | None = Field(None, description="经度")
    address: Text(200) = Field("", description="地址（没有经纬度时按地址比对）")

    blank_is_none = ("latitude", "longitude")


class ProblemOut(ApiSchema):
    code: str
    title: str
    state: State
    state_label: str
    category: str
    category_name: str
    severity: Severity
    source: Source
    area: str
    unit: str | None
    address: str
    latitude: str | None
    longitude: str | None
    deadline: str | None = Field(description="整改期限，ISO 8601，北京时间（+08:00）")
    deadline_warning: str | None = Field(
        description="期限所在年份的调休安排尚未录入时的提示（期限按法定节假日推算，可能与实际不符），否则为 null")
    is_overdue: bool
    created_at: str = Field(description="报告时间，ISO 8601，北京时间（+08:00）")


class EventOut(ApiSchema):
    action: str
    from_: str = Field(alias="from")
    to: str
    at: str = Field(description="ISO 8601，北京时间（+08:00）")
    actor: str
    role: str
    note: str


class ReportOut(ProblemOut):
    tracking_code: str = Field(description="查询码（报告人凭它在公开的“问题查询”页查看办理进度）")
    duplicate_of: str | None = Field(description="同一地点同类未办结的问题编号（疑似重复），没有为 null")
    recurrence_of: str | None = Field(description="同一地点同类、近期销号的问题编号（本问题为其反弹），没有为 null")


class ProblemDetailOut(ProblemOut):
    description: str
    duplicate_of: str | None = Field(description="疑似重复的原问题编号")
    recurrence_of: str | None = Field(description="反弹自哪个问题")
    pending_request: str | None
    actions: list[str] = Field(description="当前账号此刻可以做的操作名")
    timeline: list[EventOut]


class ProblemPage(ApiSchema):
    count: int = Field(description="符合条件的问题总数")
    limit: int
    offset: int
    results: list[ProblemOut]


class NearbyOut(ApiSchema):
    code: str
    title: str
    state: State
    state_label: str
    address: str


class NearbyClosedOut(NearbyOut):
    closed_at: str | None = Field(description="销号时间，ISO 8601，北京时间（+08:00）")


class NearbyList(ApiSchema):
    results: list[NearbyOut] = Field(description="同一地点同类未办结的问题，至多10个（提交后将标为疑似重复）")
    recently_closed: list[NearbyClosedOut] = Field(
        description="同一地点同类、在反弹认定期内销号的问题，至多5个（提交后将作为反弹）")


# --- answers ---------------------------------------------------------------------------------------

def local_iso(moment) -> str | None:
    """A time as the API gives it: ISO 8601 in Asia/Shanghai (+08:00), seconds precision."""
    return timezone.localtime(moment).isoformat(timespec="seconds") if moment is not None else None


def serialize(problem, *, request=None, full: bool = False) -> dict:
    data = {
        "code": problem.code, "title": problem.title, "state": problem.state,
        "state_label": problem.get_state_display(), "category": problem.category.code,
        "category_name": problem.category.name, "severity": problem.severity, "source": problem.source,
        "area": problem.area.code, "unit": problem.unit.code if problem.unit_id else None,
        "address": problem.address,
        "latitude": str(problem.latitude) if problem.latitude is not None else None,
        "longitude": str(problem.longitude) if problem.longitude is not None else None,
        "deadline": local_iso(problem.deadline), "deadline_warning": sla.calendar_warning(problem.deadline),
        "is_overdue": problem.is_overdue, "created_at": local_iso(problem.created_at),
    }
    if full:
        pending = selectors.problem_pending_request(problem)
        data["description"] = problem.description
        data["duplicate_of"] = problem.duplicate_of.code if problem.duplicate_of_id else None
        data["recurrence_of"] = problem.recurrence_of.code if problem.recurrence_of_id else None
        data["pending_request"] = pending.kind if pending else None
        data["actions"] = [t.action for t in services.available_actions(request.user, problem, pending)
                           if tokens.allows(request, f"problems.{t.action}")]
        data["timeline"] = [
            {"action": e.action, "from": e.from_state, "to": e.to_state, "at": local_iso(e.at),
             "actor": e.actor.display_name if e.actor_id else "系统", "role": e.actor_role, "note": e.note}
            for e in selectors.problem_timeline(problem)
        ]
    return data


# --- endpoints -------------------------------------------------------------------------------------

@router.get("/", response={200: ProblemPage, **ERRORS}, url_name="api_problems",
            summary="我能看到的问题（分页，最新的在前）")
def problem_list(request, query: Query[ListQuery]):
    tokens.require(request, READ)
    qs = selectors.problems_visible_to(request.user).select_related("category", "unit", "area")
    if query.state:
        qs = qs.filter(state=query.state)
    return core_api.page(qs.order_by("-id"), query, serialize)


@router.post("/", response={200: ReportOut, 201: ReportOut, **ERRORS}, url_name="api_problems",
             summary="报告一个问题（立案）",
             openapi_extra=core_api.body_doc(IntakeIn, files={"photos": "现场照片（JPEG/PNG，至多9张）"}))
def problem_report(request, idempotency_key: IdempotencyKey | None = Header(
        None, alias="Idempotency-Key",
        description=f"防重复提交的标识（不超过{intake_services.IDEMPOTENCY_KEY_MAX}个字符）")):
    tokens.require(request, REPORT)
    if not policy.may_report(request.user):  # as the report page: no role that reports
        access.refuse_forbidden(request.user, "cases.report")
    payload = core_api.read_body(request, IntakeIn)
    intake = parse_intake(request.user, payload)
    key = idempotency_key or payload.idempotency_key or None
    processed = processed_photos(request, "photos")
    if processed:  # one transaction for the photos and the problem
        problem, created = report_with_photos(request, intake, processed, key)
    else:
        problem, created = intake_services.problem_report(actor=request.user, intake=intake, idempotency_key=key)
    data = serialize(problem)
    data.update(tracking_code=problem.tracking_display, duplicate_of=_code_of(problem, "duplicate_of"),
                recurrence_of=_code_of(problem, "recurrence_of"))
    return core_api.json_response(data, status=201 if created else 200)


def _code_of(problem, relation: str) -> str | None:
    """The code of a related problem: as the intake left it (no query), else read."""
    if not getattr(problem, f"{relation}_id"):
        return None
    if relation == "duplicate_of" and getattr(problem, "duplicate_code", None):
        return problem.duplicate_code
    return getattr(problem, relation).code


def parse_intake(user, payload: IntakeIn) -> intake_services.Intake:
    """The codes looked up (the fast path's plain SQL, docs/performance.md); all the fields'
    errors at once."""
    errors: dict[str, str] = {}
    category = config.active_category(payload.category)
    if category is None:
        errors["category"] = "类别编码无效"
    area = intake_sql.active_unit(payload.area)
    if area is None or policy.may_report_in(user, area) is None:
        errors["area"] = "区域编码无效，或不在您可以报告的范围内"
    if not payload.title.strip():
        errors["title"] = "标题不能为空"
    if errors:
        raise ValidationFailed(errors=errors)
    quantum = Decimal("0.000001")
    return intake_services.Intake(
        title=payload.title, category=category, area=area, description=payload.description,
        severity=payload.severity, source=payload.source or "", address=payload.address,
        latitude=payload.latitude.quantize(quantum) if payload.latitude is not None else None,
        longitude=payload.longitude.quantize(quantum) if payload.longitude is not None else None)


class LocateQuery(ApiSchema):
    latitude: Annotated[Decimal, Field(ge=-90, le=90)] = Field(description="纬度（WGS-84）")
    longitude: Annotated[Decimal, Field(ge=-180, le=180)] = Field(description="经度（WGS-84）")


class LocateOut(ApiSchema):
    area: str | None = Field(description="所在区域（网格、社区……）编码，报告时填入 area；找不到为 null")
    name: str | None = Field(description="区域名称")
    parent_name: str | None = Field(description="上级单位名称")
    method: str | None = Field(description="boundary：按单位边界；point：按附近点位；找不到为 null")


@router.get("/locate/", response={200: LocateOut, **ERRORS}, url_name="api_problems_locate",
            summary="按经纬度确定问题所在的网格或社区（报告前）")
def problem_locate(request, query: Query[LocateQuery]):
    tokens.require(request, REPORT)
    if not policy.may_report(request.user):
        access.refuse_forbidden(request.user, "cases.report")
    found = locate.locate(request.user, query.latitude, query.longitude)
    unit = found.unit
    return {"area": unit.code if unit else None, "name": unit.name if unit else None,
            "parent_name": unit.parent.name if unit and unit.parent_id else None, "method": found.method or None}


@router.get("/nearby/", response={200: NearbyList, **ERRORS}, url_name="api_problems_nearby",
            summary="同一地点同类未办结的问题（报告前查重）")
def problem_nearby(request, query: Query[NearbyQuery]):
    tokens.require(request, READ)
    category = config.active_category(query.category)
    area = intake_sql.active_unit(query.area)
    errors = {}
    if category is None:
        errors["category"] = "类别编码无效"
    if area is None or policy.may_report_in(request.user, area) is None:
        errors["area"] = "区域编码无效，或不在您可以报告的范围内"
    if (query.latitude is None) != (query.longitude is None):
        errors["latitude"] = "经纬度须同时填写"
    if errors:
        raise ValidationFailed(errors=errors)
    matches = intake_services.open_problems_near(category=category, area=area, latitude=query.latitude,
                                                 longitude=query.longitude, address=query.address)
    found = selectors.place_problems(request.user, matches)
    closed = [{**row, "closed_at": local_iso(row["closed_at"])} for row in found["closed"]]
    return {"results": found["open"], "recently_closed": closed}


@router.get("/{code}/", response={200: ProblemDetailOut, **ERRORS}, url_name="api_problem",
            summary="一个问题的详情：当前可做的操作、办理记录")
def problem_detail(request, code: Path[Code]):
    tokens.require(request, READ)
    found = selectors.problem_get(request.user, code)
    return serialize(found, request=request, full=True)


@router.post("/{code}/actions/{action}/", response={200: ProblemDetailOut, **ERRORS}, url_name="api_action",
             summary="办理：签收、整改完成、复核等（操作名见流程表）",
             openapi_extra=core_api.body_doc(ActionIn, files={"photos": "整改后照片（整改完成时必传）"}, required=False))
def problem_action(request, code: Path[Code], action: Path[Text(40)]):
    if action not in BY_ACTION:
        raise NotFound(f"未知操作：{action}")
    tokens.require(request, f"problems.{action}")
    found = selectors.problem_get(request.user, code)
    services.require_may_act(request.user, found, action)  # before anything sent is looked at
    payload = core_api.read_body(request, ActionIn)
    unit = None
    if payload.unit:
        unit = Unit.objects.filter(code=payload.unit, is_active=True).first()
        if unit is None or not access.scope_for(request.user).sees_unit(unit):
            raise ValidationFailed("责任单位编码无效，或不在您的范围内", field="unit")
    keep = None
    if payload.keep:
        keep = selectors.problems_visible_to(request.user).filter(code=payload.keep).first()
        if keep is None:
            raise ValidationFailed("保留的问题编号无效", field="keep")
    verifier = verifier_named(payload.verifier, found) if payload.verifier else None
    deadline = sla.user_deadline(parse_date_or_datetime(payload.deadline, field="deadline", label="期限")
                                 if payload.deadline else None)  # a date alone: the end of that office day
    processed = processed_photos(request, "photos")
    with photo_transaction() as stored:
        photos = store_photos(request, processed, found.unit or found.area, stored)
        result = services.perform(actor=request.user, problem=found, action=action, note=payload.note,
                                  reason=payload.reason, unit=unit, deadline=deadline, keep=keep, verifier=verifier,
                                  photos=photos)
    return serialize(result, request=request, full=True)

