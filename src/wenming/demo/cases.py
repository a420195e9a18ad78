"""The demo city's problems (问题整改闭环): believable Chinese problems in every state and branch.

Two generators, one entry point (:func:`build_cases`):

* ``small`` (``demo/small.py``) — about 125 problems written THROUGH THE SERVICES by the persona
  accounts on a simulated clock over the past six weeks, the real sweeper running every
  simulated hour.
* ``city`` (``demo/city.py``) — DESIGN.md §10's 1,000,000 problems over three years with their
  timelines, written in batches; each problem's deadline and 督办 ladder by the product's own
  rules (``cases.escalation.sla``, ``cases.escalation.ladder``) on the working calendar (``core.worktime``).

What the problems look like — categories, titles, places, notes, photos, the small demo's
stories — is in ``demo/catalog.py``.
"""

from __future__ import annotations

import time as _time
from dataclasses import dataclass
from datetime import datetime

from wenming.cases.models import (
    NoticeKind,
    Problem,
    ProblemEvent,
    ProblemRequest,
    RequestStatus,
    State,
    SupervisionNotice,
)

from .city import CITY_PROBLEMS, build_city_cases
from .org import DemoOrg, Progress
from .small import build_small_cases


@dataclass
class CasesResult:
    scale: str
    problems: int
    events: int
    states: dict[str, int]
    notices: dict[str, int]
    pending_requests: dict[str, int]
    photos: int = 0
    seconds: float = 0.0

    def summary(self) -> str:
        """One line in Chinese: the problem counts per state and the 督办 documents."""
        per_state = "，".join(f"{label} {self.states.get(value, 0)}" for value, label in State.choices)
        return (f"  问题：{self.problems} 个（{per_state}）；时间线记录 {self.events} 条；"
                f"督办单 {self.notices.get(NoticeKind.NOTICE, 0)} 份，督办函 {self.notices.get(NoticeKind.LETTER, 0)} 份"
                + (f"；照片 {self.photos} 张" if self.photos else ""))


def tally(scale: str, seconds: float = 0.0, photos: int = 0) -> CasesResult:
    """What the database holds now (all problems, not only this build's), but the problems the
    inspections raised: the inspections' summary counts those."""
    from django.db.models import Count

    states = dict(Problem.objects.filter(item_results__isnull=True).order_by().values_list("state")
                  .annotate(n=Count("id")))
    notices = dict(SupervisionNotice.objects.order_by().values_list("kind").annotate(n=Count("id")))
    pending = dict(ProblemRequest.objects.filter(status=RequestStatus.PENDING).order_by().values_list("kind")
                   .annotate(n=Count("id")))
    return CasesResult(scale=scale, problems=sum(states.values()), events=ProblemEvent.objects.count(),
                       states=states, notices=notices, pending_requests=pending, photos=photos, seconds=seconds)


def build_cases(org: DemoOrg, *, scale: str, seed: int, progress: Progress | None = None,
                count: int | None = None, now: datetime | None = None, extra=None) -> CasesResult:
    """Fill the demo city with problems. ``count`` (city scale only) overrides the 1,000,000."""
    progress = progress or Progress()
    started = _time.perf_counter()
    if scale == "city":
        build_city_cases(org, count=CITY_PROBLEMS if count is None else count, seed=seed, progress=progress, now=now)
        return tally(scale, _time.perf_counter() - started)
    photos = build_small_cases(org, seed=seed, progress=progress, end=now, extra=extra)
    return tally(scale, _time.perf_counter() - started, photos=photos)
