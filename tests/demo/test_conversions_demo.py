"""民转刑 / 刑转命 in the demo: a few conversions in 西湖区, this year and last, most of last year's reviewed."""

import pytest
from django.utils import timezone

from disputes.dashboard.conversions import conversion_counts
from disputes.dashboard.periods import year_period
from disputes.models import CriminalConversion
from grids.models import Area
from tests.demo.test_seed_demo import seed

pytestmark = pytest.mark.django_db


def test_the_demo_has_disputes_turned_criminal():
    output = seed(cases=600)

    rows = list(CriminalConversion.objects.select_related("dispute"))
    assert rows and "Disputes turned criminal:" in output
    xihu = Area.objects.get(code="360103")
    for row in rows:
        assert row.area_path == row.dispute.area_path and row.area_path.startswith(xihu.path)
        assert row.occurred_on >= timezone.localdate(row.dispute.submitted_at)
        assert row.reported_on >= row.occurred_on and row.police_case_number
    assert {row.kind for row in rows} == {"criminal", "homicide"}
    assert any(row.reviewed_at for row in rows)
    counts = conversion_counts(xihu, year_period(timezone.localdate().year))
    assert counts.criminal + counts.homicide > 0
    again = seed(cases=600)
    assert "Disputes turned criminal:" not in again and CriminalConversion.objects.count() == len(rows)
