from django.urls import path

from disputes.api import views as dispute_views

app_name = "api"
urlpatterns = [
    path("dispatch-queue/", dispute_views.DispatchQueueApi.as_view(), name="dispatch-queue"),
    path("cases/", dispute_views.CaseListApi.as_view(), name="case-list"),
    path("cases/<str:tracking_number>/", dispute_views.CaseDetailApi.as_view(), name="case-detail"),
    path(
        "cases/<str:tracking_number>/transitions/",
        dispute_views.CaseTransitionApi.as_view(),
        name="case-transition",
    ),
    path("cases/<str:tracking_number>/colour/", dispute_views.CaseColourApi.as_view(), name="case-colour"),
    path("cases/<str:tracking_number>/assistance/", dispute_views.CaseAssistanceApi.as_view(), name="case-assistance"),
    path("cases/<str:tracking_number>/notes/", dispute_views.CaseNoteApi.as_view(), name="case-notes"),
    path("cases/<str:tracking_number>/clock/", dispute_views.CaseClockApi.as_view(), name="case-clock"),
    path("cases/<str:tracking_number>/parties/", dispute_views.CasePartyApi.as_view(), name="case-parties"),
]
