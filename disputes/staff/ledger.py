"""台账: the case ledger of an area and period as a streamed XLSX or CSV, for supervisors and administrators.

Every case registered in the period in the area and below, one row each, with the
fields a centre keeps in its ledger (`disputes.dashboard.ledger`). Jurisdiction as on
the dashboard: an area outside the reader's answers 404, a reader without a dashboard
403. Parties are masked on every row the reader does not handle. The export is
recorded in the personal data access log (one row per file).
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.urls import path
from django.utils import timezone
from django.views.decorators.http import require_GET

from core.models import PersonalDataAccess
from core.replica import reporting_reads
from disputes.dashboard import exports, selectors
from disputes.dashboard import ledger as ledger_rows
from disputes.dashboard.periods import PeriodForm

FORMATS = ("csv", "xlsx")


@login_required
@require_GET
def ledger(request, code: str, fmt: str):
    if fmt not in FORMATS:
        raise Http404
    if selectors.dashboard_home_area(request.user) is None:
        raise PermissionDenied
    with reporting_reads():
        area = selectors.dashboard_area(request.user, code)
        period = PeriodForm(request.GET or None).period()
        rows = ledger_rows.ledger_rows(request.user, area, period)
    sheet = exports.Sheet(
        key="ledger",
        title=str(exports.SHEET_NAMES["ledger"]),
        area=area.display_name,
        period=exports.period_label(period),
        as_of=timezone.now(),  # read from the cases themselves, not the rollups
        columns=ledger_rows.ledger_columns(),
        rows=rows,
        widths=ledger_rows.ledger_widths(),
    )
    PersonalDataAccess.objects.create(
        user=request.user,
        action=PersonalDataAccess.Action.EXPORT,
        what="dispute.ledger",
        case_ref=f"{area.code} {period.slug}"[:40],
        detail={"area": area.code, "period": period.query(), "format": fmt, "in_clear": "cases handled only"},
    )
    filename = exports.file_name(area.display_name, period, sheet.name)
    return exports.response(sheet, fmt, filename, fallback=f"{area.code}_{period.slug}_ledger")


urlpatterns = [
    path("dashboard/<str:code>/ledger.<str:fmt>", ledger, name="dashboard_ledger"),
]
