"""API: workbench."""

urlpatterns: list = []
