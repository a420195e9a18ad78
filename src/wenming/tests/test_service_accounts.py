"""An API token's service account is the integration's, not a person's: offices cannot manage it
(roles, password, enabling) on the account pages, it cannot log in to the pages, and it is never
offered or accepted as a problem's 复核人. Its scope is set on the token page only."""

import pytest
from django.contrib.auth import authenticate

from wenming.cases import policy
from wenming.core import services_tokens
from wenming.org import selectors as org_selectors
from wenming.org.models import User


@pytest.fixture
def token_user(personas, org):
    token, _ = services_tokens.token_create(actor=personas["office_city"], name="12345热线", unit=org["district_a"],
                                            role="inspector", permissions=["problems.read"])
    return token.user


@pytest.mark.django_db
@pytest.mark.parametrize("office", ["office_city", "office_district_a"])
def test_offices_cannot_manage_a_token_account(personas, token_user, office):
    assert not org_selectors.users_manageable_by(personas[office]).filter(pk=token_user.pk).exists()
    assert org_selectors.users_manageable_by(personas[office]).filter(username="handler_street_a1").exists()


@pytest.mark.django_db
def test_a_token_account_cannot_log_in_even_with_a_password(token_user, personas):
    User.objects.filter(pk=token_user.pk).update(password=personas["citizen"].password)  # "Wenming…" hash
    from django.test import RequestFactory

    from wenming.conftest import PASSWORD

    request = RequestFactory().post("/login/")
    assert authenticate(request, username=token_user.username, password=PASSWORD) is None
    assert authenticate(request, username="citizen", password=PASSWORD) == personas["citizen"]


@pytest.mark.django_db
def test_a_token_account_is_never_a_verifier(token_user, personas, org):
    from wenming.cases.intake import services
    from wenming.cases.models import Category
    from wenming.cases.settings.defaults import load

    load()
    problem, _ = services.problem_report(actor=personas["citizen"], intake=services.Intake(
        title="占道经营", category=Category.objects.get(code="0201"), area=org["street_a1"], address="人民路1号"))
    assert not policy.may_verify(token_user, problem)
    assert policy.may_verify(personas["inspector"], problem)
