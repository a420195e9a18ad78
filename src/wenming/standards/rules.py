"""The scoring rules of DESIGN.md §6, defined once: their parameters (normalised, as stored in
``CheckItem.params``), how a recorded answer earns points, how a point's items add up (with the
一票否决), and the two written forms people use — the YAML block and the compact text of the Excel
sheet.

Normalised parameters::

    verdict    {"shares": {"pass": 100, "partial": 50, "fail": 0}}        # percent of the item's score;
                                                                          # no "partial": 基本符合 not allowed
    grade      {"by": "conditions" | "rate", "conditions": ["…", …],      # conditions only when by conditions
                "grades": [{"grade": "A", "share": 100, "min": 3}, …],    # best first; min = conditions met
                "pass": "C"}                                              # or the rate in percent
    deduction  {"per": 0.5, "unit": "处", "max": 5}                       # points per occurrence, floor 0;
                                                                          # "max" (最多扣N分) optional
    threshold  {"min": 5, "per_short": 2, "unit": "处", "max": 6}         # 不少于5处，每少一处扣2分;
                                                                          # "max" optional
    any kind   … "veto": {"cap": 0}                                       # 一票否决 (optional): failed, the
                                                                          # point scores at most "cap" (of 100)

An answer is a dict: ``{"verdict": "pass" | "partial" | "fail" | "na"}`` for a verdict item,
``{"met": 2}`` or ``{"rate": 87.5}`` (or ``{"verdict": "na"}``) for a grade item,
``{"count": 3}`` (or ``{"verdict": "na"}``) for a deduction item (occurrences found) and for a
threshold item (how many there are). 不适用 takes the item out of the denominator and needs a note
(the caller checks the note; :func:`evaluate` only says it is 不适用).
An inspection also keeps which conditions were met beside their number (``{"met": 2,
"conditions": [1, 3]}``, positions from 1); :func:`evaluate` scores ``met`` only.

A **veto** (一票否决) item that fails caps its point: :func:`point_total` adds the items up, then, if
any veto item failed, the point's score is at most the lowest cap among them (0: the point scores
0) and its earned points are cut to match (earned = possible × score / 100), so a unit's score
(the mean of its points' scores) and the 得分率 (earned over possible) both carry the veto. The
items' own results keep what each earned; :func:`veto_note` says why the point scored less.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

VERDICT_LABELS = {"pass": "符合", "partial": "基本符合", "fail": "不符合", "na": "不适用"}
VERDICT_CODES = {label: code for code, label in VERDICT_LABELS.items()}
KIND_LABELS = {"verdict": "判定", "grade": "等级", "deduction": "扣分", "threshold": "不少于"}
KIND_CODES = {label: code for code, label in KIND_LABELS.items()}
KIND_CHOICES = "、".join(KIND_LABELS.values())
BY_LABELS = {"conditions": "条件", "rate": "比率"}
BY_CODES = {label: code for code, label in BY_LABELS.items()}
TWO = Decimal("0.01")
MAX_NUMBER = Decimal(1000)     # the largest deduction per occurrence and condition count a rule may name
GRADE_NAME_MAX = 20           # a grade is an inspection result's label (ItemResult.label holds 40)
UNIT_MAX = 4                  # the measure word of a deduction: 处、块、辆、人次 …
MAX_COUNT = 1000              # the most a threshold item may ask for, and the most an inspector may count for it
MAX_DEDUCTION_COUNT = 10000   # occurrences a deduction item takes
HUNDRED = Decimal(100)


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
    """Check parameters in their normalised form and return them cleaned; RuleError otherwise.
    (A deduction cap against the item's score is checked by :func:`check_score`.)"""
    if not isinstance(params, dict):
        raise RuleError("计分参数有误")
    clean = _normalise_rule(kind, params)
    veto = _normalise_veto(params.get("veto"))
    if veto is not None:
        clean["veto"] = veto
    return clean


def _normalise_veto(veto) -> dict | None:
    """``{"cap": 0}`` (also from ``True``); None for no veto (None, False)."""
    if veto is None or veto is False:
        return None
    if veto is True:
        veto = {"cap": 0}
    if not isinstance(veto, dict) or set(veto) - {"cap"}:
        raise RuleError("一票否决应写成：是，或 是，封顶60分")
    cap = _number(veto.get("cap", 0), "一票否决的封顶分", minimum=Decimal(0), maximum=HUNDRED)
    if cap == HUNDRED:
        raise RuleError("一票否决的封顶分应小于100（封顶100分等于不否决）")
    if cap != cap.quantize(TWO):
        raise RuleError("一票否决的封顶分最多两位小数")
    return {"cap": _plain(cap)}


def _deduction_cap(params: dict) -> dict:
    """The optional 最多扣N分 of a deduction or threshold rule, as ``{"max": N}`` or ``{}``."""
    if params.get("max") in (None, ""):
        return {}
    most = _number(params["max"], "最多扣分", minimum=Decimal(0), maximum=MAX_NUMBER)
    if most == 0:
        raise RuleError("最多扣分应大于0")
    return {"max": _plain(most)}


def _unit(params: dict, what: str) -> str:
    unit = str(params.get("unit") or "处").strip() or "处"
    if len(unit) > UNIT_MAX:
        raise RuleError(f"{what}的量词最多{UNIT_MAX}个字（现为{len(unit)}字）")
    if any(char.isdigit() or char in "，,；;=＝%.。" or char.isspace() for char in unit):
        raise RuleError(f"{what}的量词「{unit}」只能是文字，如 处、块、辆")
    return unit


def check_score(kind: str, params: dict, score) -> None:
    """What parameters can only be checked against the item's score: a deduction cap (最多扣N分)
    above the score means nothing and is refused."""
    if params.get("max") is not None and Decimal(str(params["max"])) > Decimal(str(score)):
        raise RuleError(f"最多扣{params['max']}分超过了该项分值（{_plain(Decimal(str(score)))}分），"
                        f"最多扣分不能大于分值")


def _normalise_rule(kind: str, params: dict) -> dict:
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
        return {"per": _plain(per), "unit": _unit(params, "扣分"), **_deduction_cap(params)}
    if kind == "threshold":
        least = _number(params.get("min"), "不少于的数量", minimum=Decimal(0), maximum=Decimal(MAX_COUNT))
        if least != least.to_integral_value():
            raise RuleError("不少于的数量应为整数")
        if least == 0:
            raise RuleError("不少于的数量应大于0")
        per = _number(params.get("per_short"), "每少一处扣分", minimum=Decimal(0), maximum=MAX_NUMBER)
        if per == 0:
            raise RuleError("每少一处扣分应大于0")
        return {"min": int(least), "per_short": _plain(per), "unit": _unit(params, "不少于"),
                **_deduction_cap(params)}
    raise RuleError(f"计分方式只能是：{KIND_CHOICES}")


# --- answers -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    applicable: bool
    earned: Decimal      # points earned (0 when not applicable)
    possible: Decimal    # the item's score when applicable, else 0
    failed: bool         # raises a problem: 不符合, any deduction, a grade below the pass mark
    label: str           # what the result reads as: 符合 / B / 扣1.5分（3处） / 发现3处，少2处，扣4分 / 不适用
    veto_cap: Decimal | None = None   # a failed 一票否决 item: the most its point may score (of 100)


def _grade_for(params: dict, value: Decimal) -> dict:
    for grade in params["grades"]:
        if value >= Decimal(str(grade["min"])):
            return grade
    return params["grades"][-1]


def evaluate(kind: str, params: dict, score, answer: dict) -> Outcome:
    """Points earned by one answer. Raises RuleError (Chinese) for an answer the rule can't take."""
    outcome = _evaluate(kind, params, Decimal(str(score)), answer)
    if outcome.failed and params.get("veto") is not None:
        return Outcome(outcome.applicable, outcome.earned, outcome.possible, True, outcome.label,
                       veto_cap=Decimal(str(params["veto"]["cap"])))
    return outcome


def _deducted(score: Decimal, amount: Decimal, params: dict) -> tuple[Decimal, bool]:
    """(points deducted, whether the rule's 最多扣N分 stopped it): never more than the item's
    score (扣完为止), nor than the cap."""
    most = Decimal(str(params["max"])) if params.get("max") is not None else None
    if most is not None and amount > most and most < score:
        return most, True
    return min(score, amount), False


def _evaluate(kind: str, params: dict, score: Decimal, answer: dict) -> Outcome:
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
        count = _number(answer["count"], "发现的数量", minimum=Decimal(0), maximum=Decimal(MAX_DEDUCTION_COUNT))
        if count != count.to_integral_value():
            raise RuleError("发现的数量应为整数")
        deducted, capped = _deducted(score, Decimal(str(params["per"])) * count, params)
        earned = (score - deducted).quantize(TWO, ROUND_HALF_UP)
        capped_note = f"，最多扣{params['max']}分" if capped else ""
        label = "无扣分" if count == 0 else f"扣{_plain(deducted)}分（{int(count)}{params['unit']}{capped_note}）"
        return Outcome(True, earned, score, count > 0, label)
    if kind == "threshold":
        if answer.get("count") in (None, ""):
            raise RuleError(f"请填写实有数量（{params['unit']}）")
        found = _number(answer["count"], "实有数量", minimum=Decimal(0), maximum=Decimal(MAX_COUNT))
        if found != found.to_integral_value():
            raise RuleError("实有数量应为整数")
        short = max(0, params["min"] - int(found))
        deducted, _ = _deducted(score, Decimal(str(params["per_short"])) * short, params)
        earned = (score - deducted).quantize(TWO, ROUND_HALF_UP)
        unit = params["unit"]
        label = (f"发现{int(found)}{unit}，达标" if not short
                 else f"发现{int(found)}{unit}，少{short}{unit}，扣{_plain(deducted)}分")
        return Outcome(True, earned, score, short > 0, label)
    raise RuleError("未知的计分方式")


# --- a point's total -----------------------------------------------------------------------------

@dataclass(frozen=True)
class PointTotal:
    earned: Decimal            # the point's earned points, cut by a veto
    possible: Decimal          # its applicable points
    score: Decimal | None      # earned / possible × 100 (None when nothing applied), at most the veto's cap
    items_earned: Decimal      # what the items earned between them, before any veto
    veto_cap: Decimal | None   # the lowest cap of the failed veto items; None when none failed

    @property
    def items_score(self) -> Decimal | None:
        """The score the items made before the veto."""
        return (self.items_earned * 100 / self.possible).quantize(TWO) if self.possible else None


def point_total(outcomes) -> PointTotal:
    """A point's score from its items' outcomes: earned / possible × 100; a failed veto item caps
    the score at its cap (the lowest, when several failed) and the earned points with it."""
    outcomes = list(outcomes)
    earned = sum((outcome.earned for outcome in outcomes), Decimal(0))
    possible = sum((outcome.possible for outcome in outcomes), Decimal(0))
    caps = [outcome.veto_cap for outcome in outcomes if outcome.veto_cap is not None]
    cap = min(caps) if caps else None
    if not possible:
        return PointTotal(earned, possible, None, earned, cap)
    score = (earned * 100 / possible).quantize(TWO)
    kept = earned
    if cap is not None and score > cap:
        score = cap.quantize(TWO)
        kept = (possible * cap / 100).quantize(TWO, ROUND_HALF_UP)
    return PointTotal(kept, possible, score, earned, cap)


def veto_note(vetoes, items_score=None) -> str:
    """The explanation of a veto, "" when there is none: ``vetoes`` are (item name, its result,
    cap) of the failed veto items; ``items_score`` what the items scored before it."""
    vetoes = list(vetoes)
    if not vetoes:
        return ""
    cap = min(Decimal(str(cap)) for _, _, cap in vetoes)
    which = "、".join(f"「{name}」{label}" for name, label, _ in vetoes)
    outcome = "本点位得分按0分计" if cap == 0 else f"本点位得分最高按{_plain(cap)}分计"
    before = f"（各检查项合计得分{items_score}）" if items_score is not None else ""
    return f"一票否决：{which}，{outcome}{before}"


# --- the YAML form -------------------------------------------------------------------------------
#   scoring: {kind: 判定, shares: {符合: 100, 不符合: 0}, veto: {cap: 0}}
#   scoring: {kind: 扣分, per: 1, unit: 处, max: 5}
#   scoring: {kind: 不少于, min: 5, per_short: 2, unit: 处}

_YAML_KEYS = {"verdict": {"shares"}, "grade": {"by", "conditions", "grades", "pass"},
              "deduction": {"per", "unit", "max"}, "threshold": {"min", "per_short", "unit", "max"}}


def from_yaml(block: dict) -> tuple[str, dict]:
    """``scoring:`` block of a YAML file (Chinese labels) → (kind, normalised params)."""
    if not isinstance(block, dict):
        raise RuleError("scoring 应为一个映射")
    kind = KIND_CODES.get(str(block.get("kind", "")).strip())
    if kind is None:
        raise RuleError(f"计分方式（kind）只能是：{KIND_CHOICES}")
    unknown = [str(key) for key in block if key not in _YAML_KEYS[kind] | {"kind", "veto"}]
    if unknown:     # a misspelt key (maxx: 5) would otherwise be dropped without a word
        allowed = "、".join(sorted(_YAML_KEYS[kind] | {"veto"}))
        raise RuleError(f"「{KIND_LABELS[kind]}」的 scoring 不认识 {unknown[0]}（可写：{allowed}）")
    veto = block.get("veto")
    if not (veto is None or isinstance(veto, (bool, dict))):
        raise RuleError("veto 应写成 {cap: 0}（按0分计）或 {cap: 60}（封顶60分）")
    if kind == "verdict":
        shares = block.get("shares") or {}
        if not isinstance(shares, dict):
            raise RuleError("shares 应为「判定: 比例」的映射")
        unknown = [key for key in shares if key not in VERDICT_CODES or key == "不适用"]
        if unknown:
            raise RuleError(f"未知的判定「{unknown[0]}」")
        return kind, normalise(kind, {"shares": {VERDICT_CODES[key]: value for key, value in shares.items()},
                                      "veto": veto})
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
                                      "grades": grades, "pass": block.get("pass"), "veto": veto})
    if block.get("unit") is not None and not isinstance(block["unit"], str):
        raise RuleError("unit 应为量词（文字），如 处")
    return kind, normalise(kind, {key: block.get(key) for key in _YAML_KEYS[kind]} | {"veto": veto})


