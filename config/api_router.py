from django.urls import include, path

from disputes.api import channels as channel_views
from disputes.api import public as public_views
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
    path(
        "cases/<str:tracking_number>/description/",
        dispute_views.CaseDescriptionApi.as_view(),
        name="case-description",
    ),
    path("cases/<str:tracking_number>/clock/", dispute_views.CaseClockApi.as_view(), name="case-clock"),
    path("cases/<str:tracking_number>/parties/", dispute_views.CasePartyApi.as_view(), name="case-parties"),
    # Without a login: residents' apps and the web form's JavaScript.
    path("public/cases/", public_views.PublicCaseCreateApi.as_view(), name="public-case-create"),
    path("public/track/", public_views.PublicTrackApi.as_view(), name="public-track"),
    path("public/categories/", public_views.PublicCategoryListApi.as_view(), name="public-categories"),
    path("public/areas/", public_views.PublicAreaListApi.as_view(), name="public-areas"),
    # Machine channels (110, 12345, grid workers), with a per-channel API key.
    path("channels/cases/", channel_views.ChannelCaseCreateApi.as_view(), name="channel-case-create"),
    # The workbench: queue, case work, callbacks.
    path("", include("disputes.api.queue")),
    path("", include("disputes.api.workbench")),
    path("", include("disputes.api.duplicates")),
    path("", include("disputes.api.similar")),
    path("", include("disputes.api.scale")),
    path("", include("disputes.api.withdrawal")),
    path("", include("disputes.api.callbacks")),
    path("", include("disputes.api.judicial")),
    path("", include("disputes.api.leader")),
    path("", include("disputes.api.supervision")),
    # 民转刑 / 刑转命 register.
    path("", include("disputes.api.conversions")),
    # Petitions (信访): the staff API.
    path("", include("petitions.api.urls")),
    # 收件箱: every staff member's inbox (core/inbox_api.py).
    path("", include("core.inbox_api")),
    # 仪表盘: the dashboard's figures, tables and drill-down (disputes/dashboard/api.py).
    path("", include("disputes.dashboard.api")),
]
