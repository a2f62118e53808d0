from django.urls import path

from grids import views

app_name = "grids"
urlpatterns = [
    path("areas/<int:pk>/children.json", views.area_children, name="area_children"),
    path("places/", views.places, name="places"),
    path("places/<str:code>/poster/", views.place_poster, name="place_poster"),
    path("places/<str:code>/qr.svg", views.place_qr, name="place_qr"),
    path("departments/<int:pk>/poster/", views.department_poster, name="department_poster"),
    path("departments/<int:pk>/qr.svg", views.department_qr, name="department_qr"),
]
