from django import template

register = template.Library()


@register.filter
def mask_phone(value: str) -> str:
    """138****5678 for mobiles; keeps the area code and last 2 digits of landlines."""
    value = (value or "").strip()
    if not value:
        return ""
    digits = value.replace("-", "")
    if len(digits) == 11 and digits.isdigit():
        return f"{digits[:3]}****{digits[-4:]}"
    if len(value) > 4:
        return value[: max(len(value) - 6, 0)] + "****" + value[-2:]
    return "****"


@register.filter
def mask_name(value: str) -> str:
    value = (value or "").strip()
    if len(value) <= 1:
        return value
    return value[0] + "*" * (len(value) - 1)


@register.simple_tag(takes_context=True)
def can(context, permission, unit=None):
    scope = context.get("user_scope")
    return bool(scope and scope.has(permission, unit))


@register.filter
def audit_label(action: str) -> str:
    from wenming.core.selectors import AUDIT_ACTION_LABELS

    return AUDIT_ACTION_LABELS.get(action, action)


@register.simple_tag
def lockout_minutes() -> int:
    from django.conf import settings

    return int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def role_label(value: str) -> str:
    from wenming.org.models import Role

    try:
        return Role(value).label
    except ValueError:
        return value
