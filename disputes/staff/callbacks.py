"""Staff pages: callbacks."""

urlpatterns: list = []
