from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    # Its entry in the site menu: the staff inbox (core.navigation).
    menu = "core.navigation.MENU"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from core import notifications, tasks
        from core.security import stamp_activity_at_login

        user_logged_in.connect(stamp_activity_at_login, dispatch_uid="core.security.stamp_activity_at_login")
        # The outbox queues deliveries with the task that calls back into it (no import cycle).
        notifications.use_delivery_task(tasks.deliver_notification)
