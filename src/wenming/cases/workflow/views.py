"""Pages of one problem: its page (timeline, photos, 督办文书, the actions the viewer may take)
and the actions posted from it."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from wenming.core import access
from wenming.core.errors import ServiceError
from wenming.core.photos import PhotoError
from wenming.org.models import Unit, User

from .. import policy, selectors
from ..escalation import sla
from ..models import Problem
from ..notices import selectors as notice_selectors
from ..uploads import photo_transaction, processed_photos, store_photos
from . import routing, services
from .forms import ActionForm
from .machine import BY_ACTION, accepts, arrange


def verifier_named(username: str, problem: Problem) -> User:
    """The account a problem's verification is given to (交办 with a 复核人): an inspector or office
    member over the problem. A missing account and one that may not verify get the same answer,
    so the form does not tell which account names exist; the service checks again against the
    unit the problem is assigned to."""
    verifier = User.objects.filter(policy.verifier_filter(problem), username=str(username).strip()).first()
    if verifier is None:
        raise ServiceError(policy.VERIFIER_REFUSED, field="verifier")
    return verifier


@login_required
@require_GET
def detail(request, code: str):
    problem = selectors.problem_get(request.user, code)
    pending = selectors.problem_pending_request(problem)
    available = services.available_actions(request.user, problem, pending)
    main, rare, open_action = arrange(available)
    context = {
        "problem": problem, "pending": pending, "actions": main, "rare_actions": rare, "open_action": open_action,
        "timeline": selectors.problem_timeline(problem), "photos": selectors.problem_photos(problem),
        "notices": notice_selectors.problem_notices(request.user, problem), "form": ActionForm(),
        "accepts": {t.action: accepts(t) for t in available},
        "show_reporter": policy.may_see_reporter(request.user, problem),
        "show_tracking": policy.may_see_tracking_code(request.user, problem),
        # links the page may show: only where the viewer may follow them
        "may": {"ledger": policy.may_view_ledger(request.user),
                "unit_list": policy.may_view_unit_list(request.user),
                "recurrence_of": policy.may_view_problem(request.user, problem.recurrence_of),
                "merged_into": policy.may_view_problem(request.user, problem.merged_into),
                "duplicate_of": policy.may_view_problem(request.user, problem.duplicate_of)},
    }
    if any(t.action == "assign" for t in available):
        context["verifiers"] = selectors.verifier_choices(request.user, problem)
    if any(t.action in {"assign", "reassign"} for t in available):
        context["suggestion"] = routing.suggest(problem.category, problem.area)
        context["duplicates"] = selectors.duplicates_near(request.user, problem)
    return render(request, "cases/detail.html", context)


@login_required
@require_POST
def act(request, code: str, action: str):
    problem = selectors.problem_get(request.user, code)
    if action not in BY_ACTION:
        access.refuse_not_found(request.user, "cases.action", f"{code} {action}")
    services.require_may_act(request.user, problem, action)  # before anything sent is looked at
    form = ActionForm(request.POST)
    if not form.is_valid():
        for name, errors in form.errors.items():
            label = form.fields[name].label if name in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}：{error}" if label else error)
        return redirect("cases:detail", code=code)
    data = form.cleaned_data
    try:
        processed = processed_photos(request, "photos")
        with photo_transaction() as stored:
            unit = None
            if data["unit"]:
                unit = Unit.objects.filter(code=data["unit"].strip(), is_active=True).first()
                if unit is None or not access.scope_for(request.user).sees_unit(unit):
                    raise ServiceError(f"找不到编码为{data['unit']}的单位，或不在您的范围内")
            keep = None
            if data["keep"]:
                keep = selectors.problems_visible_to(request.user).filter(code=data["keep"].strip()).first()
                if keep is None:
                    raise ServiceError(f"找不到编号为{data['keep']}的问题")
            verifier = verifier_named(data["verifier"], problem) if data["verifier"] else None
            deadline = sla.user_deadline(data["deadline"])  # a date alone: the end of that office day
            photos = store_photos(request, processed, problem.unit or problem.area, stored)
            result = services.perform(actor=request.user, problem=problem, action=action, note=data["note"],
                                      reason=data["reason"], unit=unit, deadline=deadline, keep=keep,
                                      verifier=verifier, photos=photos)
    except (ServiceError, PhotoError) as error:
        messages.error(request, getattr(error, "message", str(error)))
        return redirect("cases:detail", code=code)
    messages.success(request, f"{BY_ACTION[action].label}：已完成")
    if action == "recur":
        return redirect("cases:detail", code=result.code)
    if not selectors.problems_visible_to(request.user).filter(pk=problem.pk).exists():
        return redirect("cases:mine")  # returned to the office, no longer ours
    return redirect("cases:detail", code=code)
