import re

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
    from wenming.core.selectors import audit_action_labels

    return audit_action_labels().get(action, action)


TARGET = re.compile(r"^(?P<app>[a-z_]+)\.(?P<model>[a-z_]+):(?P<pk>[\w-]+)(?: (?P<text>.*))?$", re.S)


@register.filter
def audit_target(target: str) -> str:
    """An audit line's object as people read it: ``inspections.roundpoint:220 RoundPoint object
    (220)`` → ``轮次点位 #220``; a permission → its Chinese name; anything else as written."""
    from django.apps import apps

    from wenming.core.selectors import audit_action_labels

    if not target:
        return ""
    labels = audit_action_labels()
    if target in labels:
        return labels[target]
    found = TARGET.match(target)
    if found is None:
        return target
    try:
        model = apps.get_model(found["app"], found["model"])
    except LookupError:
        return target
    text = (found["text"] or "").strip()
    if not text or text.endswith(f"object ({found['pk']})"):
        text = f"#{found['pk']}"
    return f"{model._meta.verbose_name} {text}"


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