def to_yaml(kind: str, params: dict) -> dict:
    if kind == "verdict":
        block = {"kind": "判定", "shares": {VERDICT_LABELS[code]: value for code, value in params["shares"].items()}}
    elif kind == "grade":
        block = {"kind": "等级", "by": BY_LABELS[params["by"]]}
        if params["by"] == "conditions":
            block["conditions"] = list(params["conditions"])
        block["grades"] = [dict(grade) for grade in params["grades"]]
        block["pass"] = params["pass"]
    elif kind == "deduction":
        block = {"kind": "扣分", "per": params["per"], "unit": params["unit"]}
    else:
        block = {"kind": "不少于", "min": params["min"], "per_short": params["per_short"], "unit": params["unit"]}
    if params.get("max") is not None:
        block["max"] = params["max"]
    if params.get("veto") is not None:
        block["veto"] = dict(params["veto"])
    return block


# --- the Excel form: one text cell per rule (and one for a grade's conditions, one for the veto) --
#   判定    符合=100%；基本符合=50%；不符合=0%
#   等级    依据=条件；A=100%≥3；B=80%≥2；C=60%≥1；C#=0%≥0；合格=C      (conditions: one per line)
#   扣分    每处扣0.5分          每处扣1分，最多扣5分
#   不少于  不少于5处，每少一处扣2分          不少于5处，每少一处扣2分，最多扣6分
#   一票否决（its own column）    是          是，封顶60分          (blank or 否: none)

