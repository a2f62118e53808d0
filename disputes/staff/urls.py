"""The staff workbench pages, under the disputes namespace (e.g. `disputes:queue`)."""

from disputes.staff import (
    bigscreen,
    callbacks,
    case,
    conversions,
    dashboard,
    definitions,
    drilldown,
    ledger,
    queue,
    ranking_notice,
    supervision,
    withdrawals,
)

urlpatterns = [
    *queue.urlpatterns,
    *case.urlpatterns,
    *callbacks.urlpatterns,
    *bigscreen.urlpatterns,  # before the dashboard's: dashboard/screen/ is not an area code
    *definitions.urlpatterns,  # before the dashboard's too: dashboard/definitions/
    *dashboard.urlpatterns,
    *ledger.urlpatterns,
    *drilldown.urlpatterns,
    *withdrawals.urlpatterns,
    *supervision.urlpatterns,
    *conversions.urlpatterns,
    *ranking_notice.urlpatterns,
]
