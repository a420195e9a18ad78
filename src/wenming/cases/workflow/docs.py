"""The user guide's table of workflow actions, written from the transitions table itself
(`wenming manage workflow_doc` rewrites docs/workflow.md; a test checks it is current). It is
also the API's reference for actions: the action's name and the fields' names as the API takes
them (docs/api.md)."""

from wenming.org.models import Role

from ..models import RequestKind, State
from .machine import TRANSITIONS, optional, required

REACH = {"office": "问题所在区域或责任单位的上级创建办", "unit": "责任单位的经办人、网格员",
         "verifier": "指定的复核人（督查员），或创建办"}
NEEDS = {"unit": "责任单位", "deadline": "期限", "verifier": "复核人", "note": "说明", "reason": "理由",
         "keep": "保留的问题编号", "photos": "整改后照片"}


def workflow_markdown() -> str:
    lines = [
        "# 问题办理流程（由系统的流程表自动生成，请勿手工修改）",
        "",
        "问题的状态：" + "、".join(f"{label}" for _, label in State.choices) + "。",
        "",
        "接口（docs/api.md）中，操作名写在 `/api/problems/<编号>/actions/<操作名>/` 里，字段名见括号。",
        "",
        "| 操作 | 接口操作名 | 在何种状态下 | 之后的状态 | 谁可以操作 | 必填 | 可选 | 说明 |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for t in TRANSITIONS:
        sources = "、".join(State(s).label for s in sorted(t.sources, key=list(State.values).index))
        target = State(t.target).label if t.target else "不变"
        roles = "、".join(Role(r).label for r in sorted(t.roles))
        extra = []
        if t.opens:
            extra.append(f"提出{RequestKind(t.opens).label}，待创建办答复期间不能签收或提交整改")
        if t.answers:
            extra.append(f"答复{RequestKind(t.answers).label}")
        help_text = "；".join([t.help] + extra if t.help else extra)
        lines.append(f"| {t.label} | `{t.action}` | {sources} | {target} | {roles}（{REACH[t.reach]}） | "
                     f"{'、'.join(_field(n) for n in required(t)) or '—'} | "
                     f"{'、'.join(_field(n) for n in optional(t)) or '—'} | {help_text or '—'} |")
    return "\n".join(lines) + "\n"


def _field(name: str) -> str:
    return f"{NEEDS[name]}（`{name}`）"
