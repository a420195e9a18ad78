"""The three scoring rules of DESIGN.md §6, defined once: their parameters (normalised, as stored in
``CheckItem.params``), how a recorded answer earns points, and the two written forms people use —
the YAML block and the compact text of the Excel sheet.

Normalised parameters::

    verdict    {"shares": {"pass": 100, "partial": 50, "fail": 0}}        # percent of the item's score;
                                                                          # no "partial": 基本符合 not allowed
    grade      {"by": "conditions" | "rate", "conditions": ["…", …],      # conditions only when by conditions
                "grades": [{"grade": "A", "share": 100, "min": 3}, …],    # best first; min = conditions met
                "pass": "C"}                                              # or the rate in percent
    deduction  {"per": 0.5, "unit": "处"}                                 # points per occurrence, floor 0

An answer is a dict: ``{"verdict": "pass" | "partial" | "fail" | "na"}`` for a verdict item,
``{"met": 2}`` or ``{"rate": 87.5}`` (or ``{"verdict": "na"}``) for a grade item,
``{"count": 3}`` (or ``{"verdict": "na"}``) for a deduction item. 不适用 takes the item out of the
denominator and needs a note (the caller checks the note; :func:`evaluate` only says it is 不适用).
An inspection also keeps which conditions were met beside their number (``{"met": 2,
"conditions": [1, 3]}``, positions from 1); :func:`evaluate` scores ``met`` only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

VERDICT_LABELS = {"pass": "符合", "partial": "基本符合", "fail": "不符合", "na": "不适用"}
VERDICT_CODES = {label: code for code, label in VERDICT_LABELS.items()}
KIND_LABELS = {"verdict": "判定", "grade": "等级", "deduction": "扣分"}
KIND_CODES = {label: code for code, label in KIND_LABELS.items()}
BY_LABELS = {"conditions": "条件", "rate": "比率"}
BY_CODES = {label: code for code, label in BY_LABELS.items()}
TWO = Decimal("0.01")
MAX_NUMBER = Decimal(1000)     # the largest deduction per occurrence and condition count a rule may name
GRADE_NAME_MAX = 20           # a grade is an inspection result's label (ItemResult.label holds 40)
UNIT_MAX = 4                  # the measure word of a deduction: 处、块、辆、人次 …


class RuleError(ValueError):
    """Bad parameters or a bad answer; the message is Chinese and names what is wrong."""


def _number(value, what: str, *, minimum: Decimal | None = None, maximum: Decimal | None = None) -> Decimal:
    if isinstance(value, bool):
        raise RuleError(f"{what}应为数字")
    try:
        number = Decimal(str(value).strip().rstrip("%"))
    except (InvalidOperation, ValueError):
        raise RuleError(f"{what}应为数字，而不是「{value}」") from None
    if not number.is_finite():
        raise RuleError(f"{what}应为数字，而不是「{value}」")
    if minimum is not None and number < minimum:
        raise RuleError(f"{what}不能小于{minimum}")
    if maximum is not None and number > maximum:
        raise RuleError(f"{what}不能大于{maximum}")
    return number


def _plain(number: Decimal):
    """A JSON-friendly number: int when whole, else float."""
    return int(number) if number == number.to_integral_value() else float(number)


# --- parameters ----------------------------------------------------------------------------------

def normalise(kind: str, params: dict) -> dict:
    """Check parameters in their normalised form and return them cleaned; RuleError otherwise."""
    if kind == "verdict":
        shares = params.get("shares") or {}
        if not isinstance(shares, dict) or "pass" not in shares or "fail" not in shares:
            raise RuleError("判定规则须给出「符合」和「不符合」的得分比例")
        unknown = set(shares) - {"pass", "partial", "fail"}
        if unknown:
            raise RuleError("判定只能是符合、基本符合、不符合")
        clean = {code: _plain(_number(shares[code], f"「{VERDICT_LABELS[code]}」的得分比例",
                                      minimum=Decimal(0), maximum=Decimal(100)))
                 for code in ("pass", "partial", "fail") if code in shares}
        if not clean["pass"] >= clean.get("partial", clean["fail"]) >= clean["fail"]:
            raise RuleError("得分比例应满足：符合 ≥ 基本符合 ≥ 不符合")
        return {"shares": clean}
    if kind == "grade":
        by = params.get("by")
        if by not in BY_LABELS:
            raise RuleError("等级规则须说明依据：条件 或 比率")
        grades = params.get("grades") or []
        if not isinstance(grades, list) or len(grades) < 2:
            raise RuleError("等级规则至少要有两个等级")
        clean_grades, names = [], set()
        for grade in grades:
            name = str(grade.get("grade", "")).strip()
            if not name:
                raise RuleError("等级名称不能为空")
            if len(name) > GRADE_NAME_MAX:
                raise RuleError(f"等级名称最长{GRADE_NAME_MAX}字（现为{len(name)}字）")
            if name in names:
                raise RuleError(f"等级「{name}」重复")
            names.add(name)
            share = _number(grade.get("share"), f"等级「{name}」的得分比例", minimum=Decimal(0), maximum=Decimal(100))
            low = _number(grade.get("min"), f"等级「{name}」的下限", minimum=Decimal(0),
                          maximum=Decimal(100) if by == "rate" else MAX_NUMBER)
            clean_grades.append({"grade": name, "share": _plain(share), "min": _plain(low)})
        for better, worse in zip(clean_grades, clean_grades[1:]):
            if not (better["min"] > worse["min"] and better["share"] >= worse["share"]):
                raise RuleError("等级应从高到低排列，下限和得分比例依次递减")
        if clean_grades[-1]["min"] != 0:
            raise RuleError("最低等级的下限应为0，使任何结果都有等级")
        pass_grade = str(params.get("pass", "")).strip()
        if pass_grade not in names:
            raise RuleError("合格等级须是所列等级之一")
        clean = {"by": by, "grades": clean_grades, "pass": pass_grade}
        if by == "conditions":
            conditions = [str(text).strip() for text in params.get("conditions") or [] if str(text).strip()]
            if not conditions:
                raise RuleError("按条件评等级须列出条件")
            if clean_grades[0]["min"] > len(conditions):
                raise RuleError(f"最高等级要求满足{clean_grades[0]['min']}项条件，但只列了{len(conditions)}项")
            if any(not float(grade["min"]).is_integer() for grade in clean_grades):
                raise RuleError("按条件评等级时，下限应为整数（满足的条件数）")
            clean["conditions"] = conditions
        return clean
    if kind == "deduction":
        per = _number(params.get("per"), "每处扣分", minimum=Decimal(0), maximum=MAX_NUMBER)
        if per == 0:
            raise RuleError("每处扣分应大于0")
        unit = str(params.get("unit") or "处").strip() or "处"
        if len(unit) > UNIT_MAX:
            raise RuleError(f"扣分的量词最多{UNIT_MAX}个字（现为{len(unit)}字）")
        return {"per": _plain(per), "unit": unit}
    raise RuleError("计分方式只能是：判定、等级、扣分")


# --- answers -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    applicable: bool
    earned: Decimal      # points earned (0 when not applicable)
    possible: Decimal    # the item's score when applicable, else 0
    failed: bool         # raises a problem: 不符合, any deduction, a grade below the pass mark
    label: str           # what the result reads as: 符合 / B / 扣1.5分（3处） / 不适用


def _grade_for(params: dict, value: Decimal) -> dict:
    for grade in params["grades"]:
        if value >= Decimal(str(grade["min"])):
            return grade
    return params["grades"][-1]


def evaluate(kind: str, params: dict, score, answer: dict) -> Outcome:
    """Points earned by one answer. Raises RuleError (Chinese) for an answer the rule can't take."""
    score = Decimal(str(score))
    if answer.get("verdict") == "na":
        return Outcome(False, Decimal(0), Decimal(0), False, "不适用")
    if kind == "verdict":
        verdict = answer.get("verdict")
        shares = params["shares"]
        if verdict not in shares:
            allowed = "、".join(VERDICT_LABELS[code] for code in ("pass", "partial", "fail") if code in shares)
            raise RuleError(f"请选择判定结果（{allowed}或不适用）")
        earned = (score * Decimal(str(shares[verdict])) / 100).quantize(TWO, ROUND_HALF_UP)
        return Outcome(True, earned, score, verdict == "fail", VERDICT_LABELS[verdict])
    if kind == "grade":
        if params["by"] == "conditions":
            if answer.get("met") in (None, ""):
                raise RuleError("请勾选满足的条件")
            met = _number(answer["met"], "满足的条件数", minimum=Decimal(0),
                          maximum=Decimal(len(params["conditions"])))
            if met != met.to_integral_value():
                raise RuleError("满足的条件数应为整数")
            value = met
        else:
            if answer.get("rate") in (None, ""):
                raise RuleError("请填写测得的比率（%）")
            value = _number(answer["rate"], "比率", minimum=Decimal(0), maximum=Decimal(100))
        grade = _grade_for(params, value)
        earned = (score * Decimal(str(grade["share"])) / 100).quantize(TWO, ROUND_HALF_UP)
        names = [g["grade"] for g in params["grades"]]
        failed = names.index(grade["grade"]) > names.index(params["pass"])
        return Outcome(True, earned, score, failed, grade["grade"])
    if kind == "deduction":
        if answer.get("count") in (None, ""):
            raise RuleError(f"请填写发现的数量（{params['unit']}）")
        count = _number(answer["count"], "发现的数量", minimum=Decimal(0), maximum=Decimal(10000))
        if count != count.to_integral_value():
            raise RuleError("发现的数量应为整数")
        deducted = min(score, Decimal(str(params["per"])) * count)
        earned = (score - deducted).quantize(TWO, ROUND_HALF_UP)
        label = "无扣分" if count == 0 else f"扣{_plain(deducted)}分（{int(count)}{params['unit']}）"
        return Outcome(True, earned, score, count > 0, label)
    raise RuleError("未知的计分方式")


