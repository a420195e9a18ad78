"""The loop's list pages run a fixed number of queries whatever the number of problems."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from wenming.cases.intake import services as intake_services
from wenming.cases.workflow import services


def add(personas, org, intake, start, count):
    for index in range(start, start + count):
        problem, _ = intake_services.problem_report(actor=personas["inspector"], intake=intake(address=f"人民路{index}号"))
        problem = services.problem_assign(actor=personas["office_district_a"], problem=problem, unit=org["street_a1"])
        if index % 2:
            services.problem_sign(actor=personas["handler_street_a1"], problem=problem)


def queries(client, url):
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


@pytest.mark.django_db
def test_list_pages_do_not_grow(login, personas, org, intake):
    pages = [("office_district_a", reverse("cases:ledger")), ("office_district_a", reverse("cases:ledger") + "?state=rectifying"),
             ("office_district_a", reverse("cases:todo")), ("handler_street_a1", reverse("cases:mine")),
             ("inspector", reverse("cases:verify")), ("handler_street_a1", reverse("cases:notifications")),
             ("office_district_a", reverse("home")), ("handler_street_a1", reverse("home"))]
    add(personas, org, intake, 0, 3)
    small = [queries(login(p), url) for p, url in pages]
    add(personas, org, intake, 3, 9)
    large = [queries(login(p), url) for p, url in pages]
    assert small == large
