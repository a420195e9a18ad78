from django.conf import settings

from . import access, extensions, tokens

# the base layer's own entries; each app registers its own in AppConfig.ready() (core/extensions.py)
BASE_NAV = [
    extensions.NavEntry(0, "home", "首页", lambda user: True),
    extensions.NavEntry(130, "org:tree", "组织体系", lambda user: access.scope_for(user).has("org.view")),
    extensions.NavEntry(140, "org:teams", "领导小组与工作组", lambda user: access.scope_for(user).has("org.view")),
    extensions.NavEntry(160, "org:accounts", "账号管理", lambda user: access.scope_for(user).has("org.manage_accounts")),
    extensions.NavEntry(170, "audit_log", "审计日志", lambda user: access.scope_for(user).has("audit.view")),
    extensions.NavEntry(175, "api_tokens", "接口令牌", tokens.may_manage),
    extensions.NavEntry(190, "me", "个人中心", lambda user: True),
]


def navigation(request):
    """Menu entries the user may open, each decided by its app's access policy."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"city_name": settings.CITY_NAME}
    entries = sorted(BASE_NAV + extensions.nav, key=lambda entry: entry.order)
    scope = access.scope_for(user)
    if scope.is_screen_only:  # a 大屏展示账号: the pages registered for it only
        entries = [e for e in entries if e.url_name.split(":")[0] in extensions.screen_pages.namespaces]
    items = [(entry.url_name, entry.label) for entry in entries if entry.may(user)]
    return {"nav_items": items, "city_name": settings.CITY_NAME, "user_scope": scope}
