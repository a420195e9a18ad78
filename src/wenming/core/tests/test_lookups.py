"""``literal_in``: the values written into the SQL (so SQLite can match a partial index), and only
plain identifiers accepted."""

import pytest

from wenming.org.models import Unit


def test_the_values_are_written_into_the_sql():
    sql, params = Unit.objects.filter(kind__literal_in=["district", "street"]).query.sql_with_params()
    assert """"org_unit"."kind" IN ('district', 'street')""" in sql and params == ()


@pytest.mark.parametrize("values", [[], ["a'b"], ["x OR 1=1"], [1]])
def test_anything_but_plain_identifiers_is_refused(values):
    with pytest.raises(ValueError):
        str(Unit.objects.filter(kind__literal_in=values).query)


@pytest.mark.django_db
def test_it_selects_what_in_selects(org):
    assert sorted(Unit.objects.filter(kind__literal_in=["district", "city"]).values_list("name", flat=True)) == \
        sorted(Unit.objects.filter(kind__in=["district", "city"]).values_list("name", flat=True))
    assert Unit.objects.filter(kind__literal_in=["district"]).count() == 2
