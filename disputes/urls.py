from django.urls import include, path

from disputes import views

app_name = "disputes"
urlpatterns = [
    path("submit/", views.submit, name="submit"),
    path("submitted/<str:token>/", views.submitted, name="submitted"),
    path("track/", views.track, name="track"),
    path("rate/<str:token>/", views.rate, name="rate"),
    path("staff/walk-in/", views.walk_in, name="walk_in"),
    path("staff/walk-in/<str:tracking_number>/", views.walk_in_done, name="walk_in_done"),
    path("work/", include("disputes.staff.urls")),
]
