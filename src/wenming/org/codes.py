"""Unit codes.

Administrative units use the division-code scheme: a 6-digit county (区县) code, then 3 digits
for the street/town, 3 for the community/village and 3 for the grid — a 15-digit grid code.
The city itself has its 6-digit code (ending in "00"); a district's code shares the city's first
four digits.

Departments, enterprises and schools are identified by their 18-character unified social credit
code (统一社会信用代码, GB 32100-2015), whose last character is a check character.
"""

from __future__ import annotations

from .models import ADMIN_CODE_LENGTH, UnitKind

CREDIT_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def credit_check_char(first17: str) -> str:
    total = sum(CREDIT_CHARSET.index(ch) * w for ch, w in zip(first17, CREDIT_WEIGHTS, strict=True))
    return CREDIT_CHARSET[(31 - total % 31) % 31]


def make_credit_code(first17: str) -> str:
    return first17 + credit_check_char(first17)


def credit_code_error(code: str) -> str | None:
    if len(code) != 18:
        return "统一社会信用代码应为18位"
    if any(ch not in CREDIT_CHARSET for ch in code):
        return "统一社会信用代码只能包含数字和大写字母（不含I、O、Z、S、V）"
    if credit_check_char(code[:17]) != code[17]:
        return "统一社会信用代码校验位不正确"
    return None


def code_error(code: str, kind: str, parent_code: str | None, parent_kind: str | None) -> str | None:
    """A Chinese message saying what is wrong with ``code`` for a unit of ``kind`` under the
    given parent, or None when it is valid."""
    if not code:
        return "编码不能为空"
    if kind in ADMIN_CODE_LENGTH:
        length = ADMIN_CODE_LENGTH[kind]
        label = UnitKind(kind).label
        if not code.isdigit() or len(code) != length:
            return f"{label}编码应为{length}位数字"
        if kind == UnitKind.CITY and not code.endswith("00"):
            return "市级编码应以00结尾（如370200）"
        if parent_code and parent_kind in ADMIN_CODE_LENGTH:
            if kind == UnitKind.DISTRICT:
                if code[:4] != parent_code[:4] or code == parent_code:
                    return f"区县编码前4位应与上级编码{parent_code[:4]}一致"
            elif kind == UnitKind.STREET and parent_kind == UnitKind.CITY:
                if code[:4] != parent_code[:4]:
                    return f"街道编码前4位应与上级编码{parent_code[:4]}一致"
            elif not code.startswith(parent_code):
                return f"编码应以上级编码{parent_code}开头"
        return None
    return credit_code_error(code)
