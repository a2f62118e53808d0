"""The staff workbench pages, under the disputes namespace (e.g. `disputes:queue`)."""

from disputes.staff import callbacks, case, dashboard, queue, scale, similar

urlpatterns = [
    *queue.urlpatterns,
    *case.urlpatterns,
    *scale.urlpatterns,
    *similar.urlpatterns,
    *callbacks.urlpatterns,
    *dashboard.urlpatterns,
]
