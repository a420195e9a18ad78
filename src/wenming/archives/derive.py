"""Material requirements read from a 材料审核 check item's own words: which materials it names (成立文件,
工作制度 → 规范文件; 活动记录 → 活动记录; 名册, 汇总表 → 统计表格; 会议记录 → 会议纪要; 总结性材料 → 情况说明;
标牌 → 实景图片), how many ("不少于8次", "三种及以上") and over which years ("当年", "前两年度").

Pure functions of the text: :func:`derive` gives the drafts the office then reviews and edits."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .models import DEFAULT_SOURCES, MaterialType

# the phrases that name a material, by type; the longest found first, so 工作制度 is not read again as 制度
PHRASES = {
    MaterialType.DOCUMENT: ["成立文件", "工作制度", "管理制度", "责任制度", "学习制度", "教育培训制度", "帮扶制度",
                            "长效管理制度", "投诉处理制度", "巡查制度", "民主监督制度", "制度", "责任书", "工作方案",
                            "创建计划", "服务计划", "活动计划"],
    MaterialType.MINUTES: ["会议记录", "会议纪要", "学习记录", "会议和活动记录"],
    MaterialType.RECORD: ["活动记录", "工作记录", "原始记录", "巡查记录", "处理记录", "调解记录", "沟通的记录",
                          "相关记录", "记录材料", "记录"],
    MaterialType.TABLE: ["成员名册", "师资队伍名册", "志愿者名册", "帮扶名册", "监护名册", "管理名册", "名册", "汇总表",
                         "台账", "档案资料"],
    MaterialType.STATEMENT: ["总结性材料", "工作总结", "材料说明", "情况说明", "人际关系资料", "总结"],
    MaterialType.PHOTO: ["标牌", "明显标志", "宣传栏", "展板"],
}
ORDER = [MaterialType.DOCUMENT, MaterialType.MINUTES, MaterialType.RECORD, MaterialType.TABLE,
         MaterialType.STATEMENT, MaterialType.PHOTO]
NUMERALS = {"一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}
NUMBER = r"(\d{1,3}|[一二两三四五六七八九十]{1,3})"
COUNT = re.compile(rf"不少于{NUMBER}[次份篇期场]")
KINDS = re.compile(rf"[（(]?{NUMBER}种及以上[）)]?")
FREQUENCY = re.compile(r"每[^，,。；]{0,8}不少于")   # 每小时巡查不少于2次: a rate, not a number of materials
SPAN = re.compile(rf"[前近]{NUMBER}(?:个)?年度?")
CURRENT_YEAR = ("当年", "本年度", "年度内")
SENTENCE = re.compile(r"[^。；;！!？?]+[。；;！!？?]?")


def number(text: str) -> int:
    if text.isdigit():
        return int(text)
    if text.startswith("十"):
        return 10 + NUMERALS.get(text[1:], 0)
    if "十" in text:
        tens, _, ones = text.partition("十")
        return NUMERALS[tens] * 10 + NUMERALS.get(ones, 0)
    return NUMERALS[text]


@dataclass
class Draft:
    code: str
    title: str
    material_type: str
    description: str
    min_count: int = 1
    years: int = 1
    auto_sources: list[str] = field(default_factory=list)


def _found(sentence: str) -> dict[str, list[str]]:
    """The material phrases of one sentence, by type, each text span read once (longest phrase first)."""
    phrases = sorted(((p, t) for t, ps in PHRASES.items() for p in ps), key=lambda pt: -len(pt[0]))
    rest, found = sentence, {}
    for phrase, kind in phrases:
        if phrase in rest:
            found.setdefault(kind, [])
            if phrase not in found[kind]:
                found[kind].append(phrase)
            rest = rest.replace(phrase, "＿" * len(phrase))
    return found


def derive(code: str, name: str, content: str, rule: str = "") -> list[Draft]:
    """The drafts one check item's text gives, one per kind of material it names (at least one: a 情况说明)."""
    by_kind: dict[str, dict] = {}
    for sentence in SENTENCE.findall(f"{content}。{rule}"):
        sentence = sentence.strip()
        if not sentence.strip("。；;"):
            continue
        for kind, phrases in _found(sentence).items():
            entry = by_kind.setdefault(kind, {"phrases": [], "sentences": [], "count": 1, "years": None})
            entry["phrases"] += [p for p in phrases if p not in entry["phrases"]]
            if sentence not in entry["sentences"]:
                entry["sentences"].append(sentence)
            counted = kind in (MaterialType.RECORD, MaterialType.MINUTES, MaterialType.PHOTO)
            if counted and (match := COUNT.search(sentence)) and not FREQUENCY.search(sentence):
                entry["count"] = max(entry["count"], number(match.group(1)))
            elif counted and (match := KINDS.search(sentence)):
                entry["count"] = max(entry["count"], number(match.group(1)))
            if match := SPAN.search(sentence):
                entry["years"] = max(entry["years"] or 0, number(match.group(1)))
            elif any(word in sentence for word in CURRENT_YEAR):
                entry["years"] = entry["years"] or 1
    if not by_kind:
        by_kind[MaterialType.STATEMENT] = {"phrases": ["情况说明"], "sentences": [content.strip()], "count": 1,
                                           "years": None}
    drafts = []
    for kind in ORDER:
        if kind not in by_kind:
            continue
        entry = by_kind[kind]
        standing = kind in (MaterialType.DOCUMENT, MaterialType.TABLE, MaterialType.PHOTO)
        # a regulation or a register stands until replaced; records count over the years the text names
        years = 0 if standing else (entry["years"] or 1)
        phrases = [p for p in entry["phrases"] if not any(p != q and p in q for q in entry["phrases"])]
        title = f"{name}：{'、'.join(phrases)}"
        drafts.append(Draft(code=f"{code}-{len(drafts) + 1}", title=title[:100], material_type=kind,
                            description="".join(entry["sentences"])[:2000], min_count=entry["count"], years=years,
                            auto_sources=[str(s) for s in DEFAULT_SOURCES[kind]]))
    return drafts
