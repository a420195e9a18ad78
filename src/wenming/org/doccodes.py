"""机关代字: the abbreviation of the issuing office at the head of a document number
(GB/T 9704-2012 §7.2.4, 发文字号 = 机关代字 + 〔年份〕 + 发文顺序号), e.g. 江创城督〔2026〕3号.

* The city office sets each office's code on the unit's edit page or through the unit import:
  1 to 8 Chinese characters, and no two units may hold the same code (:func:`doc_code_error`).
* An office without one gets a derived code — the first character of its name + 创城 (甲区 →
  甲创城), or more of its name when that is taken (江北区 → 江北创城 next to 江城市's 江创城) —
  and its unit page says that a code should be set (:func:`effective_doc_code`).
* A code that has been put on an issued document stays that unit's for good
  (:class:`~wenming.org.models.DocCodeClaim`, :func:`claim_doc_code`): another unit may neither
  set it nor derive it, even after the first unit changed its code. With the numbers running per
  issuing office, kind and year, two offices therefore never write the same document number.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from wenming.core.errors import ServiceError

from .models import DocCodeClaim, Membership, Role, Unit

DOC_CODE_MAX = 8
DERIVED_SUFFIX = "创城"
# CJK Unified Ideographs and Extension A: Chinese characters only, no digits, letters or punctuation
_DOC_CODE = re.compile(r"^[\u3400-\u4dbf\u4e00-\u9fff]{1,%d}$" % DOC_CODE_MAX)
DOC_CODE_FORMAT_MESSAGE = f"机关代字应为1至{DOC_CODE_MAX}个汉字（如“江创城”），不能含数字、字母、空格或标点"


@dataclass(frozen=True)
class EffectiveDocCode:
    """The code an office's next document carries. ``derived``: the office has not set one (or
    the one it set is already used on another unit's documents, ``conflict``)."""

    code: str
    derived: bool
    conflict: bool = False


def normalize_doc_code(text: str | None) -> str:
    """The code as stored: white space (full-width too) around it removed; inside it, it is refused."""
    return (text or "").strip()


def doc_code_error(code: str, *, unit: Unit | None, viewer_sees=None) -> str | None:
    """The Chinese message why ``code`` (normalised, non-blank) cannot be ``unit``'s 机关代字, or
    None. ``viewer_sees(unit) -> bool`` decides whether the message may name the unit that holds
    it (a unit outside the actor's scope is only "another unit")."""
    if not _DOC_CODE.match(code):
        return DOC_CODE_FORMAT_MESSAGE
    exclude = unit.pk if unit is not None else None
    holder = Unit.objects.filter(doc_code=code).exclude(pk=exclude).only("pk", "name", "path").first()
    if holder is not None:
        return f"机关代字“{code}”已被{_name(holder, viewer_sees)}使用，请换一个"
    claim = DocCodeClaim.objects.filter(code=code).exclude(unit_id=exclude).select_related("unit").first()
    if claim is not None:
        return f"机关代字“{code}”已用于{_name(claim.unit, viewer_sees)}已发的督办文书，不能再用，请换一个"
    return None


def _name(unit: Unit, viewer_sees) -> str:
    return unit.name if viewer_sees is None or viewer_sees(unit) else "其他单位"


def issues_documents(unit: Unit) -> bool:
    """Whether the unit signs documents: it has an office (创建办), or it is a root (the city).
    (cases.notices.services.issuing_office picks the signer among these.)"""
    return unit.parent_id is None or Membership.objects.filter(unit=unit, role=Role.OFFICE, is_active=True).exists()


def _candidates(unit: Unit) -> list[str]:
    """Derived codes in order of preference: 甲创城, 甲北创城, … (up to 8 characters), then one
    made unique by the unit's id."""
    name = "".join(unit.name.split()) or "单位"
    longest = min(len(name), DOC_CODE_MAX - len(DERIVED_SUFFIX))
    return [f"{name[:k]}{DERIVED_SUFFIX}" for k in range(1, longest + 1)] + [f"{name[0]}{DERIVED_SUFFIX}{unit.pk}"]


def _taken(unit: Unit, codes: list[str]) -> set[str]:
    """Which of ``codes`` another unit holds or has used."""
    held = Unit.objects.filter(doc_code__in=codes).exclude(pk=unit.pk).values_list("doc_code", flat=True)
    used = DocCodeClaim.objects.filter(code__in=codes).exclude(unit_id=unit.pk).values_list("code", flat=True)
    return set(held) | set(used)


def effective_doc_code(unit: Unit) -> EffectiveDocCode:
    """The code the unit's next document carries: its own; else the derived code it used last
    (so that a code does not change under an office between two documents); else the first
    derived candidate nobody else holds or has used."""
    mine = list(DocCodeClaim.objects.filter(unit=unit).order_by("-claimed_at", "-id").values_list("code", flat=True))
    candidates = ([unit.doc_code] if unit.doc_code else []) + [c for c in mine if c != unit.doc_code]
    candidates += [c for c in _candidates(unit) if c not in candidates]
    taken = _taken(unit, candidates)
    if unit.doc_code and unit.doc_code not in taken:
        return EffectiveDocCode(unit.doc_code, derived=False)
    derived = next(c for c in candidates[1 if unit.doc_code else 0:] if c not in taken)
    return EffectiveDocCode(derived, derived=True, conflict=bool(unit.doc_code))


def claim_doc_code(unit: Unit) -> str:
    """The code for a document the unit issues now, recorded as the unit's for good. Runs in the
    issuing transaction; two offices deriving the same code at the same moment meet at the unique
    ``code`` (the second waits for the first, then takes the next candidate)."""
    for _ in range(5):
        code = effective_doc_code(unit).code
        try:
            with transaction.atomic():
                claim, _ = DocCodeClaim.objects.get_or_create(code=code, defaults={"unit": unit})
        except IntegrityError:
            continue
        if claim.unit_id == unit.pk:
            return code
    raise ServiceError(f"无法确定{unit.name}的机关代字，请由市创建办为其设置机关代字后重试")
