"""口径说明: every dashboard figure, its numerator, denominator and the date that puts a case in the period.

The text is `disputes.statistics.DEFINITIONS`, the one place the figures are defined in words: this
page, the dashboard API's "definition" field and docs/figures.md read it (a test keeps the file in step).
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from disputes.dashboard import selectors
from disputes.statistics import DEFINITIONS


@login_required
@require_GET
def definitions(request):
    """The figures' definitions, for those who read the dashboard (supervisors and administrators)."""
    if selectors.dashboard_home_area(request.user) is None:
        raise PermissionDenied
    return render(request, "disputes/staff/definitions.html", {"definitions": DEFINITIONS})


# Before the dashboard's own patterns: dashboard/definitions/ is not an area code.
urlpatterns = [path("dashboard/definitions/", definitions, name="dashboard_definitions")]
