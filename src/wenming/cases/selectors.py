"""Reads of one problem and its neighbours, always scoped to the acting user
(cases.policy.problem_filter). The lists of problems are in ``ledger.selectors``."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from wenming.core import access
from wenming.org.models import Unit

from . import policy
from .intake.services import at_place, box_around, place_of
from .models import (
    OPEN_STATES,
    PhotoPhase,
    Problem,
    ProblemEvent,
    ProblemPhoto,
    ProblemRequest,
    RequestStatus,
)
from .settings import config


def problems_visible_to(user) -> QuerySet[Problem]:
    return Problem.objects.filter(policy.problem_filter(user))


def problem_get(user, code: str) -> Problem:
    problem = (problems_visible_to(user).select_related("category", "category__parent", "unit", "area", "reporter",
                                                        "verifier", "merged_into", "recurrence_of",
                                                        "duplicate_of")
               .filter(code=code).first())
    if problem is None:
        access.refuse_not_found(user, "problem", f"cases.problem:{code}")
    return problem


def problem_timeline(problem: Problem):
    return (ProblemEvent.objects.filter(problem=problem).select_related("actor")
            .prefetch_related("photos").order_by("at", "id"))


def problem_photos(problem: Problem) -> dict[str, list]:
    photos = {PhotoPhase.BEFORE: [], PhotoPhase.AFTER: []}
    for link in ProblemPhoto.objects.filter(problem=problem).select_related("photo"):
        photos[link.phase].append(link.photo)
    return photos


def problem_pending_request(problem: Problem) -> ProblemRequest | None:
    return problem.requests.filter(status=RequestStatus.PENDING).select_related("requested_by").first()


def duplicates_near(user, problem: Problem) -> list[Problem]:
    """Open problems the user sees of the problem's category at its place — the rule of
    ``intake.services.at_place`` with the office's radius, whichever unit their reports named."""
    place = place_of(problem.area, problem.latitude, problem.longitude, problem.address)
    radius = config.snapshot().duplicate_radius_m
    near = Q()
    if place.latitude is not None:
        lat_min, lat_max, lon_min, lon_max = box_around(place.latitude, place.longitude, radius)
        near |= Q(latitude__range=(lat_min, lat_max), longitude__range=(lon_min, lon_max))
    if place.address:
        near |= Q(address=place.address, area_path__startswith=place.scope_path)
    if not near:
        return []
    qs = (problems_visible_to(user).filter(near, category_id=problem.category_id, state__in=OPEN_STATES)
          .exclude(pk=problem.pk).select_related("unit", "area").order_by("-id"))
    return [p for p in qs[:200] if at_place(p, place, radius)][:20]


def unread_count(user) -> int:
    return user.notifications.filter(read_at__isnull=True).count()




def verifier_choices(user, problem: Problem, limit: int = 50):
    """Accounts the assign form offers as 复核人: those ``policy.verifier_filter`` admits that the
    acting office may see (members of units in his scope)."""
    from wenming.org.models import User

    scope = access.scope_for(user)
    return (User.objects.filter(policy.verifier_filter(problem))
            .filter(memberships__unit__in=Unit.objects.filter(scope.unit_filter()), memberships__is_active=True)
            .distinct().order_by("username")[:limit])


def photo_visible(user, photo) -> bool:
    """A photo of a problem the user sees (a department handling a problem in a street, an
    inspector verifying it, a citizen following it)."""
    return Problem.objects.filter(policy.problem_filter(user), photos__photo=photo).exists()


def place_problems(user, matches) -> dict[str, list[dict]]:
    """What the reporter is told before he submits (``intake.services.open_problems_near``): the
    open problems at the place and the ones closed there within the recurrence window — code,
    title, state, address and when closed, nothing personal; ``may_open`` only where the viewer
    may open the problem."""
    ids = [c.pk for c in matches.open[:10]] + [c.pk for c in matches.closed[:5]]
    found = {p.pk: p for p in Problem.objects.filter(pk__in=ids).only("code", "title", "state", "address", "closed_at")}
    visible = policy.visible_problem_ids(user, set(found))

    def row(pk):
        p = found[pk]
        return {"code": p.code, "title": p.title, "state": p.state, "state_label": p.get_state_display(),
                "address": p.address, "closed_at": p.closed_at, "may_open": pk in visible}

    return {"open": [row(c.pk) for c in matches.open[:10] if c.pk in found],
            "closed": [row(c.pk) for c in matches.closed[:5] if c.pk in found]}
