"""Masking personal data for display, exports and the audit log: the one implementation (the
template filters ``mask_phone``/``mask_name`` and the ledger export use these).

The audit log is immutable, so what it holds stays forever: ``core.audit.record`` passes every
detail value and the target label through :func:`scrub`, which masks anything shaped like a
mobile number or a 18-character 居民身份证号 (checksum and birth date checked, so that codes
of units and points are left alone). Callers still mask what they know to be personal
(a landline, a name) before recording it: ``scrub`` is the safety net, not the rule."""

from __future__ import annotations

import re
from datetime import date

MOBILE = re.compile(r"(?<!\d)(1[3-9]\d)(\d{4})(\d{4})(?!\d)")
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{6})(\d{8})(\d{3}[0-9Xx])(?![0-9A-Za-z])")
_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_ID_CHECK = "10X98765432"


def mask_phone(value: str) -> str:
    """138****5678 for mobiles; keeps the area code and last 2 digits of landlines."""
    value = (value or "").strip()
    if not value:
        return ""
    digits = value.replace("-", "")
    if len(digits) == 11 and digits.isdigit():
        return f"{digits[:3]}****{digits[-4:]}"
    if len(value) > 4:
        return value[: max(len(value) - 6, 0)] + "****" + value[-2:]
    return "****"


def mask_name(name: str) -> str:
    """王小明 → 王**: the surname stays, every other character is a star (王 → 王*)."""
    name = (name or "").strip()
    if not name:
        return ""
    return name[0] + "*" * max(len(name) - 1, 1)


def is_id_number(value: str) -> bool:
    """An 18-character 居民身份证号: a real birth date and the GB 11643 check character."""
    match = ID_NUMBER.fullmatch(value or "")
    if match is None:
        return False
    birth = match.group(2)
    try:
        born = date(int(birth[:4]), int(birth[4:6]), int(birth[6:]))
    except ValueError:
        return False
    if born.year < 1900:
        return False
    total = sum(int(digit) * weight for digit, weight in zip(value[:17], _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11] == value[17].upper()


def mask_id_number(value: str) -> str:
    """110105********1234 → the first 3 and last 4 characters stay."""
    value = (value or "").strip()
    if len(value) <= 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_text(text: str) -> str:
    """``text`` with every mobile number and 身份证号 in it masked."""
    if not text or not any(ch.isdigit() for ch in text):
        return text
    text = ID_NUMBER.sub(lambda m: mask_id_number(m.group(0)) if is_id_number(m.group(0)) else m.group(0), text)
    return MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)


def scrub(value):
    """``value`` (JSON-like: dicts, lists, strings, numbers) with :func:`mask_text` applied to every
    string and to integers written as 11 or 18 digits."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        masked = mask_text(str(value))
        return value if masked == str(value) else masked
    if isinstance(value, dict):
        return {key: scrub(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [scrub(item) for item in value]
    return value
