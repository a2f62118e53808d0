from django.urls import path

from petitions import views

app_name = "petitions"
urlpatterns = [
    path("", views.petition_list, name="list"),
    path("<str:tracking_number>/", views.petition_page, name="petition"),
    path("<str:tracking_number>/letters/<int:pk>/print/", views.letter_print, name="letter_print"),
]
