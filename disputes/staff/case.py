"""Staff pages: case."""

urlpatterns: list = []
