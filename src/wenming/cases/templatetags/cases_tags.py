"""Template filters and tests of the rectification loop. A template asks these (and through them
``cases.policy``) instead of repeating a role or state test."""

from django import template

from .. import policy
from ..escalation import sla
from ..models import State
from ..workflow.machine import BY_ACTION

register = template.Library()

EVENT_LABELS = {"report": "报告问题", "recurred": "再次出现（反弹）", "merged_in": "合并重复问题", "warn": "即将到期预警",
                "overdue": "逾期", "notice": "下发督办单", "letter": "下发督办函", "bulletin": "列入通报批评"}


@register.filter
def state_label(value: str) -> str:
    try:
        return State(value).label
    except ValueError:
        return value or "—"


@register.filter
def event_label(action: str) -> str:
    if action in BY_ACTION:
        return BY_ACTION[action].label
    return EVENT_LABELS.get(action, action)


@register.filter
def may_view_problem(user, problem) -> bool:
    """``{% if request.user|may_view_problem:problem.recurrence_of %}`` — link only if he may open it."""
    return policy.may_view_problem(user, problem)


@register.inclusion_tag("cases/_calendar_warning.html")
def calendar_warning(moment, short: bool = False) -> dict:
    """``{% calendar_warning problem.deadline %}`` — the warning a deadline carries while its
    year's 调休 are not entered (``sla.calendar_warning``); nothing otherwise. ``short=True``: a
    badge for lists, the full text as its title."""
    return {"text": sla.calendar_warning(moment), "short": short}
