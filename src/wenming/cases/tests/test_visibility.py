"""Who sees a problem (core.access.problem_filter), and the SQL the filter is written as."""

import pytest
from django.db import connection

from wenming.cases import selectors, services


@pytest.mark.django_db
def test_a_followed_problem_outside_the_unit_is_visible_and_only_to_its_followers(personas, org, intake):
    problem, _ = services.problem_report(actor=personas["office_city"], intake=intake(area=org["street_b1"]))
    handler, other = personas["handler_street_a1"], personas["handler_street_a2"]
    assert not selectors.problems_visible_to(handler).filter(pk=problem.pk).exists()
    problem.followers.add(handler)
    assert list(selectors.problems_visible_to(handler).filter(pk=problem.pk)) == [problem]
    assert not selectors.problems_visible_to(other).filter(pk=problem.pk).exists()
    assert selectors.problem_get(handler, problem.code) == problem


@pytest.mark.django_db
def test_the_followed_branch_is_written_so_the_database_can_combine_indexes(personas):
    sql = str(selectors.problems_visible_to(personas["handler_street_a1"]).query)
    if connection.vendor == "postgresql":
        # computed once (an InitPlan) and usable in a BitmapOr, not a hashed subplan run per row
        assert "= ANY(ARRAY(SELECT" in sql and " IN (SELECT" not in sql
    else:
        assert " IN (SELECT" in sql and "EXISTS" not in sql
