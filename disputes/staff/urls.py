"""The staff workbench pages, under the disputes namespace (e.g. `disputes:queue`)."""

from disputes.staff import callbacks, case, dashboard, queue, supervision, withdrawals

urlpatterns = [
    *queue.urlpatterns,
    *case.urlpatterns,
    *callbacks.urlpatterns,
    *dashboard.urlpatterns,
    *withdrawals.urlpatterns,
    *supervision.urlpatterns,
]
