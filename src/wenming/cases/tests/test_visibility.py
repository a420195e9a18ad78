"""Who sees a problem (cases.policy.problem_filter). How the filter performs at 1,000,000 problems
is measured by `wenming bench ledger` (docs/performance.md), not pinned here as SQL text."""

import pytest

from wenming.cases import selectors
from wenming.cases.intake import services


@pytest.mark.django_db
def test_a_followed_problem_outside_the_unit_is_visible_and_only_to_its_followers(personas, org, intake):
    problem, _ = services.problem_report(actor=personas["office_city"], intake=intake(area=org["street_b1"]))
    handler, other = personas["handler_street_a1"], personas["handler_street_a2"]
    assert not selectors.problems_visible_to(handler).filter(pk=problem.pk).exists()
    problem.followers.add(handler)
    assert list(selectors.problems_visible_to(handler).filter(pk=problem.pk)) == [problem]
    assert not selectors.problems_visible_to(other).filter(pk=problem.pk).exists()
    assert selectors.problem_get(handler, problem.code) == problem
