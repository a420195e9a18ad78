"""Reads for the home page, the personal page and the audit log, scoped to the user."""

from __future__ import annotations

from datetime import timedelta

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Count, Q
from django.utils import timezone

from wenming.org import selectors as org_selectors
from wenming.org.models import Membership, Role, TeamMember, UnitKind

from . import access, extensions
from .models import AuditEvent, AuditResult, OutboundMessage, OutboundStatus

AUDIT_ACTION_LABELS = {
    "auth.login": "登录",
    "org.init_city": "初始化城市",
    "demo.build": "生成演示数据",
    "auth.logout": "退出",
    "auth.lockout": "账号锁定",
    "auth.ip_throttled": "同一地址登录失败过多",
    "auth.password_change": "修改密码",
    "access.refused": "越权访问被拒绝",
    "org.unit_create": "新建单位",
    "org.unit_update": "修改单位",
    "org.units_import": "导入单位",
    "org.units_export": "导出单位",
    "org.account_create": "新建账号",
    "org.account_update": "修改账号",
    "org.account_enable": "启用账号",
    "org.account_disable": "停用账号",
    "org.account_reset_password": "重置密码",
    "org.role_grant": "授予角色",
    "org.role_revoke": "撤销角色",
    "org.team_create": "新建机构",
    "org.team_member_add": "添加机构成员",
    "org.team_member_remove": "移除机构成员",
    "org.team_unit_add": "添加责任单位",
    "org.patronage_create": "新建包保关系",
    "org.patronage_end": "结束包保关系",
    "org.boundaries_import": "导入单位边界",
    "org.grant_admin": "授予系统管理员",
    "org.view": "查看组织体系",
    "org.edit_units": "维护单位",
    "org.set_doc_code": "设置机关代字",
    "org.manage_accounts": "管理账号",
    "org.manage_patronage": "管理包保",
    "org.manage_teams": "管理工作组",
    "org.pick_people": "按姓名查找人员",
    "org.view_contacts": "查看联系方式",
    "audit.view": "查看审计日志",
    "outbound.view": "查看短信和邮件发送记录",
    "core.api_tokens": "管理接口令牌",
    "api_token.create": "建立接口令牌",
    "api_token.revoke": "吊销接口令牌",
    "api_token.use": "使用接口令牌",
    "api_token.refused": "接口令牌被拒绝",
    "job.enqueue": "提交后台任务",
    "job.fail": "后台任务失败",
    "job.download": "下载导出文件",
    "export.download": "导出/下载文件",
    "cases.timeline_purge": "清空问题时间线（重建演示数据）",
    "cases.ledger_export": "导出问题台账",
}


def audit_action_labels() -> dict[str, str]:
    """Every audit action's Chinese name: core's and org's, and those the apps register."""
    from . import extensions

    return {**AUDIT_ACTION_LABELS, **extensions.audit_labels}


def actor_names(events) -> dict[int, str]:
    """The people behind a page of audit lines, by id: one query, however many lines."""
    from wenming.org.models import User

    ids = {e.actor_id for e in events if e.actor_id}
    return {u.pk: u.display_name for u in User.objects.filter(pk__in=ids).only("full_name", "username")}


def audit_events_visible_to(user, *, actor: str = "", action: str = "", result: str = "", start=None, end=None):
    """Events of the units under the user's office/admin memberships, and his own. Events tied
    to no unit (a login attempt with an unknown name, a command-line action) belong to the root
    office and root admin."""
    scope = access.scope_for(user)
    if not scope.has("audit.view"):
        return AuditEvent.objects.none()
    grants = [(path, role) for path, _, role in scope.grants if role in {Role.OFFICE, Role.ADMIN}]
    paths = access._minimal([path for path, _ in grants])
    condition = Q(*[Q(unit_path__startswith=p) for p in paths], _connector=Q.OR) | Q(actor_id=user.pk)
    if any(path.count("/") == 2 for path, _ in grants):
        condition |= Q(unit_path="")
    qs = AuditEvent.objects.filter(condition)
    if actor:
        qs = qs.filter(actor_username__icontains=actor)
    if action:
        qs = qs.filter(action=action)
    if result:
        qs = qs.filter(result=result)
    if start:
        qs = qs.filter(at__gte=start)
    if end:
        qs = qs.filter(at__lte=end)
    return qs.order_by("-id")


def locked_usernames(usernames_qs) -> list[str]:
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    return list(AccessAttempt.objects.filter(
        failures_since_start__gte=settings.AXES_FAILURE_LIMIT, attempt_time__gte=since,
        username__in=usernames_qs).values_list("username", flat=True).distinct())


def login_failures_from(ip: str) -> int:
    """Failed logins from one address within the throttling window (read off the audit log,
    so every server process sees the same count)."""
    since = timezone.now() - settings.LOGIN_IP_WINDOW
    return AuditEvent.objects.filter(action="auth.login", result=AuditResult.FAILURE, ip=ip, at__gte=since).count()


