"""A task's measurable target as offices write it — “注册志愿者占比≥10%”, “主干道亮灯率=100%”,
“社区办公用房不少于300㎡” — read into (metric, comparator, value, unit), and written back the same way."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from .models import Comparator

# longest first, so that “>=” is not read as “>”
WORDS = [
    ("不少于", Comparator.GE), ("不低于", Comparator.GE), ("不小于", Comparator.GE), ("至少", Comparator.GE),
    ("达到", Comparator.GE), ("≥", Comparator.GE), (">=", Comparator.GE), ("＞＝", Comparator.GE), ("＞=", Comparator.GE),
    ("不超过", Comparator.LE), ("不高于", Comparator.LE), ("不大于", Comparator.LE), ("不多于", Comparator.LE),
    ("至多", Comparator.LE), ("≤", Comparator.LE), ("<=", Comparator.LE), ("＜＝", Comparator.LE), ("＜=", Comparator.LE),
    ("大于", Comparator.GT), ("高于", Comparator.GT), ("超过", Comparator.GT), (">", Comparator.GT), ("＞", Comparator.GT),
    ("小于", Comparator.LT), ("低于", Comparator.LT), ("<", Comparator.LT), ("＜", Comparator.LT),
    ("等于", Comparator.EQ), ("＝", Comparator.EQ), ("=", Comparator.EQ),
]
_WORD = re.compile("|".join(re.escape(word) for word, _ in sorted(WORDS, key=lambda w: -len(w[0]))))
_NUMBER = re.compile(r"^\s*([-+]?\d+(?:[.,，]\d+)*(?:\.\d+)?)\s*(.*?)\s*$")
EXAMPLE = "应写成“指标 比较符 数值 单位”，如：注册志愿者占比≥10%、主干道亮灯率=100%、社区办公用房不少于300㎡"
METRIC_MAX, UNIT_MAX = 60, 10


@dataclass(frozen=True)
class Target:
    metric: str
    comparator: str
    value: Decimal
    unit: str


class TargetInvalid(ValueError):
    """The message (Chinese) says what is wrong and how to write it."""


def parse_target(text: str) -> Target | None:
    """None for a blank cell; :class:`TargetInvalid` for anything not a target."""
    text = " ".join((text or "").split())
    if not text:
        return None
    match = _WORD.search(text)
    if match is None:
        raise TargetInvalid(f"目标值“{text}”中没有比较符（≥、≤、=、不少于等），{EXAMPLE}")
    metric = text[:match.start()].strip(" ：:，,")
    if not metric:
        raise TargetInvalid(f"目标值“{text}”缺少指标名称，{EXAMPLE}")
    comparator = dict(WORDS)[match.group(0)]
    rest = _NUMBER.match(text[match.end():])
    if rest is None:
        raise TargetInvalid(f"目标值“{text}”中比较符后面应是数值，{EXAMPLE}")
    number, unit = rest.group(1).replace(",", "").replace("，", ""), rest.group(2)
    try:
        value = Decimal(number)
    except InvalidOperation:
        raise TargetInvalid(f"目标值“{text}”中的数值无法识别，{EXAMPLE}") from None
    if len(metric) > METRIC_MAX:
        raise TargetInvalid(f"目标值的指标名称最多{METRIC_MAX}个字")
    if len(unit) > UNIT_MAX:
        raise TargetInvalid(f"目标值的单位“{unit}”过长（最多{UNIT_MAX}个字），{EXAMPLE}")
    if abs(value) >= Decimal(10) ** 10 or value.as_tuple().exponent < -4:
        raise TargetInvalid(f"目标值的数值{number}超出范围（最多10位整数、4位小数）")
    return Target(metric, comparator, value, unit)
