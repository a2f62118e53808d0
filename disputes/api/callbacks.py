"""API: callbacks."""

urlpatterns: list = []