_SPLIT = re.compile(r"[；;\n]+")
_GRADE = re.compile(r"^(?P<grade>[^=＝]+)[=＝](?P<share>[\d.]+)%?(?:≥|>=)(?P<min>[\d.]+)%?$")
_UNIT = r"[^\d\s.。，,；;=＝%]{1,4}?"
_MOST = r"(?:[，,；;]?最多扣(?P<max>[\d.]+)分)?"
_DEDUCT = re.compile(rf"^每(?P<unit>{_UNIT})扣(?P<per>[\d.]+)分{_MOST}(?:[，,；;]?扣完为止)?[。.]?$")
_THRESHOLD = re.compile(rf"^不少于(?P<min>[\d.]+)(?P<unit>{_UNIT})[，,；;]?每少(?:一|1)(?P<unit2>{_UNIT})扣"
                        rf"(?P<per>[\d.]+)分{_MOST}(?:[，,；;]?扣完为止)?[。.]?$")
_VETO = re.compile(r"^是(?:[，,；;、\s]*[（(]?(?:封顶|最高|最多得?)?(?P<cap>[\d.]+)分?[)）]?)?$")
VETO_EXAMPLE = "是，或 是，封顶60分（不否决时留空或填“否”）"


def _most_text(params: dict) -> str:
    return f"，最多扣{params['max']}分" if params.get("max") is not None else ""


