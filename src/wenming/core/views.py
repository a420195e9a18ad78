from __future__ import annotations

from datetime import datetime, time

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import render
from django.urls import reverse_lazy
from django.utils import timezone
from django.views.decorators.http import require_GET

from wenming.org import selectors as org_selectors
from wenming.org import services as org_services

from . import access, audit, selectors
from .middleware import client_ip
from .models import AuditResult


class LoginView(auth_views.LoginView):
    template_name = "core/login.html"
    redirect_authenticated_user = True

    def post(self, request, *args, **kwargs):
        if selectors.login_failures_from(client_ip(request)) >= settings.LOGIN_IP_FAILURE_LIMIT:
            audit.record("auth.ip_throttled", result=AuditResult.DENIED,
                         username=str(request.POST.get("username", ""))[:150])
            return render(request, "core/locked_out.html", {"by_address": True}, status=429)
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), "failure_limit": settings.AXES_FAILURE_LIMIT,
                "lockout_minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)}


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "core/password_change.html"
    success_url = reverse_lazy("me")

    def form_valid(self, form):
        response = super().form_valid(form)
        org_services.password_changed(user=self.request.user)
        messages.success(self.request, "密码已修改。")
        return response


@login_required
@require_GET
def home(request):
    context = selectors.home_summary(request.user)
    # the teams the user's own unit is responsible in may belong to a unit he does not see (a city
    # department's working group): links only where he may open them
    teams = [team for own in context.get("own_units", []) for team in own["teams"]]
    context["may"] = {"teams": org_selectors.team_ids_visible_to(request.user, teams)}
    return render(request, "core/home.html", context)


@login_required
@require_GET
def me(request):
    context = selectors.my_profile(request.user)
    # a team the user is a member of is a link only where he may open its page: a city inspector in
    # a district's 督查组 sees the group's points, not the district's teams
    posts = list(context["team_posts"])
    context.update(team_posts=posts, may={"teams": org_selectors.team_ids_visible_to(
        request.user, [tp.team for tp in posts])})
    return render(request, "core/me.html", context)


def _parse_date(text: str, end: bool = False):
    try:
        day = datetime.strptime(text, "%Y-%m-%d").date()
    except (TypeError, ValueError):
        return None
    return timezone.make_aware(datetime.combine(day, time.max if end else time.min))


@login_required
@require_GET
def audit_log(request):
    access.require(request.user, "audit.view")
    params = request.GET
    errors = []
    start = _parse_date(params.get("start", ""))
    end = _parse_date(params.get("end", ""), end=True)
    if params.get("start") and start is None:
        errors.append("开始日期格式应为 年-月-日，如 2026-11-01")
    if params.get("end") and end is None:
        errors.append("结束日期格式应为 年-月-日，如 2026-11-30")
    result = params.get("result", "")
    if result and result not in AuditResult.values:
        errors.append("结果筛选无效")
        result = ""
    events = selectors.audit_events_visible_to(
        request.user, actor=params.get("actor", "").strip(), action=params.get("action", "").strip(),
        result=result, start=start, end=end)
    page = Paginator(events, 50).get_page(params.get("page"))
    return render(request, "core/audit_log.html", {
        "page": page, "errors": errors, "params": params, "results": AuditResult.choices,
        "actions": selectors.audit_action_labels(), "names": selectors.actor_names(page),
    })


def bad_request(request, exception=None, message: str = ""):
    return render(request, "core/error.html", {"status": 400, "title": "请求无效",
                                               "message": message or "请求无效，无法处理。请检查链接或输入后重试。"},
                  status=400)


def permission_denied(request, exception=None):
    return render(request, "core/error.html", {"status": 403, "title": "无权操作",
                                               "message": "您没有执行此操作的权限。"}, status=403)


def page_not_found(request, exception=None):
    return render(request, "core/error.html", {"status": 404, "title": "页面不存在",
                                               "message": "未找到该页面或对象，或您无权查看。"}, status=404)
