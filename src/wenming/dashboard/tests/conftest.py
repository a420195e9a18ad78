"""Today's problems of the test city, with the dashboard's figures worked out by hand.

    problem   area / responsible      category   state                    counts as
    D1        甲一社区 / 甲一街道      0201 占道经营  assigned, due in 2 h     new (甲区·甲一), due soon (甲一)
    D2        甲二街道 / 甲二街道      0101 暴露垃圾  rectifying, overdue      overdue (甲二); reported 10 days ago
    D3        甲一街道 / 甲一街道      0201          rectifying, due in 10 d  nothing today; reported 5 days ago
    D4        乙一街道 / 乙一街道      0101          rectifying, overdue      new (乙区·乙一), overdue (乙一)
    D5        甲一街道                 0201          rejected, today          nothing (不予受理)
    D6        甲二街道 / 甲二街道      0101          closed, was overdue      nothing; reported 40 days ago

    督办单 this month: on D2 to 甲二街道 (0101); on D4 to 乙一街道 (0101); last month on D6: not counted.

The city office sees 甲区 new 1, soon 1, overdue 1, notices 1 and 乙区 new 1, overdue 1, notices 1;
by category 0201 new 1 soon 1, 0101 new 1 overdue 2 notices 2. The district-A leader (包保 乙一街道)
sees 甲一街道 new 1 soon 1, 甲二街道 overdue 1 notices 1, and 乙一街道 highlighted: new 1 overdue 1
notices 1. Heat (30 days, by area): 甲区 0201 ×2 (D1, D3), 0101 ×1 (D2); 乙区 0101 ×1 (D4).
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from wenming.cases.models import Category, NoticeKind, Problem, State, SupervisionNotice
from wenming.org.models import Membership, Role, User


def make_problem(code, area, unit, category, *, state, created_days_ago=0, **fields):
    problem = Problem.objects.create(
        code=code, title=f"问题{code}", category=Category.objects.get(code=category), source="inspection",
        area=area, area_path=area.path, unit=unit, unit_path=unit.path if unit else "", address=f"人民路{code}",
        state=state, **fields)
    if created_days_ago:
        Problem.objects.filter(pk=problem.pk).update(created_at=timezone.now() - timedelta(days=created_days_ago))
    return problem


def notice(problem, unit, issuer, issued_at, seq):
    return SupervisionNotice.objects.create(problem=problem, kind=NoticeKind.NOTICE, issuer=issuer, year=issued_at.year,
                                            seq=seq, number=f"督〔{issued_at.year}〕{seq}号", unit=unit,
                                            deadline=issued_at + timedelta(days=3), issued_at=issued_at, body="请整改")


@pytest.fixture
def today_city(org, personas):
    from wenming.cases.settings.defaults import load

    load()
    now = timezone.now()
    a1, a2, b1, community = org["street_a1"], org["street_a2"], org["street_b1"], org["community_a1"]
    d1 = make_problem("WT2026-900001", community, a1, "0201", state=State.ASSIGNED, deadline=now + timedelta(hours=2),
                      assigned_at=now)
    d2 = make_problem("WT2026-900002", a2, a2, "0101", state=State.RECTIFYING, created_days_ago=10,
                      deadline=now - timedelta(days=2), is_overdue=True, overdue_at=now - timedelta(days=2))
    make_problem("WT2026-900003", a1, a1, "0201", state=State.RECTIFYING, created_days_ago=5,
                 deadline=now + timedelta(days=10))
    d4 = make_problem("WT2026-900004", b1, b1, "0101", state=State.RECTIFYING, deadline=now - timedelta(hours=1),
                      is_overdue=True, overdue_at=now - timedelta(hours=1))
    make_problem("WT2026-900005", a1, None, "0201", state=State.REJECTED)
    d6 = make_problem("WT2026-900006", a2, a2, "0101", state=State.CLOSED, created_days_ago=40, is_overdue=True,
                      closed_at=now - timedelta(days=30))
    month_start = timezone.localtime(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    notice(d2, a2, org["district_a"], max(month_start, now - timedelta(minutes=5)), 1)
    notice(d4, b1, org["district_b"], max(month_start, now - timedelta(minutes=5)), 2)
    notice(d6, a2, org["district_a"], month_start - timedelta(days=2), 3)
    return {"d1": d1, "d2": d2, "d4": d4}


@pytest.fixture
def screen_user(org):
    user = User.objects.create(username="screen_city", full_name="指挥中心大屏")
    user.set_password("Screen2026pass")
    user.save()
    Membership.objects.create(user=user, unit=org["city"], role=Role.SCREEN)
    return user
