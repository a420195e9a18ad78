"""A questionnaire as data: read from YAML (the built-in one is a file in ``builtin/``) or from an Excel
sheet with one row per question, checked completely — every problem named with its row and column, or
its place in the YAML file — and written out again in the same two forms. Also the rules answers obey:
which questions are asked (skip logic), what an answer must look like, and what it says about each rate.

Excel columns (first sheet, header in row 1) — :data:`COLUMNS`::

    题号 题目 题型 必答 测量比率 选项 评分满分 计为肯定的最低分 显示条件

选项 lists ``A 知道*；B 听说过；C 不知道`` (code, a space, the label; ``*`` marks an option that counts toward
the rate); 显示条件 is ``1:A、B`` (asked only when question 1 was answered A or B); 必答 is 是 or 否.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from wenming.core import importer
from wenming.core.importer import CellInvalid, Column, SheetSpec
from wenming.core.sheets import RowError, SheetError, workbook_bytes
from wenming.standards.formats import dump_yaml, load_yaml

from .models import QuestionKind, Rate

MAX_QUESTIONS = 100
MAX_OPTIONS = 20
MAX_YAML_BYTES = 1024 * 1024
TEXT_ANSWER_MAX = 500
CODE_RE = re.compile(r"^[A-Za-z0-9]{1,20}$")
OPTION_CODE_RE = re.compile(r"^[A-Za-z0-9]{1,5}$")
KIND_BY_LABEL = {label: code for code, label in QuestionKind.choices}
RATE_BY_LABEL = {label: code for code, label in Rate.choices}
COLUMNS = ["题号", "题目", "题型", "必答", "测量比率", "选项", "评分满分", "计为肯定的最低分", "显示条件"]


@dataclass
class QuestionData:
    seq: int
    text: str
    kind: str
    required: bool = True
    rate: str = ""
    options: list[dict] = field(default_factory=list)
    scale: int = 5
    positive_min: int = 4
    show_if: dict = field(default_factory=dict)

    def option_codes(self) -> list[str]:
        return [o["code"] for o in self.options]


@dataclass
class SurveyData:
    code: str = ""
    title: str = ""
    intro: str = ""
    questions: list[QuestionData] = field(default_factory=list)


# --- checking ----------------------------------------------------------------------------------------

def check(data: SurveyData, errors: list[RowError], rows: dict[int, int] | None = None) -> None:
    """Append every problem of ``data`` to ``errors``. ``rows`` maps a question's position to its sheet
    row (Excel); without it the place is named 第N题."""

    def fail(index: int | None, column: str, message: str) -> None:
        if rows is not None and index is not None:
            errors.append(RowError(rows[index], column, message))
        else:
            place = f"第{index + 1}题·{column}" if index is not None else column
            errors.append(RowError(None, place, message))

    if not CODE_RE.match(data.code or ""):
        fail(None, "问卷编号", "问卷编号应为1至20位字母或数字")
    if not (data.title or "").strip() or len(data.title) > 100:
        fail(None, "问卷名称", "请填写问卷名称（不超过100字）")
    if len(data.intro or "") > 2000:
        fail(None, "开头语", "开头语不超过2000字")
    if not data.questions:
        fail(None, "题目", "问卷至少要有一道题")
    if len(data.questions) > MAX_QUESTIONS:
        fail(None, "题目", f"一份问卷最多{MAX_QUESTIONS}道题")
        return
    seen: dict[int, int] = {}
    rates: dict[str, int] = {}
    for index, q in enumerate(data.questions):
        if q.seq in seen:
            fail(index, "题号", f"题号{q.seq}与第{seen[q.seq] + 1}题重复")
        seen.setdefault(q.seq, index)
        if not q.text.strip() or len(q.text) > 300 or "\x00" in q.text:
            fail(index, "题目", "请填写题目（不超过300字）")
        if q.kind not in QuestionKind.values:
            fail(index, "题型", "题型应为单选、多选、评分、是非或填空")
            continue
        if q.rate:
            if q.rate not in Rate.values:
                fail(index, "测量比率", "测量比率应为知晓率、支持率、参与率、满意度之一，或不填")
            elif q.kind in (QuestionKind.TEXT, QuestionKind.MULTIPLE):
                fail(index, "测量比率", f"{QuestionKind(q.kind).label}题不能测量比率，请用单选、是非或评分题")
            elif q.rate in rates:
                fail(index, "测量比率", f"{Rate(q.rate).label}已由第{rates[q.rate] + 1}题测量，每个比率只能由一道题测量")
            else:
                rates[q.rate] = index
        if q.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            codes = [o.get("code") for o in q.options]
            if len(q.options) < 2 or len(q.options) > MAX_OPTIONS:
                fail(index, "选项", f"单选题和多选题应有2至{MAX_OPTIONS}个选项")
            elif len(set(codes)) != len(codes):
                fail(index, "选项", "选项编号重复")
            elif any(not OPTION_CODE_RE.match(str(c or "")) for c in codes):
                fail(index, "选项", "选项编号应为1至5位字母或数字，如 A、B、C")
            elif any(not str(o.get("label") or "").strip() or len(str(o.get("label"))) > 100 for o in q.options):
                fail(index, "选项", "每个选项都要有文字（不超过100字）")
            elif q.rate and rates.get(q.rate) == index and not any(o.get("positive") for o in q.options):
                fail(index, "选项", "测量比率的题目须用*标出计为肯定的选项（如“A 知道*”）")
        elif q.options:
            fail(index, "选项", f"{QuestionKind(q.kind).label}题不填选项")
        if q.kind == QuestionKind.RATING:
            if not 2 <= q.scale <= 10:
                fail(index, "评分满分", "评分满分应为2至10分")
            elif not 1 <= q.positive_min <= q.scale:
                fail(index, "计为肯定的最低分", f"计为肯定的最低分应在1至{q.scale}分之间")
        if q.show_if:
            target = seen.get(q.show_if.get("seq"))
            if target is None or target >= index:
                fail(index, "显示条件", "显示条件只能引用前面的题目")
            else:
                earlier = data.questions[target]
                if earlier.kind not in (QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.YES_NO):
                    fail(index, "显示条件", "显示条件引用的题目应为单选、多选或是非题")
                elif not q.show_if.get("codes") or not set(q.show_if["codes"]) <= set(_codes_of(earlier)):
                    fail(index, "显示条件", f"第{earlier.seq}题没有这些选项：{'、'.join(q.show_if.get('codes') or [])}")


def _codes_of(q) -> list[str]:
    if q.kind == QuestionKind.YES_NO:
        return ["是", "否"]
    return [o["code"] for o in q.options]


# --- YAML --------------------------------------------------------------------------------------------

def _yaml_text(value, place: str, errors: list[RowError]) -> str:
    if value is None:
        return ""
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return str(value)
    errors.append(RowError(None, place, "应为文字"))
    return ""


def read_yaml(data: bytes) -> tuple[SurveyData, list[RowError]]:
    if len(data) > MAX_YAML_BYTES:
        raise SheetError("YAML 文件超过1MB")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise SheetError("YAML 文件须为 UTF-8 编码") from None
    document = load_yaml(text)
    if not isinstance(document, dict) or not isinstance(document.get("questions"), list):
        raise SheetError("YAML 文件应包含 code、title 和 questions（题目列表）")
    errors: list[RowError] = []
    survey = SurveyData(code=_yaml_text(document.get("code"), "code", errors),
                        title=_yaml_text(document.get("title"), "title", errors),
                        intro=_yaml_text(document.get("intro"), "intro", errors))
    for index, raw in enumerate(document["questions"][:MAX_QUESTIONS + 1]):
        place = f"questions 第{index + 1}项"
        if not isinstance(raw, dict):
            errors.append(RowError(None, place, "应为一道题（seq、text、kind …）"))
            continue
        seq = raw.get("seq", index + 1)
        if isinstance(seq, bool) or not isinstance(seq, int) or not 1 <= seq <= 999:
            errors.append(RowError(None, f"{place}·seq", "题号应为1至999的整数"))
            seq = 0
        kind = KIND_BY_LABEL.get(raw.get("kind"), raw.get("kind"))
        rate = RATE_BY_LABEL.get(raw.get("rate"), raw.get("rate")) or ""
        options = raw.get("options") or []
        if not isinstance(options, list) or any(not isinstance(o, dict) for o in options):
            errors.append(RowError(None, f"{place}·options", "选项应为列表，每项含 code、label、positive"))
            options = []
        options = [{"code": str(o.get("code", "")), "label": str(o.get("label", "")),
                    "positive": bool(o.get("positive", False))} for o in options]
        show_if = raw.get("show_if") or {}
        if not isinstance(show_if, dict):
            errors.append(RowError(None, f"{place}·show_if", "显示条件应为 {seq: 题号, codes: [选项]}"))
            show_if = {}
        elif show_if:
            show_if = {"seq": show_if.get("seq"), "codes": [str(c) for c in (show_if.get("codes") or [])]}
        numbers = {}
        for name, default in (("scale", 5), ("positive_min", 4)):
            value = raw.get(name, default)
            if isinstance(value, bool) or not isinstance(value, int):
                errors.append(RowError(None, f"{place}·{name}", "应为整数"))
                value = default
            numbers[name] = value
        survey.questions.append(QuestionData(
            seq=seq, text=_yaml_text(raw.get("text"), f"{place}·text", errors), kind=str(kind or ""),
            required=bool(raw.get("required", True)), rate=str(rate), options=options, show_if=show_if, **numbers))
    check(survey, errors)
    return survey, errors


def to_document(questionnaire) -> dict:
    return {"code": questionnaire.code, "title": questionnaire.title, "intro": questionnaire.intro,
            "questions": [_question_document(q) for q in questionnaire.questions.all()]}


def _question_document(q) -> dict:
    out = {"seq": q.seq, "text": q.text, "kind": QuestionKind(q.kind).label}
    if not q.required:
        out["required"] = False
    if q.rate:
        out["rate"] = Rate(q.rate).label
    if q.options:
        out["options"] = [dict(o) for o in q.options]
    if q.kind == QuestionKind.RATING:
        out["scale"], out["positive_min"] = q.scale, q.positive_min
    if q.show_if:
        out["show_if"] = dict(q.show_if)
    return out


def to_yaml(questionnaire) -> str:
    return dump_yaml(to_document(questionnaire))


# --- Excel -------------------------------------------------------------------------------------------

OPTION_RE = re.compile(r"^\s*([A-Za-z0-9]{1,5})[\s.、．:：]+(.+?)(\*?)\s*$")


def _options(text: str) -> list[dict]:
    out = []
    for part in re.split(r"[；;\n]+", text):
        if not part.strip():
            continue
        match = OPTION_RE.match(part)
        if not match:
            raise CellInvalid(f"选项“{part.strip()}”应写成“编号 文字”，如“A 知道*”（*表示计为肯定）")
        out.append({"code": match.group(1), "label": match.group(2).strip(), "positive": bool(match.group(3))})
    return out


def _show_if(text: str) -> dict:
    match = re.match(r"^\s*(\d{1,3})\s*[:：]\s*(.+)$", text)
    if not match:
        raise CellInvalid("显示条件应写成“题号:选项”，如“1:A、B”")
    codes = [c.strip() for c in re.split(r"[、,，\s]+", match.group(2)) if c.strip()]
    return {"seq": int(match.group(1)), "codes": codes}


def _int(low: int, high: int, label: str):
    def parse(text: str) -> int:
        if not (text.isascii() and text.isdigit()) or not low <= int(text) <= high:
            raise CellInvalid(f"{label}应为{low}至{high}的整数")
        return int(text)
    return parse


def _choice(mapping: dict[str, str], label: str):
    def parse(text: str) -> str:
        if text not in mapping:
            raise CellInvalid(f"{label}应为{'、'.join(mapping)}之一")
        return mapping[text]
    return parse


SHEET = SheetSpec(columns=(
    Column("题号", required=True, blank=False, parse=_int(1, 999, "题号")),
    Column("题目", required=True, blank=False, max_length=300),
    Column("题型", required=True, blank=False, parse=_choice(KIND_BY_LABEL, "题型")),
    Column("必答", parse=_choice({"是": True, "否": False}, "必答"), default=True),
    Column("测量比率", parse=_choice(RATE_BY_LABEL, "测量比率"), default=""),
    Column("选项", max_length=2000, parse=_options, default=[]),
    Column("评分满分", parse=_int(2, 10, "评分满分"), default=5),
    Column("计为肯定的最低分", parse=_int(1, 10, "计为肯定的最低分"), default=4),
    Column("显示条件", parse=_show_if, default={}),
), max_rows=MAX_QUESTIONS, too_many=f"一份问卷最多{MAX_QUESTIONS}道题")


def read_sheet(data: bytes, filename: str, *, code: str, title: str, intro: str = "") -> tuple[SurveyData, list[RowError]]:
    errors: list[RowError] = []
    sheet = importer.read_sheet(data, filename, SHEET, errors)
    survey = SurveyData(code=code, title=title, intro=intro)
    if sheet.refused:
        return survey, errors
    rows: dict[int, int] = {}
    for row in sheet.rows:
        rows[len(survey.questions)] = row.number
        survey.questions.append(QuestionData(
            seq=row["题号"] or 0, text=row.text("题目"), kind=row["题型"] or "", required=row["必答"],
            rate=row["测量比率"] or "", options=row["选项"] or [], scale=row["评分满分"],
            positive_min=row["计为肯定的最低分"], show_if=row["显示条件"] or {}))
    if not sheet.errors:
        check(survey, errors, rows)
    return survey, errors


def sheet_rows(questionnaire) -> list[list]:
    out = []
    for q in questionnaire.questions.all():
        options = "；".join(f"{o['code']} {o['label']}{'*' if o.get('positive') else ''}" for o in q.options)
        show = f"{q.show_if['seq']}:{'、'.join(q.show_if['codes'])}" if q.show_if else ""
        out.append([q.seq, q.text, QuestionKind(q.kind).label, "是" if q.required else "否",
                    Rate(q.rate).label if q.rate else "", options,
                    q.scale if q.kind == QuestionKind.RATING else "",
                    q.positive_min if q.kind == QuestionKind.RATING else "", show])
    return out


def to_sheet(questionnaire) -> bytes:
    return workbook_bytes("问卷题目", COLUMNS, sheet_rows(questionnaire), widths=[6, 50, 8, 6, 10, 50, 8, 10, 12])


# --- answers -----------------------------------------------------------------------------------------

class AnswerInvalid(Exception):
    def __init__(self, errors: dict[str, str]):
        super().__init__("；".join(errors.values()))
        self.errors = errors


def asked(questions, answers: dict) -> list:
    """The questions asked, given the answers so far (a question whose 显示条件 is not met is skipped)."""
    shown = []
    for q in questions:
        if q.show_if:
            given = answers.get(str(q.show_if["seq"]))
            picked = given if isinstance(given, list) else ["是" if given is True else "否" if given is False
                                                            else given]
            if not set(picked) & set(q.show_if["codes"]):
                continue
        shown.append(q)
    return shown


def clean_answers(questions, raw) -> dict[str, object]:
    """The answers as stored ({"1": "A", "2": ["A", "C"], "4": True, "5": 4, "7": "…"}), or AnswerInvalid
    naming each question in Chinese. Answers to questions not asked are refused, not dropped."""
    if not isinstance(raw, dict):
        raise AnswerInvalid({"answers": "答案格式不正确"})
    by_seq = {str(q.seq): q for q in questions}
    errors: dict[str, str] = {}
    unknown = [k for k in raw if str(k) not in by_seq]
    if unknown:
        errors["answers"] = f"问卷中没有第{'、'.join(str(k)[:5] for k in unknown[:5])}题"
        raise AnswerInvalid(errors)
    answers = {str(k): v for k, v in raw.items() if v not in (None, "", [])}
    shown = {str(q.seq) for q in asked(questions, answers)}
    clean: dict[str, object] = {}
    for key, q in by_seq.items():
        value = answers.get(key)
        label = f"第{q.seq}题"
        if key not in shown:
            if value is not None:
                errors[key] = f"{label}按前面的回答不需作答，请清除该题答案"
            continue
        if value is None:
            if q.required:
                errors[key] = f"{label}为必答题"
            continue
        codes = set(q.option_codes()) if hasattr(q, "option_codes") else {o["code"] for o in q.options}
        if q.kind == QuestionKind.SINGLE:
            if not isinstance(value, str) or value not in codes:
                errors[key] = f"{label}请选择一个选项"
                continue
        elif q.kind == QuestionKind.MULTIPLE:
            if not isinstance(value, list) or not value or any(not isinstance(v, str) or v not in codes for v in value) \
                    or len(set(value)) != len(value):
                errors[key] = f"{label}请选择一个或多个选项"
                continue
            value = sorted(value, key=lambda c: [o["code"] for o in q.options].index(c))
        elif q.kind == QuestionKind.RATING:
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= q.scale:
                errors[key] = f"{label}请打1至{q.scale}分"
                continue
        elif q.kind == QuestionKind.YES_NO:
            if not isinstance(value, bool):
                errors[key] = f"{label}请选择“是”或“否”"
                continue
        else:
            if not isinstance(value, str) or len(value) > TEXT_ANSWER_MAX or "\x00" in value:
                errors[key] = f"{label}最多填写{TEXT_ANSWER_MAX}字"
                continue
            value = value.strip()
        clean[key] = value
    if errors:
        raise AnswerInvalid(errors)
    return clean


def positive(q, value) -> bool | None:
    """What an answer says about its question's rate (None: not answered)."""
    if value is None:
        return None
    if q.kind == QuestionKind.SINGLE:
        return any(o["code"] == value and o.get("positive") for o in q.options)
    if q.kind == QuestionKind.RATING:
        return value >= q.positive_min
    if q.kind == QuestionKind.YES_NO:
        return bool(value)
    return None


def outcomes(questions, answers: dict) -> dict[str, bool | None]:
    """Each rate's outcome for one response: True / False, or None when its question was not answered."""
    out: dict[str, bool | None] = {rate: None for rate in Rate.values}
    for q in questions:
        if q.rate:
            out[q.rate] = positive(q, answers.get(str(q.seq)))
    return out


def options_chosen(q, value) -> list[str]:
    """The option codes an answer counts under in the cross-tabs (a rating's score, 是/否)."""
    if value is None or q.kind == QuestionKind.TEXT:
        return []
    if q.kind == QuestionKind.MULTIPLE:
        return list(value)
    if q.kind == QuestionKind.YES_NO:
        return ["是" if value else "否"]
    return [str(value)]
