"""The 督办 ladder as a pure function: each rung, disabled rungs, an extension's re-base, when to
look next, and the ladder played over the stretches a problem's clock ran. No database."""

from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from wenming.cases.escalation.ladder import (
    LadderRules,
    LadderState,
    Rung,
    Step,
    Stretch,
    next_due,
    next_step,
    play,
    warn_time,
)
from wenming.cases.models import Escalation
from wenming.core import worktime

SH = ZoneInfo("Asia/Shanghai")
S = worktime.Schedule()
add_days = partial(worktime.add_working_days, schedule=S)


def at(m, d, hh=0, mm=0):
    return datetime(2026, m, d, hh, mm, tzinfo=SH)


def rules(notice=Rung(), letter=Rung(), bulletin=Rung()):
    return LadderRules(add_working_days=add_days, notice=notice, letter=letter, bulletin=bulletin)


# Tuesday 3-10 09:00 assigned with 3 working days: deadline Friday 3-13 17:30, warned 4 working hours before
ASSIGNED, DEADLINE, WARN_AT = at(3, 10, 9), at(3, 13, 17, 30), at(3, 13, 11, 30)
FRESH = LadderState(running=True, deadline=DEADLINE, warn_at=WARN_AT)


def test_warn_time_is_the_office_hours_before_the_deadline():
    kw = {"hours_between": partial(worktime.working_hours_between, schedule=S),
          "add_hours": partial(worktime.add_working_hours, schedule=S)}
    assert warn_time(ASSIGNED, DEADLINE, 4, **kw) == WARN_AT
    assert warn_time(at(3, 13, 14), DEADLINE, 4, **kw) is None      # 3.5 h given: no warning
    assert warn_time(at(3, 13, 13), DEADLINE, 3.5, **kw) is None    # exactly the lead: none either
    assert warn_time(None, DEADLINE, 4, **kw) is None and warn_time(ASSIGNED, None, 4, **kw) is None


def test_warning_falls_due_at_its_time_and_only_before_the_deadline():
    assert next_step(FRESH, at(3, 13, 11, 29), rules()) is None
    step = next_step(FRESH, WARN_AT, rules())
    assert step == Step("warn", WARN_AT, Escalation.WARNED)
    assert step.overdue_at is None and step.deadline is None and not step.issues
    # no warning time (a short deadline): nothing until the deadline
    assert next_step(LadderState(running=True, deadline=DEADLINE), at(3, 13, 17, 29), rules()) is None


def test_overdue_issues_a_notice_with_grace_working_days():
    for state in (FRESH, LadderState(running=True, deadline=DEADLINE, escalation=Escalation.WARNED)):
        step = next_step(state, at(3, 13, 17, 31), rules(notice=Rung(grace_days=3)))
        # Friday 17:31 + 3 working days: Monday, Tuesday, Wednesday 3-18 17:30
        assert step == Step("notice", DEADLINE, Escalation.NOTICE, overdue_at=DEADLINE, deadline=at(3, 18, 17, 30))
        assert step.issues
    # the warning never came (the clock stopped across its time): overdue all the same, never a late warning
    assert next_step(FRESH, at(3, 16, 9), rules()).kind == "notice"


def test_overdue_without_notice_then_the_letter_at_once():
    r = rules(notice=Rung(enabled=False), letter=Rung(grace_days=1))
    now = at(3, 13, 17, 31)
    step = next_step(FRESH, now, r)
    assert step == Step("overdue", DEADLINE, Escalation.NOTICE, overdue_at=DEADLINE)
    state = step.applied_to(FRESH)
    assert state.escalation == Escalation.NOTICE and state.stage_deadline == DEADLINE
    assert next_due(state, now) == DEADLINE  # due again at once: the next sweep
    letter = next_step(state, now + timedelta(minutes=1), r)
    assert letter == Step("letter", DEADLINE, Escalation.LETTER, deadline=at(3, 16, 17, 30))


def test_letter_then_bulletin_on_the_documents_deadlines():
    noticed = LadderState(running=True, deadline=DEADLINE, escalation=Escalation.NOTICE,
                          notice_deadline=at(3, 17, 17, 30))
    assert next_step(noticed, at(3, 17, 17, 29), rules()) is None
    letter = next_step(noticed, at(3, 17, 17, 31), rules(letter=Rung(grace_days=5)))
    assert letter == Step("letter", at(3, 17, 17, 30), Escalation.LETTER, deadline=at(3, 24, 17, 30))
    lettered = letter.applied_to(noticed)
    assert lettered.notice_deadline == at(3, 24, 17, 30) == next_due(lettered, at(3, 18))
    assert next_step(lettered, at(3, 24, 17), rules()) is None
    bulletin = next_step(lettered, at(3, 24, 17, 30), rules())
    assert bulletin == Step("bulletin", at(3, 24, 17, 30), Escalation.BULLETIN)
    ended = bulletin.applied_to(lettered)
    assert next_step(ended, at(12, 31), rules()) is None and next_due(ended, at(3, 25)) is None


