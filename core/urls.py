from django.urls import path

from core import two_factor, views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/two-factor/", two_factor.setup, name="two_factor_setup"),
    path("accounts/two-factor/verify/", two_factor.verify, name="two_factor_verify"),
]
