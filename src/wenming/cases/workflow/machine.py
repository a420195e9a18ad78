"""The problem state machine: ONE table of transitions that the services, the buttons on the
pages, the API and the user guide all read (DESIGN.md §5).

A transition says from which states an action may be taken, by which roles, where the actor must
stand (``reach``), what the action needs from the actor, which request it answers, and the
state it leads to (None: the state does not change)."""

from __future__ import annotations

from dataclasses import dataclass

from wenming.org.models import Role

from ..models import RequestKind, State

OFFICE = frozenset({Role.OFFICE})
UNIT_STAFF = frozenset({Role.HANDLER, Role.GRID_WORKER})
VERIFIERS = frozenset({Role.OFFICE, Role.INSPECTOR})


@dataclass(frozen=True)
class Transition:
    action: str
    label: str
    sources: frozenset[str]
    target: str | None
    roles: frozenset[str]
    # "office": the problem lies in the actor's office subtree; "unit": the actor works at the
    # responsible unit; "verifier": the actor is the problem's verifier, or an office in scope
    reach: str
    needs: tuple[str, ...] = ()
    answers: str | None = None  # the pending request kind this action decides
    opens: str | None = None  # the request kind this action opens
    style: str = "secondary"
    help: str = ""


TRANSITIONS: tuple[Transition, ...] = (
    Transition("accept", "受理", frozenset({State.REPORTED}), State.PENDING_ASSIGNMENT, OFFICE, "office",
               help="确认问题属实、需要处理，待交办"),
    Transition("assign", "交办", frozenset({State.REPORTED, State.PENDING_ASSIGNMENT}), State.ASSIGNED, OFFICE,
               "office", needs=("unit", "deadline?", "verifier?", "note?"), style="primary",
               help="交给责任单位，期限按办理时限表自动计算，可改（须晚于现在、不超过3年）；复核人须为负责该问题"
                    "所在区域的督查员或创建办人员"),
    Transition("reject", "不予受理", frozenset({State.REPORTED}), State.REJECTED, OFFICE, "office",
               needs=("reason",), style="danger", help="不属于创建问题或信息不实，须说明理由"),
    Transition("merge", "合并重复", frozenset({State.REPORTED, State.PENDING_ASSIGNMENT}), State.MERGED, OFFICE,
               "office", needs=("keep",), help="与已有问题重复：报告人转为关注保留的问题"),
    Transition("sign", "签收", frozenset({State.ASSIGNED}), State.RECTIFYING, UNIT_STAFF, "unit", style="primary",
               help="确认本单位负责，开始整改"),
    Transition("request_return", "申请退回", frozenset({State.ASSIGNED}), None, UNIT_STAFF, "unit",
               needs=("reason",), opens=RequestKind.RETURN, help="不属于本单位职责，申请创建办改派"),
    Transition("approve_return", "同意退回", frozenset({State.ASSIGNED}), State.PENDING_ASSIGNMENT, OFFICE,
               "office", needs=("note?",), answers=RequestKind.RETURN, style="primary"),
    Transition("refuse_return", "不同意退回", frozenset({State.ASSIGNED}), None, OFFICE, "office",
               needs=("reason",), answers=RequestKind.RETURN),
    Transition("request_coordination", "申请协调", frozenset({State.RECTIFYING}), None, UNIT_STAFF, "unit",
               needs=("reason",), opens=RequestKind.COORDINATION, help="超出本单位能力，申请创建办协调"),
    Transition("reassign", "改派", frozenset({State.ASSIGNED, State.RECTIFYING}), State.ASSIGNED, OFFICE, "office",
               needs=("unit", "deadline?", "note?"), help="交给另一单位；如有协调申请，一并答复"),
    Transition("escalate", "提级办理", frozenset({State.ASSIGNED, State.RECTIFYING}), State.ASSIGNED, OFFICE,
               "office", needs=("deadline?", "note?"), help="交上一级单位办理"),
    Transition("refuse_coordination", "不同意协调", frozenset({State.RECTIFYING}), None, OFFICE, "office",
               needs=("reason",), answers=RequestKind.COORDINATION),
    Transition("request_extension", "申请延期", frozenset({State.RECTIFYING}), None, UNIT_STAFF, "unit",
               needs=("deadline", "reason"), opens=RequestKind.EXTENSION),
    Transition("approve_extension", "同意延期", frozenset({State.RECTIFYING}), None, OFFICE, "office",
               needs=("deadline?", "note?"), answers=RequestKind.EXTENSION, style="primary",
               help="督办从新期限重新起算：已逾期的不再计为逾期，新期限前重新预警、到期再下发督办单；"
                    "已下发的督办单、督办函保留在案"),
    Transition("refuse_extension", "不同意延期", frozenset({State.RECTIFYING}), None, OFFICE, "office",
               needs=("reason",), answers=RequestKind.EXTENSION),
    Transition("submit", "整改完成", frozenset({State.RECTIFYING}), State.SUBMITTED, UNIT_STAFF, "unit",
               needs=("photos", "note"), style="primary", help="上传整改后照片并说明整改情况"),
    Transition("verify_pass", "复核通过（销号）", frozenset({State.SUBMITTED}), State.CLOSED, VERIFIERS, "verifier",
               needs=("note?",), style="primary"),
    Transition("verify_fail", "复核不通过（退回重改）", frozenset({State.SUBMITTED}), State.RECTIFYING, VERIFIERS,
               "verifier", needs=("reason", "deadline?"), style="danger"),
    Transition("recur", "反弹（重新立案）", frozenset({State.CLOSED}), None, VERIFIERS, "verifier",
               needs=("note",), style="danger", help="同一处同类问题在反弹认定期内再次出现，新建问题并关联"),
)

BY_ACTION = {t.action: t for t in TRANSITIONS}
# a pending request blocks the actions that would move past it, except those answering it
BLOCKED_BY_REQUEST = {"sign", "submit", "request_return", "request_coordination", "request_extension"}


def arrange(actions: list[Transition]) -> tuple[list[Transition], list[Transition], str]:
    """How a problem's page offers the actions: the main ones, the primary first (after 签收:
    整改完成); the rarely used ones — the unit's requests (申请退回、申请协调、申请延期) — apart, to be
    folded; and the one action open by default: the first main one if it is primary (a
    destructive action such as 不予受理 or 反弹 never opens by itself)."""
    main = sorted((t for t in actions if t.opens is None), key=lambda t: t.style != "primary")
    rare = [t for t in actions if t.opens is not None]
    first = main[0].action if main and main[0].style == "primary" else ""
    return main, rare, first


def transition(action: str) -> Transition:
    return BY_ACTION[action]


def required(t: Transition) -> list[str]:
    return [need for need in t.needs if not need.endswith("?")]


def optional(t: Transition) -> list[str]:
    return [need.rstrip("?") for need in t.needs if need.endswith("?")]


def accepts(t: Transition) -> list[str]:
    return [need.rstrip("?") for need in t.needs]