def to_text(kind: str, params: dict) -> tuple[str, str]:
    """(parameter text, conditions text) for the Excel sheet; the veto is :func:`veto_to_text`."""
    if kind == "verdict":
        return "；".join(f"{VERDICT_LABELS[code]}={value}%" for code, value in params["shares"].items()), ""
    if kind == "grade":
        parts = [f"依据={BY_LABELS[params['by']]}"]
        parts += [f"{g['grade']}={g['share']}%≥{g['min']}" for g in params["grades"]]
        parts.append(f"合格={params['pass']}")
        return "；".join(parts), "\n".join(params.get("conditions", []))
    if kind == "threshold":
        unit = params["unit"]
        return f"不少于{params['min']}{unit}，每少一{unit}扣{params['per_short']}分{_most_text(params)}", ""
    return f"每{params['unit']}扣{params['per']}分{_most_text(params)}", ""


def veto_to_text(params: dict) -> str:
    """The 一票否决 cell: "" (none), 是 (按0分计), 是，封顶60分."""
    veto = params.get("veto")
    if veto is None:
        return ""
    return "是" if veto["cap"] == 0 else f"是，封顶{veto['cap']}分"


def veto_from_text(text: str) -> dict | None:
    """The 一票否决 cell → ``{"cap": …}`` or None; RuleError says how to write it."""
    text = (text or "").strip().replace(" ", "").replace("　", "")
    if text in ("", "否", "无"):
        return None
    match = _VETO.match(text)
    if match is None:
        raise RuleError(f"无法识别「{text}」，一票否决应填：{VETO_EXAMPLE}")
    return _normalise_veto({"cap": match["cap"] or 0})


