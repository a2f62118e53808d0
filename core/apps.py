from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from core.security import stamp_activity_at_login

        user_logged_in.connect(stamp_activity_at_login, dispatch_uid="core.security.stamp_activity_at_login")
