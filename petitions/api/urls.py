"""The petitions API's routes, mounted under /api/v1/ by config.api_router."""

from django.urls import path

from petitions.api.views import (
    PetitionCallbackApi,
    PetitionDecisionApi,
    PetitionDetailApi,
    PetitionerRevealApi,
    PetitionExtensionApi,
    PetitionLetterApi,
    PetitionListCreateApi,
    PetitionReplyApi,
    PetitionToDisputeApi,
)

urlpatterns = [
    path("petitions/", PetitionListCreateApi.as_view(), name="petition-list"),
    path("petitions/<str:tracking_number>/", PetitionDetailApi.as_view(), name="petition-detail"),
    path("petitions/<str:tracking_number>/decision/", PetitionDecisionApi.as_view(), name="petition-decision"),
    path("petitions/<str:tracking_number>/extension/", PetitionExtensionApi.as_view(), name="petition-extension"),
    path("petitions/<str:tracking_number>/reply/", PetitionReplyApi.as_view(), name="petition-reply"),
    path("petitions/<str:tracking_number>/letters/", PetitionLetterApi.as_view(), name="petition-letters"),
    path("petitions/<str:tracking_number>/to-dispute/", PetitionToDisputeApi.as_view(), name="petition-to-dispute"),
    path(
        "petitions/<str:tracking_number>/petitioners/<int:pk>/reveal/",
        PetitionerRevealApi.as_view(),
        name="petition-petitioner-reveal",
    ),
    path(
        "petitions/<str:tracking_number>/callback-attempts/",
        PetitionCallbackApi.as_view(),
        name="petition-callback-attempts",
    ),
]