# --- the YAML form -------------------------------------------------------------------------------

def from_yaml(block: dict) -> tuple[str, dict]:
    """``scoring:`` block of a YAML file (Chinese labels) → (kind, normalised params)."""
    if not isinstance(block, dict):
        raise RuleError("scoring 应为一个映射")
    kind = KIND_CODES.get(str(block.get("kind", "")).strip())
    if kind is None:
        raise RuleError("计分方式（kind）只能是：判定、等级、扣分")
    if kind == "verdict":
        shares = block.get("shares") or {}
        if not isinstance(shares, dict):
            raise RuleError("shares 应为「判定: 比例」的映射")
        unknown = [key for key in shares if key not in VERDICT_CODES or key == "不适用"]
        if unknown:
            raise RuleError(f"未知的判定「{unknown[0]}」")
        return kind, normalise(kind, {"shares": {VERDICT_CODES[key]: value for key, value in shares.items()}})
    if kind == "grade":
        by = BY_CODES.get(str(block.get("by", "")).strip())
        if by is None:
            raise RuleError("等级依据（by）只能是：条件、比率")
        grades = block.get("grades")
        if not isinstance(grades, list) or not all(isinstance(g, dict) for g in grades):
            raise RuleError("grades 应为等级列表")
        conditions = block.get("conditions")
        if conditions is not None and not (isinstance(conditions, list)
                                           and all(isinstance(text, (str, int, float)) for text in conditions)):
            raise RuleError("conditions 应为条件的列表")
        return kind, normalise(kind, {"by": by, "conditions": block.get("conditions") or [],
                                      "grades": grades, "pass": block.get("pass")})
    return kind, normalise(kind, {"per": block.get("per"), "unit": block.get("unit")})


