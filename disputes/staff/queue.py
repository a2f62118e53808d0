"""Staff pages: queue."""

urlpatterns: list = []
