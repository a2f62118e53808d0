from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Notifications and records")
    # Its entry in the site menu: the staff inbox (core.navigation).
    menu = "core.navigation.MENU"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.db.models import fields
        from django.utils.translation import gettext_lazy

        from core import notifications, tasks
        from core.security import stamp_activity_at_login

        user_logged_in.connect(stamp_activity_at_login, dispatch_uid="core.security.stamp_activity_at_login")
        # The outbox queues deliveries with the task that calls back into it (no import cycle).
        notifications.use_delivery_task(tasks.deliver_notification)
        # Every select's empty choice (model forms, the admin, filters) in the site's words: Django's own
        # "- Select an option -" has no Chinese in Django's catalogue, so it showed in English.
        fields.BLANK_CHOICE_LABEL = gettext_lazy("Choose…")
        # The libraries' models in the site's words (core.labels): they are named in English only.
        from core.labels import apply_library_labels

        apply_library_labels()
