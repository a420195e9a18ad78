from django.conf import settings

from . import access


def navigation(request):
    """Menu entries the user may use, computed from his scope."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"city_name": settings.CITY_NAME}
    scope = access.scope_for(user)
    items = [("home", "首页")]
    if scope.roles & {"office"}:
        items.append(("cases:todo", "待办"))
    if scope.roles & {"handler", "grid_worker"}:
        items.append(("cases:mine", "本单位问题"))
    if scope.roles & {"inspector", "office"}:
        items.append(("cases:verify", "待复核"))
    if scope.has("org.view"):
        items.append(("cases:ledger", "问题台账"))
    if scope.roles & {"office", "leader", "admin"}:
        items.append(("cases:metrics", "整改指标"))
    if scope.roles & {"office", "leader", "handler", "admin"}:
        items.append(("cases:notices", "督办文书"))
    if scope.roles & {"office", "leader", "inspector", "handler", "grid_worker", "citizen", "volunteer"}:
        items.append(("cases:report", "报告问题"))
    items.append(("cases:notifications", "消息"))
    # inspectors, and the staff a 自查 may assign points to (no query per request for who has one)
    if scope.roles & {"inspector", "handler", "grid_worker", "office"}:
        items.append(("inspections:mine", "我的测评"))
    if scope.has("org.view"):
        items += [("inspections:list", "督查测评"), ("places:list", "点位"), ("standards:list", "测评体系")]
    if scope.has("org.view"):
        items += [("org:tree", "组织体系"), ("org:teams", "领导小组与工作组")]
    if scope.is_root_office:
        items.append(("cases:settings", "整改设置"))
    if scope.has("org.manage_accounts"):
        items.append(("org:accounts", "账号管理"))
    if scope.has("audit.view"):
        items.append(("audit_log", "审计日志"))
    items.append(("me", "个人中心"))
    return {"nav_items": items, "city_name": settings.CITY_NAME, "user_scope": scope}