def to_yaml(kind: str, params: dict) -> dict:
    if kind == "verdict":
        return {"kind": "判定", "shares": {VERDICT_LABELS[code]: value for code, value in params["shares"].items()}}
    if kind == "grade":
        block = {"kind": "等级", "by": BY_LABELS[params["by"]]}
        if params["by"] == "conditions":
            block["conditions"] = list(params["conditions"])
        block["grades"] = [dict(grade) for grade in params["grades"]]
        block["pass"] = params["pass"]
        return block
    return {"kind": "扣分", "per": params["per"], "unit": params["unit"]}


# --- the Excel form: one text cell per rule (and one for a grade's conditions) -------------------
#   判定  符合=100%；基本符合=50%；不符合=0%
#   等级  依据=条件；A=100%≥3；B=80%≥2；C=60%≥1；C#=0%≥0；合格=C      (conditions: one per line)
#   扣分  每处扣0.5分

_SPLIT = re.compile(r"[；;\n]+")
_GRADE = re.compile(r"^(?P<grade>[^=＝]+)[=＝](?P<share>[\d.]+)%?(?:≥|>=)(?P<min>[\d.]+)%?$")
_DEDUCT = re.compile(r"^每(?P<unit>\S{1,4}?)扣(?P<per>[\d.]+)分$")


