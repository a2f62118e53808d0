"""回访到人 in the demo: each callback verdict has the parties' answers behind it, so 满意率 by parties has a
denominator, and seeding again adds none."""

import pytest
from django.db.models import Count

from disputes.dashboard import rollups, selectors
from disputes.dashboard.periods import year_period
from disputes.models import CallbackAttempt, Dispute
from disputes.rules.enums import PartyRole
from grids.models import Area
from tests.demo.test_seed_demo import seed

pytestmark = pytest.mark.django_db


def test_the_demo_records_the_parties_answers():
    output = seed(cases=600)
    assert "Callbacks:" in output
    answered = Dispute.objects.filter(callback_result__in=("satisfied", "basically_satisfied", "dissatisfied"))
    attempts = CallbackAttempt.objects.filter(party__isnull=False)
    # Every case with a verdict has its applicant's answer, equal to the verdict.
    for case in answered:
        mine = attempts.filter(dispute=case, party__role=PartyRole.APPLICANT)
        assert [a.satisfaction for a in mine] == [case.callback_result]
    # Some cases have a respondent's answer too: more parties than cases.
    per_case = attempts.values("dispute").annotate(n=Count("pk"))
    assert any(row["n"] == 2 for row in per_case)
    total = attempts.count()
    assert "Callbacks:" not in seed(cases=600) and attempts.count() == total

    rollups.rebuild_all()
    root = Area.objects.get_first_root_node()
    years = {d.reported_at.year for d in answered if d.reported_at}
    figures = [selectors.area_figures(root, year_period(year)) for year in years]
    assert sum(f["parties_reached"] for f in figures) == total
    assert sum(f["parties_reached"] for f in figures) > sum(f["reached"] for f in figures)