def home_summary(user) -> dict:
    scope = access.scope_for(user)
    memberships = list(Membership.objects.filter(user=user, is_active=True).select_related("unit"))
    context: dict = {"memberships": memberships, "roles": scope.roles, "attention": []}
    if scope.has("org.view"):
        units = org_selectors.units_visible_to(user)
        context["unit_counts"] = [
            (UnitKind(row["kind"]).label, row["n"])
            for row in units.values("kind").annotate(n=Count("id")).order_by("kind")
        ]
        if scope.subtree_paths:
            context["roots"] = list(org_selectors.unit_roots_for(user))
    for items in extensions.home_attention:  # the apps above the base layer (core/extensions.py)
        context["attention"] += items(user)
    if scope.has_at_root("outbound.view"):
        counts = outbound_problem_counts(user)
        context["attention"] += [
            {"label": "发送失败的短信/邮件", "count": counts["failed"], "url": "outbound", "query": "status=failed"},
            {"label": "正在重试的短信/邮件", "count": counts["retrying"], "url": "outbound", "query": "status=retrying"},
        ]
    if scope.has("org.manage_accounts"):
        accounts = org_selectors.users_manageable_by(user)
        context["account_total"] = accounts.count()
        locked = locked_usernames(accounts.values("username"))
        pending = accounts.filter(is_active=True, must_change_password=True).count()
        disabled = accounts.filter(is_active=False).count()
        refused = audit_events_visible_to(
            user, result=AuditResult.DENIED, start=timezone.now() - timedelta(days=7)).count()
        incomplete = org_selectors.units_visible_to(user).filter(
            Q(contact_phone="") | Q(population=0), kind__in=[UnitKind.STREET, UnitKind.COMMUNITY]).count()
        context["attention"] += [
            {"label": "被锁定的账号", "count": len(locked), "detail": "、".join(locked[:10]),
             "url": "org:accounts", "query": "locked=1"},
            {"label": "尚未修改初始密码的账号", "count": pending, "url": "org:accounts", "query": "pending=1"},
            {"label": "已停用的账号", "count": disabled, "url": "org:accounts", "query": "active=0"},
            {"label": "近7天被拒绝的越权访问", "count": refused, "url": "audit_log", "query": "result=denied"},
            {"label": "缺少联系电话或人口数的街道/社区", "count": incomplete, "url": "org:tree", "query": "incomplete=1"},
        ]
    if Role.LEADER in scope.roles:
        context["patronages"] = list(
            user.patronages.filter(is_active=True).select_related("target_unit").order_by("target_unit__path"))
    own_units = [m.unit for m in memberships if m.role in {Role.HANDLER, Role.GRID_WORKER, Role.INSPECTOR}]
    if own_units:
        context["own_units"] = [
            {"unit": unit, "patrons": list(org_selectors.unit_patrons(unit)),
             "teams": list(org_selectors.unit_teams(unit))}
            for unit in own_units
        ]
    return context


def my_profile(user) -> dict:
    memberships = Membership.objects.filter(user=user).select_related("unit").order_by("-is_active", "id")
    return {
        "memberships": memberships,
        "team_posts": TeamMember.objects.filter(user=user).select_related("team", "team__unit"),
        # failures against his account too: an attempt he did not make is worth seeing
        "recent_logins": AuditEvent.objects.filter(actor_username=user.username, action="auth.login").order_by("-id")[:8],
    }


# --- background jobs -------------------------------------------------------------------------------

def my_jobs(user, limit: int = 50):
    """The user's own recent jobs; nobody sees another user's."""
    from .models import Job

    return Job.objects.filter(owner_id=user.pk).order_by("-created_at", "-id")[:limit]


def my_job(user, pk: int):
    """The user's own job, or a refusal (404, audited) for anyone else's or a missing one."""
    from .models import Job

    job = Job.objects.filter(owner_id=user.pk, pk=pk).first()
    if job is None:
        access.refuse_not_found(user, "job", f"core.job:{pk}")
    return job


# --- outbound messages (SMS, e-mail) -----------------------------------------------------------------

OUTBOUND_FILTERS = {"": "全部异常", "failed": "发送失败", "retrying": "重试中"}


def _outbound_condition(status: str) -> Q:
    failed = Q(status=OutboundStatus.FAILED)
    # failed at least once and waiting for (or in) another attempt
    retrying = Q(status=OutboundStatus.QUEUED, attempts__gt=0) & ~Q(last_error="")
    return {"failed": failed, "retrying": retrying}.get(status, failed | retrying)


def outbound_problems(user, *, status: str = ""):
    """The messages the city office should look at: failed for good, or being retried (``status``
    "failed"/"retrying" narrows it). Only for office/admin at a root unit: the messages belong to
    no unit."""
    if not access.scope_for(user).has_at_root("outbound.view"):
        return OutboundMessage.objects.none()
    return OutboundMessage.objects.filter(_outbound_condition(status)).order_by("-created_at", "-id")


def outbound_problem_counts(user) -> dict[str, int]:
    if not access.scope_for(user).has_at_root("outbound.view"):
        return {"failed": 0, "retrying": 0}
    return {key: OutboundMessage.objects.filter(_outbound_condition(key)).count() for key in ("failed", "retrying")}
