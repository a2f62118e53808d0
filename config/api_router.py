from django.urls import path

from disputes.api import views as dispute_views

app_name = "api"
urlpatterns = [
    path("cases/", dispute_views.CaseListApi.as_view(), name="case-list"),
    path("cases/<str:tracking_number>/", dispute_views.CaseDetailApi.as_view(), name="case-detail"),
    path(
        "cases/<str:tracking_number>/transitions/",
        dispute_views.CaseTransitionApi.as_view(),
        name="case-transition",
    ),
]
