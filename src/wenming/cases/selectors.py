"""Reads of one problem and its neighbours, always scoped to the acting user
(cases.policy.problem_filter). The lists of problems are in ``ledger.selectors``."""

from __future__ import annotations

from django.db.models import QuerySet

from wenming.core import access
from wenming.org.models import Unit

from . import policy
from .intake.services import distance_m
from .models import (
    OPEN_STATES,
    Category,
    PhotoPhase,
    Problem,
    ProblemEvent,
    ProblemPhoto,
    ProblemRequest,
    RequestStatus,
)


def problems_visible_to(user) -> QuerySet[Problem]:
    return Problem.objects.filter(policy.problem_filter(user))


def problem_get(user, code: str) -> Problem:
    problem = (problems_visible_to(user).select_related("category", "category__parent", "unit", "area", "reporter",
                                                        "verifier", "merged_into", "recurrence_of")
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


def duplicates_near(user, *, category: Category, area: Unit, latitude=None, longitude=None, address: str = "",
                    exclude_pk: int | None = None, radius_m: float = 50) -> list[Problem]:
    """Open problems of the same category at the same place: same address, or within the radius."""
    qs = (problems_visible_to(user).filter(category=category, state__in=OPEN_STATES)
          .exclude(pk=exclude_pk).select_related("unit", "area"))
    if latitude is not None:
        # a coarse box first (about 0.001° ≈ 100 m), then the exact distance
        box = max(radius_m / 90_000, 0.0005)
        near = qs.filter(latitude__range=(float(latitude) - box, float(latitude) + box),
                         longitude__range=(float(longitude) - box, float(longitude) + box))
        found = [p for p in near[:200] if distance_m(latitude, longitude, p.latitude, p.longitude) <= radius_m]
    else:
        found = []
    if address.strip():
        found += [p for p in qs.filter(address=address.strip())[:20] if p not in found]
    return found[:20]


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
