"""JSON API of the rectification loop (for the H5/mini-program clients and integrations).
Session authentication; answers and errors are JSON, messages in Chinese. The same services and
transitions table as the pages."""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from wenming.core import access
from wenming.core.errors import ServiceError
from wenming.core.photos import PhotoError
from wenming.org.models import Unit

from . import config, intake_sql, policy, selectors, services
from .models import Severity, Source, State
from .views import photo_transaction, processed_photos, report_with_photos, store_photos, verifier_named
from .workflow import BY_ACTION


def _error(status: int, message: str, errors: dict | None = None) -> JsonResponse:
    return JsonResponse({"error": message, "errors": errors or {}}, status=status,
                        json_dumps_params={"ensure_ascii": False})


def api_view(view):
    """401 for anonymous callers, and 403/404 as JSON."""

    def wrapped(request, *args, **kwargs):
        if not request.user.is_authenticated:
            return _error(401, "请先登录")
        try:
            return view(request, *args, **kwargs)
        except Http404:
            return _error(404, "未找到该对象，或您无权查看")
        except PermissionDenied:
            return _error(403, "您没有执行此操作的权限")

    wrapped.__name__ = view.__name__
    return wrapped


def serialize(problem, *, user=None, full: bool = False) -> dict:
    data = {
        "code": problem.code, "title": problem.title, "state": problem.state,
        "state_label": problem.get_state_display(), "category": problem.category.code,
        "category_name": problem.category.name, "severity": problem.severity, "source": problem.source,
        "area": problem.area.code, "unit": problem.unit.code if problem.unit_id else None,
        "address": problem.address,
        "latitude": str(problem.latitude) if problem.latitude is not None else None,
        "longitude": str(problem.longitude) if problem.longitude is not None else None,
        "deadline": problem.deadline.isoformat() if problem.deadline else None,
        "is_overdue": problem.is_overdue, "created_at": problem.created_at.isoformat(),
    }
    if full:
        pending = selectors.problem_pending_request(problem)
        data["description"] = problem.description
        data["pending_request"] = pending.kind if pending else None
        data["actions"] = [t.action for t in services.available_actions(user, problem, pending)]
        data["timeline"] = [
            {"action": e.action, "from": e.from_state, "to": e.to_state, "at": e.at.isoformat(),
             "actor": e.actor.display_name if e.actor_id else "系统", "role": e.actor_role, "note": e.note}
            for e in selectors.problem_timeline(problem)
        ]
    return data


def _body(request) -> dict:
    if request.content_type == "application/json":
        try:
            body = json.loads(request.body or b"{}")
        except ValueError:
            raise ServiceError("请求体不是有效的JSON") from None
        if not isinstance(body, dict):
            raise ServiceError("请求体应为JSON对象")
        return body
    return request.POST.dict()


def _decimal(value, name: str, errors: dict):
    if value in (None, ""):
        return None
    try:
        return Decimal(str(value)).quantize(Decimal("0.000001"))
    except InvalidOperation:
        errors[name] = "应为数字"
        return None


def parse_intake(user, body: dict) -> tuple[services.Intake | None, dict]:
    errors: dict[str, str] = {}
    category = config.active_category(str(body.get("category", "")))
    if category is None:
        errors["category"] = "类别编码无效"
    area = intake_sql.active_unit(str(body.get("area", "")))
    if area is None or policy.may_report_in(user, area) is None:
        errors["area"] = "区域编码无效，或不在您可以报告的范围内"
    severity = str(body.get("severity") or Severity.NORMAL)
    if severity not in Severity.values:
        errors["severity"] = "严重程度无效"
    source = str(body.get("source") or "")
    if source and source not in Source.values:
        errors["source"] = "来源无效"
    title = body.get("title")
    if not isinstance(title, str) or not title.strip():
        errors["title"] = "标题不能为空"
    latitude = _decimal(body.get("latitude"), "latitude", errors)
    longitude = _decimal(body.get("longitude"), "longitude", errors)
    if errors:
        return None, errors
    return services.Intake(title=title, category=category, area=area, description=str(body.get("description", "")),
                           severity=severity, source=source, address=str(body.get("address", "")),
                           latitude=latitude, longitude=longitude), {}


@require_http_methods(["GET", "POST"])
@api_view
def problems(request):
    if request.method == "GET":
        qs = selectors.problems_visible_to(request.user).select_related("category", "unit", "area")
        state = request.GET.get("state", "")
        if state:
            if state not in State.values:
                return _error(400, "状态无效", {"state": "状态无效"})
            qs = qs.filter(state=state)
        items = list(qs.order_by("-id")[:50])
        return JsonResponse({"results": [serialize(p) for p in items]}, json_dumps_params={"ensure_ascii": False})
    try:
        body = _body(request)
    except ServiceError as error:
        return _error(400, error.message)
    intake, errors = parse_intake(request.user, body)
    if errors:
        return _error(400, "提交的内容有误", errors)
    key = request.headers.get("Idempotency-Key") or body.get("idempotency_key") or None
    try:
        processed = processed_photos(request, "photos")
        if processed:  # one transaction for the photos and the problem
            problem, created = report_with_photos(request, intake, processed, key)
        else:
            problem, created = services.problem_report(actor=request.user, intake=intake, idempotency_key=key)
    except (ServiceError, PhotoError) as error:
        return _error(400, error.message, {error.field or "photos": error.message})
    return JsonResponse(serialize(problem), status=201 if created else 200, json_dumps_params={"ensure_ascii": False})


@require_GET
@api_view
def problem(request, code: str):
    found = selectors.problem_get(request.user, code)
    return JsonResponse(serialize(found, user=request.user, full=True), json_dumps_params={"ensure_ascii": False})


@require_POST
@api_view
def problem_action(request, code: str, action: str):
    found = selectors.problem_get(request.user, code)
    if action not in BY_ACTION:
        return _error(404, f"未知操作：{action}")
    try:
        body = _body(request)
        unit = None
        if body.get("unit"):
            unit = Unit.objects.filter(code=str(body["unit"])).first()
            if unit is None or not access.scope_for(request.user).sees_unit(unit):
                raise ServiceError("责任单位编码无效，或不在您的范围内", field="unit")
        keep = None
        if body.get("keep"):
            keep = selectors.problems_visible_to(request.user).filter(code=str(body["keep"])).first()
            if keep is None:
                raise ServiceError("保留的问题编号无效", field="keep")
        verifier = verifier_named(body["verifier"], found) if body.get("verifier") else None
        deadline = None
        if body.get("deadline"):
            deadline = parse_datetime(str(body["deadline"]))
            if deadline is None:
                raise ServiceError("期限格式应为 ISO 8601，如 2026-12-01T17:30:00+08:00", field="deadline")
            if timezone.is_naive(deadline):
                deadline = timezone.make_aware(deadline)
        processed = processed_photos(request, "photos")
        with photo_transaction() as stored:
            photos = store_photos(request, processed, found.unit or found.area, stored)
            result = services.perform(actor=request.user, problem=found, action=action,
                                      note=str(body.get("note", "")), reason=str(body.get("reason", "")),
                                      unit=unit, deadline=deadline, keep=keep, verifier=verifier, photos=photos)
    except (ServiceError, PhotoError) as error:
        return _error(409 if "可能已有他人处理" in error.message else 400, error.message,
                      {error.field: error.message} if error.field else {})
    return JsonResponse(serialize(result, user=request.user, full=True), json_dumps_params={"ensure_ascii": False})