def to_text(kind: str, params: dict) -> tuple[str, str]:
    """(parameter text, conditions text) for the Excel sheet."""
    if kind == "verdict":
        return "；".join(f"{VERDICT_LABELS[code]}={value}%" for code, value in params["shares"].items()), ""
    if kind == "grade":
        parts = [f"依据={BY_LABELS[params['by']]}"]
        parts += [f"{g['grade']}={g['share']}%≥{g['min']}" for g in params["grades"]]
        parts.append(f"合格={params['pass']}")
        return "；".join(parts), "\n".join(params.get("conditions", []))
    return f"每{params['unit']}扣{params['per']}分", ""


def from_text(kind_label: str, text: str, conditions: str = "") -> tuple[str, dict]:
    """Parse the sheet's 计分方式 / 计分参数 / 等级条件 cells; RuleError says what is wrong."""
    kind = KIND_CODES.get(kind_label.strip())
    if kind is None:
        raise RuleError("计分方式只能是：判定、等级、扣分")
    parts = [part.strip() for part in _SPLIT.split(text.strip()) if part.strip()]
    if kind == "verdict":
        shares = {}
        for part in parts or ["符合=100%", "不符合=0%"]:
            key, _, value = part.replace("＝", "=").partition("=")
            if key.strip() not in VERDICT_CODES or key.strip() == "不适用" or not value:
                raise RuleError(f"无法识别「{part}」，应写成：符合=100%；基本符合=50%；不符合=0%")
            shares[VERDICT_CODES[key.strip()]] = value.strip()
        return kind, normalise(kind, {"shares": shares})
    if kind == "grade":
        by, pass_grade, grades = None, None, []
        for part in parts:
            part = part.replace("＝", "=")
            if part.startswith("依据="):
                by = BY_CODES.get(part[3:].strip())
                if by is None:
                    raise RuleError("依据只能是：条件 或 比率")
            elif part.startswith("合格="):
                pass_grade = part[3:].strip()
            else:
                match = _GRADE.match(part.replace(" ", ""))
                if match is None:
                    raise RuleError(f"无法识别「{part}」，等级应写成：A=100%≥3")
                grades.append({"grade": match["grade"], "share": match["share"], "min": match["min"]})
        if by is None:
            raise RuleError("等级规则须写明：依据=条件 或 依据=比率")
        if pass_grade is None:
            raise RuleError("等级规则须写明合格等级，例如：合格=C")
        lines = [line.strip() for line in conditions.splitlines() if line.strip()]
        return kind, normalise(kind, {"by": by, "grades": grades, "pass": pass_grade, "conditions": lines})
    match = _DEDUCT.match(text.strip().replace(" ", ""))
    if match is None:
        raise RuleError("扣分规则应写成：每处扣0.5分")
    return kind, normalise(kind, {"per": match["per"], "unit": match["unit"]})


def describe(kind: str, params: dict) -> str:
    """One line a person reads: how the item scores."""
    if kind == "verdict":
        return "；".join(f"{VERDICT_LABELS[code]}得{value}%" for code, value in params["shares"].items())
    if kind == "grade":
        unit = "项" if params["by"] == "conditions" else "%"
        lead = "满足条件数" if params["by"] == "conditions" else "比率"
        bands = "，".join(f"{g['grade']}（≥{g['min']}{unit}，得{g['share']}%）" for g in params["grades"])
        return f"按{lead}评等级：{bands}；{params['pass']}及以上为合格"
    return f"每{params['unit']}扣{params['per']}分，扣完为止"
