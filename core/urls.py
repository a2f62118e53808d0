from django.urls import path

from core import inbox_views, two_factor, views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/two-factor/", two_factor.setup, name="two_factor_setup"),
    path("accounts/two-factor/verify/", two_factor.verify, name="two_factor_verify"),
    # 收件箱: the staff inbox (core/inbox_views.py).
    path("inbox/", inbox_views.inbox_page, name="inbox"),
    path("inbox/<int:pk>/open/", inbox_views.inbox_open, name="inbox_open"),
    path("inbox/read/", inbox_views.inbox_read, name="inbox_read"),
]
