from django.urls import path

from petitions import views

app_name = "petitions"
urlpatterns = [
    path("", views.petition_list, name="list"),
    # Before "<tracking_number>/": "callbacks" is not a tracking number.
    path("callbacks/", views.callback_queue, name="callbacks"),
    path("<str:tracking_number>/", views.petition_page, name="petition"),
    path("<str:tracking_number>/callback/", views.callback_record, name="callback_record"),
    path("<str:tracking_number>/petitioners/<int:pk>/reveal/", views.petitioner_reveal, name="petitioner_reveal"),
    path("<str:tracking_number>/letters/<int:pk>/print/", views.letter_print, name="letter_print"),
]
