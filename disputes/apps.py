from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DisputesConfig(AppConfig):
    """矛盾纠纷: the case and its closed loop."""

    name = "disputes"
    verbose_name = _("Disputes")
    # Its entries in the site menu (core.navigation).
    menu = "disputes.navigation.MENU"

    def ready(self) -> None:
        from core import inbox, notifications

        # Inbox items that name a case but no page lead to the case page; a staff SMS copy
        # (STAFF_NOTIFY_SMS) goes to the phone on the staff profile. Core imports no app.
        inbox.use_case_links(case_links)
        notifications.use_staff_phone(staff_phone)


def case_links(dispute_ids: set[int]) -> dict[int, str]:
    """{case id: its staff page} for the inbox, in one query."""
    from django.urls import reverse

    from disputes.models import Dispute

    rows = Dispute.objects.filter(pk__in=dispute_ids).values_list("pk", "tracking_number")
    return {pk: reverse("disputes:case", kwargs={"tracking_number": number}) for pk, number in rows}


def staff_phone(user_id: int) -> str:
    """The phone on a staff member's profile ("" without one)."""
    from grids.models import StaffProfile

    return StaffProfile.objects.filter(user_id=user_id).values_list("phone", flat=True).first() or ""