def test_disabled_rungs_are_passed_over():
    noticed = LadderState(running=True, deadline=DEADLINE, escalation=Escalation.NOTICE,
                          notice_deadline=at(3, 17, 17, 30))
    later = at(3, 18, 9)
    # no 督办函: the 通报批评 list when the 督办单's deadline passes
    assert next_step(noticed, later, rules(letter=Rung(enabled=False))) == \
        Step("bulletin", at(3, 17, 17, 30), Escalation.BULLETIN)
    # neither: the level moves past them, nothing is issued, and nothing follows
    silent = next_step(noticed, later, rules(letter=Rung(enabled=False), bulletin=Rung(enabled=False)))
    assert silent == Step(None, at(3, 17, 17, 30), Escalation.LETTER)
    assert next_step(silent.applied_to(noticed), later, rules(letter=Rung(enabled=False),
                                                              bulletin=Rung(enabled=False))) is None
    # no 通报批评: the 督办函 is the last rung
    lettered = LadderState(running=True, deadline=DEADLINE, escalation=Escalation.LETTER,
                           notice_deadline=at(3, 17, 17, 30))
    assert next_step(lettered, later, rules(bulletin=Rung(enabled=False))) is None
    # no rung at all: 逾期 only
    none = rules(notice=Rung(enabled=False), letter=Rung(enabled=False), bulletin=Rung(enabled=False))
    overdue = next_step(FRESH, later, none)
    assert overdue.kind == "overdue" and next_step(overdue.applied_to(FRESH), later, none) == \
        Step(None, DEADLINE, Escalation.LETTER)


def test_an_approved_extension_rebases_the_ladder():
    # a 督办单 was issued (deadline 3-17); the extension to 3-27 resets the level, keeps the document on record
    new_deadline = at(3, 27, 17, 30)
    rebased = LadderState(running=True, deadline=new_deadline, escalation=Escalation.NONE,
                          warn_at=at(3, 27, 11, 30), notice_deadline=at(3, 17, 17, 30))
    assert rebased.stage_deadline == new_deadline
    assert next_step(rebased, at(3, 18, 9), rules()) is None          # the old document no longer sets the pace
    assert next_due(rebased, at(3, 18, 9)) == at(3, 27, 11, 30)
    assert next_step(rebased, at(3, 27, 11, 30), rules()).kind == "warn"
    step = next_step(replace(rebased, escalation=Escalation.WARNED), at(3, 27, 17, 31), rules())
    assert step == Step("notice", new_deadline, Escalation.NOTICE, overdue_at=new_deadline, deadline=at(3, 31, 17, 30))


def test_only_a_running_clock_moves_the_ladder():
    for state in (LadderState(running=False, deadline=DEADLINE, warn_at=WARN_AT),
                  LadderState(running=True, deadline=None)):
        assert next_step(state, at(4, 30), rules()) is None and next_due(state, at(3, 10)) is None
    # a pending 申请退回 pauses the watch; the step itself is not refused
    paused = LadderState(running=True, deadline=DEADLINE, warn_at=WARN_AT, paused=True)
    assert next_due(paused, at(3, 10)) is None


def test_next_due():
    assert next_due(FRESH, ASSIGNED) == WARN_AT
    assert next_due(FRESH, at(3, 13, 12)) == at(3, 13, 12)             # the warning is due already
    assert next_due(FRESH, at(3, 13, 18)) == DEADLINE                   # past the deadline: the deadline
    assert next_due(LadderState(running=True, deadline=DEADLINE), ASSIGNED) == DEADLINE
    warned = LadderState(running=True, deadline=DEADLINE, escalation=Escalation.WARNED, warn_at=WARN_AT)
    assert next_due(warned, at(3, 13, 12)) == DEADLINE
    noticed = LadderState(running=True, deadline=DEADLINE, escalation=Escalation.NOTICE,
                          notice_deadline=at(3, 17, 17, 30))
    assert next_due(noticed, at(3, 14)) == at(3, 17, 17, 30)


def test_rules_from_the_office_rows():
    r = LadderRules.from_steps([SimpleNamespace(level=Escalation.LETTER, enabled=False, grace_days=5),
                                SimpleNamespace(level=Escalation.NOTICE, enabled=True, grace_days=1)], add_days)
    assert r.notice == Rung(True, 1) and r.letter == Rung(False, 5) and r.bulletin == Rung(True, 2)
    assert LadderRules.from_steps([], add_days) == LadderRules(add_working_days=add_days)


def test_play_over_the_stretches_the_clock_ran():
    # assigned Tuesday 09:00; submitted Monday 3-16 10:00 (after the deadline); sent back Tuesday 3-17 09:00
    # with a new deadline Thursday 3-19 17:30; still open Friday 3-27
    first = Stretch(ASSIGNED, at(3, 16, 10), DEADLINE, WARN_AT)
    rework = Stretch(at(3, 17, 9), at(3, 27, 12), at(3, 19, 17, 30), at(3, 19, 11, 30))
    steps = list(play([first, rework], rules(), lag=lambda: timedelta(seconds=90)))
    assert [(s.kind, t) for t, s in steps] == [
        ("warn", WARN_AT + timedelta(seconds=90)),
        ("notice", DEADLINE + timedelta(seconds=90)),
        # the clock stopped before the 督办单's deadline (3-17 17:30); it runs again from 3-17 09:00
        ("letter", at(3, 17, 17, 30) + timedelta(seconds=90)),
        ("bulletin", at(3, 19, 17, 30) + timedelta(seconds=90)),
    ]
    assert steps[1][1].deadline == at(3, 17, 17, 30) and steps[2][1].deadline == at(3, 19, 17, 30)
    # cut before the deadline: the warning only; a lag that would leave the stretch is not taken
    cut = list(play([Stretch(ASSIGNED, WARN_AT + timedelta(minutes=1), DEADLINE, WARN_AT)], rules(),
                    lag=lambda: timedelta(minutes=5)))
    assert [(s.kind, t) for t, s in cut] == [("warn", WARN_AT)]
    # nothing runs past a stretch's end
    assert list(play([Stretch(ASSIGNED, WARN_AT, DEADLINE, WARN_AT)], rules())) == []
