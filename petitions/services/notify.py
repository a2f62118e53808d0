"""Who is told about a petition, and the staff messages they get (queued through the notification outbox)."""

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.urls import reverse

from core.models import Notification
from grids.roles import nearest_supervisors
from petitions.models import Petition

# At most this many people of one department or level are told (a department is a handful of staff).
MAX_RECIPIENTS = 20


def _active_users() -> QuerySet[Any]:
    return get_user_model().objects.filter(is_active=True).order_by("pk")


def department_staff(department_id: int) -> list[Any]:
    """The active staff of a department, at most MAX_RECIPIENTS."""
    return list(_active_users().filter(staff__department_id=department_id)[:MAX_RECIPIENTS])


def handlers_of(petition: Petition, cache: dict[Any, Any] | None = None) -> list[Any]:
    """Who is reminded: the handling department (the receiving office before acceptance) and the leader in charge.

    `cache` keeps a department's staff across the petitions of one sweep.
    """
    department_id = petition.handling_department_id or petition.receiving_office_id
    cache = {} if cache is None else cache
    key = ("department", department_id)
    if key not in cache:
        cache[key] = department_staff(department_id)
    users = list(cache[key])
    leader = petition.leader_user
    if leader is not None and leader.is_active and leader not in users:
        users.append(leader)
    return users


def supervisors_over(petition: Petition, cache: dict[Any, Any] | None = None) -> list[Any]:
    """The supervisors of the petition's area: the nearest level that has any (`cache`: per sweep)."""
    cache = {} if cache is None else cache
    key = ("supervisors", petition.area_path)
    if key not in cache:
        cache[key] = nearest_supervisors(petition.area_path, limit=MAX_RECIPIENTS)
    return list(cache[key])


def petition_url(petition: Petition) -> str:
    return reverse("petitions:petition", kwargs={"tracking_number": petition.tracking_number})


def staff_message(user: Any, kind: str, body: str, petition: Petition | None = None) -> Notification:
    """An unsaved staff notification (sent with `core.notifications.notify_staff_many`); its inbox item
    leads to the petition's page when one is given."""
    return Notification(
        channel=Notification.Channel.STAFF,
        recipient_user=user,
        kind=kind,
        body=body,
        link=petition_url(petition) if petition is not None else "",
    )
