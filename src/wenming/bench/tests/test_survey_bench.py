"""Smoke test of ``wenming bench survey`` at a tiny size (timings are not asserted), and the bulk builder's
tallies against the responses they count."""

import pytest


@pytest.mark.django_db
def test_survey_workload_at_a_tiny_size():
    from django.db.models import Count, Q

    from wenming.bench.survey import run
    from wenming.surveys.models import Campaign, Response, Tally

    printed: list[str] = []
    line = run(sizes=(100, 700), repeat=2, org_scale="small", out=printed.append)
    assert line == printed[-1] and line.startswith("RESULT survey ")
    values = dict(pair.split("=", 1) for pair in line.split()[2:])
    assert values["responses"] == "100,700" and float(values["ratio"]) > 0
    rates_q = values["rates_q"].split(",")
    assert rates_q[0] == rates_q[1]                                   # no growth with the responses
    campaign = Campaign.objects.get()
    assert campaign.status == "closed" and Response.objects.count() == 700
    # the bulk tallies are what the responses say, community by community
    counted = {row["unit_id"]: row for row in Response.objects.filter(campaign=campaign).values("unit_id").annotate(
        n=Count("id"), aware=Count("id", filter=Q(awareness=True)), asked=Count("id", filter=Q(awareness__isnull=False)))}
    for tally in Tally.objects.filter(campaign=campaign):
        row = counted[tally.unit_id]
        assert (tally.responses, tally.awareness, tally.answered_awareness) == (row["n"], row["aware"], row["asked"])