def from_text(kind_label: str, text: str, conditions: str = "") -> tuple[str, dict]:
    """Parse the sheet's 计分方式 / 计分参数 / 等级条件 cells; RuleError says what is wrong."""
    kind = KIND_CODES.get(kind_label.strip())
    if kind is None:
        raise RuleError(f"计分方式只能是：{KIND_CHOICES}")
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
    compact = "".join(text.split())
    if kind == "threshold":
        match = _THRESHOLD.match(compact)
        if match is None:
            raise RuleError("不少于规则应写成：不少于5处，每少一处扣2分（可加“，最多扣6分”）")
        if match["unit2"] != match["unit"]:
            raise RuleError(f"前后量词不一致：「不少于…{match['unit']}」与「每少一{match['unit2']}」")
        return kind, normalise(kind, {"min": match["min"], "per_short": match["per"], "unit": match["unit"],
                                      "max": match["max"]})
    match = _DEDUCT.match(compact)
    if match is None:
        raise RuleError("扣分规则应写成：每处扣0.5分（可加“，最多扣5分”）")
    return kind, normalise(kind, {"per": match["per"], "unit": match["unit"], "max": match["max"]})


def describe(kind: str, params: dict) -> str:
    """One line a person reads: how the item scores."""
    if kind == "verdict":
        text = "；".join(f"{VERDICT_LABELS[code]}得{value}%" for code, value in params["shares"].items())
    elif kind == "grade":
        unit = "项" if params["by"] == "conditions" else "%"
        lead = "满足条件数" if params["by"] == "conditions" else "比率"
        bands = "，".join(f"{g['grade']}（≥{g['min']}{unit}，得{g['share']}%）" for g in params["grades"])
        text = f"按{lead}评等级：{bands}；{params['pass']}及以上为合格"
    else:
        text = to_text(kind, params)[0] + ("" if params.get("max") is not None else "，扣完为止")
    veto = params.get("veto")
    if veto is not None:
        text += "；一票否决：不合格时本点位得分" + ("按0分计" if veto["cap"] == 0 else f"最高按{veto['cap']}分计")
    return text
