"""督办单 / 督办函: numbered per issuing office, kind and year (督办〔2026〕第15号)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from wenming.org.models import Membership, Patronage, Role, Unit

from ..models import NoticeCounter, NoticeKind, Problem, SupervisionNotice

PREFIX = {NoticeKind.NOTICE: "督办", NoticeKind.LETTER: "督办函"}


def issuing_office(unit: Unit) -> Unit:
    """The nearest unit at or above ``unit`` that has an office (创建办) — it signs the notice."""
    ids = list(reversed(unit.ancestor_ids() + [unit.pk]))
    with_office = set(Membership.objects.filter(unit_id__in=ids, role=Role.OFFICE, is_active=True)
                      .values_list("unit_id", flat=True))
    for unit_id in ids[1:] + ids[:1]:  # prefer an office above the unit itself
        if unit_id in with_office:
            return Unit.objects.get(pk=unit_id)
    return Unit.objects.get(pk=ids[-1])


def next_number(issuer: Unit, kind: str, year: int) -> tuple[int, str]:
    counter, _ = NoticeCounter.objects.select_for_update().get_or_create(issuer=issuer, kind=kind, year=year)
    counter.last += 1
    counter.save(update_fields=["last"])
    return counter.last, f"{PREFIX[kind]}〔{year}〕第{counter.last}号"


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
    local = timezone.localtime
    place = problem.address or problem.area.name
    first = problem.deadline and local(problem.deadline).strftime("%Y年%m月%d日%H:%M")
    body = (
        f"{'、'.join(addressees)}：\n"
        f"    经查，交由你单位整改的问题“{problem.title}”（编号{problem.code}，位于{place}，"
        f"类别：{problem.category}）已超过整改期限（{first}），至今未整改到位。"
        f"{'此前已下发督办单，仍未整改到位。' if kind == NoticeKind.LETTER else ''}\n"
        f"    请你单位高度重视，于{local(deadline).strftime('%Y年%m月%d日%H:%M')}前整改完毕，"
        f"并将整改情况（附整改前后对比照片）通过平台报送{issuer.name}创建办复核。"
        f"{'逾期仍未整改到位的，将在全市通报批评，并纳入年度考核。' if kind == NoticeKind.LETTER else '逾期仍未整改到位的，将下发督办函。'}"
    )
    return SupervisionNotice.objects.create(problem=problem, kind=kind, issuer=issuer, year=year, seq=seq,
                                            number=number, unit=unit, addressees="、".join(addressees),
                                            missed_deadline=problem.overdue_at or problem.deadline, deadline=deadline, issued_at=now, body=body)
