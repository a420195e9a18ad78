"""Appending to a problem's timeline: the one writer of ``ProblemEvent`` rows for the services
(intake, workflow actions, the sweeper). Each event is linked into the timeline's hash chain
(``cases.timeline``) before it is inserted, in the caller's transaction."""

from __future__ import annotations

from django.utils import timezone

from . import timeline
from .intake import sql
from .metrics import daily
from .metrics.figures import EXCLUDED_STATES
from .models import Problem, ProblemEvent, ProblemPhoto, ProblemVersion


def attach_photos(problem: Problem, photos, phase: str) -> None:
    ProblemPhoto.objects.bulk_create([ProblemPhoto(problem=problem, photo=photo, phase=phase) for photo in photos])


def record(problem: Problem, actor, role: str, action: str, from_state: str, to_state: str, note: str = "",
           photos=(), data: dict | None = None) -> ProblemEvent:
    event = ProblemEvent(problem=problem, action=action, actor=actor, actor_role=role or "", at=timezone.now(),
                         from_state=from_state, to_state=to_state, note=note or "", data=data or {})
    timeline.link([event], [[photo.pk for photo in photos]])  # the hash covers the photos too
    sql.insert(event)
    if photos:
        event.photos.add(*photos)  # a new event has none: no need for set()'s read of those it has
    write_version(problem, event.at)
    if from_state and (from_state in EXCLUDED_STATES) != (to_state in EXCLUDED_STATES):
        daily.mark(problem.created_at)  # the day's stored counts no longer hold
    return event


def write_version(problem: Problem, at) -> None:
    """Close the problem's open version at ``at`` and open one with its fields now (in memory: the
    caller has set them). Problems never assigned count nowhere and get none (so intake pays nothing)."""
    if problem.assigned_at is None:
        return
    ProblemVersion.objects.filter(problem_id=problem.pk, valid_to__isnull=True).update(valid_to=at)
    sql.insert(ProblemVersion.of(problem, at))


def system_event(problem: Problem, action: str, note: str, data: dict | None = None) -> ProblemEvent:
    """A step the sweeper takes (warning, overdue, 督办): no actor."""
    return record(problem, None, "system", action, problem.state, problem.state, note, data=data)
