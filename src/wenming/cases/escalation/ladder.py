"""The 督办 ladder, once (DESIGN.md §5): a warning before the deadline; at the deadline the
problem is 逾期 and a 督办单 is issued with a new deadline; that passed, a 督办函; that passed,
the 通报批评 list. Each rung can be disabled, and each document's deadline is ``grace_days``
working days after it is issued.

Pure: plain values in (:class:`LadderState`, :class:`LadderRules`), what is due out
(:class:`Step`), and no database. The sweeper takes the step on the problem it holds
(``cases/escalation/sweeper.py``), ``sla.schedule`` asks :func:`next_due` when to look again, and the city
demo lays out each problem's ladder with :func:`play` (``demo/city.py``).

An approved extension re-bases the ladder (``workflow.services.problem_approve_extension``): the level goes
back to ``NONE`` with the new deadline, so the documents already issued stay on record but no
longer set the pace — :attr:`LadderState.stage_deadline` reads a document's deadline only while
the level is ``NOTICE`` or ``LETTER``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from ..models import Escalation, NoticeKind

DEFAULT_GRACE_DAYS = 2

# the sweeper's actions (also the actions of the timeline events it writes)
WARN, OVERDUE, BULLETIN = "warn", "overdue", "bulletin"
NOTICE, LETTER = NoticeKind.NOTICE.value, NoticeKind.LETTER.value


@dataclass(frozen=True)
class Rung:
    enabled: bool = True
    grace_days: int = DEFAULT_GRACE_DAYS


@dataclass(frozen=True)
class LadderRules:
    """The office's ladder (``EscalationStep`` rows; a missing row is an enabled rung of
    ``DEFAULT_GRACE_DAYS``) and the working calendar its deadlines are counted on."""

    add_working_days: Callable[[datetime, int], datetime]
    notice: Rung = Rung()
    letter: Rung = Rung()
    bulletin: Rung = Rung()

    @classmethod
    def from_steps(cls, steps: Iterable, add_working_days: Callable[[datetime, int], datetime]) -> LadderRules:
        """``steps``: objects with ``level``, ``enabled`` and ``grace_days`` (``EscalationStep``)."""
        rungs = {step.level: Rung(enabled=bool(step.enabled), grace_days=int(step.grace_days)) for step in steps}
        return cls(add_working_days=add_working_days, notice=rungs.get(Escalation.NOTICE, Rung()),
                   letter=rungs.get(Escalation.LETTER, Rung()), bulletin=rungs.get(Escalation.BULLETIN, Rung()))


@dataclass(frozen=True)
class LadderState:
    """What the ladder needs to know of a problem."""

    running: bool                             # its clock runs: 已交办 or 整改中
    deadline: datetime | None                 # the problem's deadline
    escalation: int = Escalation.NONE
    warn_at: datetime | None = None           # when to warn (``warn_time``); None: no warning
    notice_deadline: datetime | None = None   # the deadline of the latest 督办单/督办函, if any
    paused: bool = False                      # a 申请退回 waits for the office: the clock waits too

    @property
    def stage_deadline(self) -> datetime | None:
        """The deadline now running: the latest document's while one sets the pace, else the problem's."""
        if self.escalation in (Escalation.NOTICE, Escalation.LETTER) and self.notice_deadline is not None:
            return self.notice_deadline
        return self.deadline


@dataclass(frozen=True)
class Step:
    """What is due. ``kind`` is the sweeper's action — ``warn``, ``overdue`` (逾期 with the 督办单
    disabled), ``notice`` (逾期 and a 督办单), ``letter``, ``bulletin`` — or None when the level
    only moves past disabled rungs."""

    kind: str | None
    due_at: datetime                         # when it fell due: the warning time, the deadline, a document's
    escalation: int                          # the level after the step
    overdue_at: datetime | None = None       # the step makes the problem 逾期: the deadline it missed
    deadline: datetime | None = None         # the new document's deadline (notice, letter)

    @property
    def issues(self) -> bool:
        return self.kind in (NOTICE, LETTER)

    def applied_to(self, state: LadderState) -> LadderState:
        """The state after the step."""
        return replace(state, escalation=self.escalation,
                       notice_deadline=self.deadline if self.issues else state.notice_deadline)


def warn_time(assigned_at: datetime | None, deadline: datetime | None, warn_hours: float, *,
              hours_between: Callable[[datetime, datetime], float],
              add_hours: Callable[[datetime, float], datetime]) -> datetime | None:
    """When ``warn_hours`` of office time remain before the deadline; None when the whole time
    given is no longer than that (no warning then)."""
    if deadline is None or assigned_at is None:
        return None
    total = hours_between(assigned_at, deadline)
    if total <= warn_hours:
        return None
    return add_hours(assigned_at, total - warn_hours)


def next_step(state: LadderState, now: datetime, rules: LadderRules) -> Step | None:
    """The step due at ``now``, or None. One step at a time: after it, ask again (the 督办单
    disabled, 逾期 is one step and the 督办函 the next)."""
    deadline = state.deadline
    if not state.running or deadline is None:
        return None
    level = state.escalation
    if level == Escalation.NONE and now < deadline:
        if state.warn_at is not None and state.warn_at <= now:
            return Step(WARN, state.warn_at, Escalation.WARNED)
        return None
    if level < Escalation.NOTICE and now >= deadline:
        if rules.notice.enabled:
            return Step(NOTICE, deadline, Escalation.NOTICE, overdue_at=deadline,
                        deadline=rules.add_working_days(now, rules.notice.grace_days))
        return Step(OVERDUE, deadline, Escalation.NOTICE, overdue_at=deadline)
    stage = state.stage_deadline
    if stage is None or now < stage:
        return None
    if level == Escalation.NOTICE:
        if rules.letter.enabled:
            return Step(LETTER, stage, Escalation.LETTER, deadline=rules.add_working_days(now, rules.letter.grace_days))
        level = Escalation.LETTER  # no 督办函: straight on to the 通报批评 list
    if level == Escalation.LETTER and rules.bulletin.enabled:
        return Step(BULLETIN, stage, Escalation.BULLETIN)
    if level != state.escalation:
        return Step(None, stage, level)
    return None


def next_due(state: LadderState, now: datetime) -> datetime | None:
    """When the sweeper must next look at the problem (``now`` itself when the warning is due
    already); None while the clock stops and once the ladder has ended."""
    deadline = state.deadline
    if not state.running or deadline is None or state.paused or state.escalation == Escalation.BULLETIN:
        return None
    if state.escalation == Escalation.NONE:
        warning = state.warn_at
        if warning is not None and warning <= now < deadline:
            return now
        return warning if warning is not None and warning > now else deadline
    return state.stage_deadline


@dataclass(frozen=True)
class Stretch:
    """A stretch of time while the problem's clock ran, with the deadline and warning time in force."""

    start: datetime
    end: datetime
    deadline: datetime
    warn_at: datetime | None = None


def play(stretches: Iterable[Stretch], rules: LadderRules, *, escalation: int = Escalation.NONE,
         notice_deadline: datetime | None = None,
         lag: Callable[[], timedelta] = timedelta) -> Iterator[tuple[datetime, Step]]:
    """The steps the sweeper takes while the clock runs through ``stretches`` (in order), each
    at the moment it falls due — later by ``lag()`` (the sweeper's interval), unless that would
    leave the stretch. As ``wenming sweep``: a step is taken, then :func:`next_due` says when to
    look again; nothing due then means nothing until the next stretch (a new action)."""
    state = LadderState(running=True, deadline=None, escalation=escalation, notice_deadline=notice_deadline)
    for stretch in stretches:
        state = replace(state, deadline=stretch.deadline, warn_at=stretch.warn_at)
        looked = stretch.start
        while True:
            due = next_due(state, looked)
            if due is None:
                break
            at = max(due, looked)
            if at >= stretch.end:
                break
            later = at + lag()
            at = later if later < stretch.end else at
            step = next_step(state, at, rules)
            if step is None:
                break
            yield at, step
            state = step.applied_to(state)
            looked = at
