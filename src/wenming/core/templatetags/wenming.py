from django import template

from wenming.core.masking import mask_name, mask_phone  # the one implementation, as filters

register = template.Library()
register.filter("mask_phone", mask_phone)
register.filter("mask_name", mask_name)


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
