"""督办单 / 督办函: numbered per issuing office, kind and year.

The number (发文字号) is written as GB/T 9704-2012 §7.2.4 asks: the issuing office's 机关代字, the
kind's word, the year in full in 〔〕 and the sequence number without 第 or leading zeros, then 号 —
``江创城督〔2026〕3号`` for the city office's third 督办单 of 2026, ``东创城督函〔2026〕1号`` for a
district office's first 督办函. The 代字 is set per office (org.doccodes), so two offices never
write the same number."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from wenming.core.dates import chinese_datetime
from wenming.org.doccodes import claim_doc_code
from wenming.org.models import Membership, Patronage, Role, Unit

from ..models import NoticeCounter, NoticeKind, Problem, SupervisionNotice

# the word after the 机关代字 that tells a 督办单 from a 督办函
KIND_WORD = {NoticeKind.NOTICE: "督", NoticeKind.LETTER: "督函"}


def issuing_office(unit: Unit) -> Unit:
    """The nearest unit at or above ``unit`` that has an office (创建办) — it signs the notice."""
    ids = list(reversed(unit.ancestor_ids() + [unit.pk]))
    with_office = set(Membership.objects.filter(unit_id__in=ids, role=Role.OFFICE, is_active=True)
                      .values_list("unit_id", flat=True))
    for unit_id in ids[1:] + ids[:1]:  # prefer an office above the unit itself
        if unit_id in with_office:
            return Unit.objects.get(pk=unit_id)
    return Unit.objects.get(pk=ids[-1])


def notice_number(doc_code: str, kind: str, year: int, seq: int) -> str:
    """``江创城督〔2026〕3号``: the 文号 of the ``seq``-th notice of ``kind`` in ``year``."""
    return f"{doc_code}{KIND_WORD[kind]}〔{year}〕{seq}号"


def next_number(issuer: Unit, kind: str, year: int) -> tuple[int, str]:
    """The issuer's next sequence number of ``kind`` in ``year`` (the counter row is locked until
    the caller's transaction ends) and the 文号 it makes with the issuer's 机关代字."""
    counter, _ = NoticeCounter.objects.select_for_update().get_or_create(issuer=issuer, kind=kind, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last, notice_number(claim_doc_code(issuer), kind, year, counter.last)


def issue(problem: Problem, kind: str, deadline: datetime, now: datetime | None = None) -> SupervisionNotice:
    """Issue a notice to the problem's unit (the caller holds the problem's lock)."""
    now = now or timezone.now()
    unit = problem.unit
    issuer = issuing_office(unit)
    year = timezone.localtime(now).year
    seq, number = next_number(issuer, kind, year)
    addressees = [unit.name]
    if kind == NoticeKind.LETTER:
        if unit.head_name:
            addressees = [f"{unit.name}（{unit.head_name}同志）"]
        patrons = Patronage.objects.filter(target_unit_id__in=unit.ancestor_ids() + [unit.pk], is_active=True,
                                           patron_user__isnull=False).select_related("patron_user")
        addressees += [f"包保领导{p.patron_user.display_name}同志" for p in patrons]
    place = problem.address or problem.area.name
    first = problem.deadline and chinese_datetime(problem.deadline)
    body = (
        f"{'、'.join(addressees)}：\n"
        f"    经查，交由你单位整改的问题“{problem.title}”（编号{problem.code}，位于{place}，"
        f"类别：{problem.category}）已超过整改期限（{first}），至今未整改到位。"
        f"{'此前已下发督办单，仍未整改到位。' if kind == NoticeKind.LETTER else ''}\n"
        f"    请你单位高度重视，于{chinese_datetime(deadline)}前整改完毕，"
        f"并将整改情况（附整改前后对比照片）通过平台报送{issuer.name}创建办复核。"
        f"{'逾期仍未整改到位的，将在全市通报批评，并纳入年度考核。' if kind == NoticeKind.LETTER else '逾期仍未整改到位的，将下发督办函。'}"
    )
    return SupervisionNotice.objects.create(problem=problem, kind=kind, issuer=issuer, year=year, seq=seq,
                                            number=number, unit=unit, addressees="、".join(addressees),
                                            missed_deadline=problem.overdue_at or problem.deadline, deadline=deadline, issued_at=now, body=body)


def issue_for_task(assignment, kind: str, deadline: datetime, missed: datetime,
                   now: datetime | None = None) -> SupervisionNotice:
    """Issue a notice to a responsible unit for its part in a work-plan task past its 完成时限 (the caller
    holds the assignment's lock). ``missed``: the deadline the unit missed (the task's, or the last notice's)."""
    now = now or timezone.now()
    task, unit = assignment.task, assignment.unit
    issuer = issuing_office(unit)
    year = timezone.localtime(now).year
    seq, number = next_number(issuer, kind, year)
    addressees = [unit.name]
    if kind == NoticeKind.LETTER and unit.head_name:
        addressees = [f"{unit.name}（{unit.head_name}同志）"]
    target = f"，目标{task.target_text}" if task.target_text else ""
    body = (
        f"{'、'.join(addressees)}：\n"
        f"    《{task.plan.title}》第{task.seq}项任务“{task.content}”（完成时限：{chinese_datetime(missed)}{target}）"
        f"由你单位负责，至今未完成。"
        f"{'此前已下发督办单，仍未完成。' if kind == NoticeKind.LETTER else ''}\n"
        f"    请你单位高度重视，于{chinese_datetime(deadline)}前完成，"
        f"并通过平台报送任务进度和佐证材料，由{issuer.name}创建办审核。"
        f"{'逾期仍未完成的，将在全市通报批评，并纳入年度考核。' if kind == NoticeKind.LETTER else '逾期仍未完成的，将下发督办函。'}"
    )
    return SupervisionNotice.objects.create(task=task, kind=kind, issuer=issuer, year=year, seq=seq, number=number,
                                            unit=unit, addressees="、".join(addressees), missed_deadline=missed,
                                            deadline=deadline, issued_at=now, body=body)
