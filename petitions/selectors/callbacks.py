"""回访: the petitions awaiting their satisfaction callback."""

from datetime import datetime

from django.db.models import F, FilteredRelation, Prefetch, Q, QuerySet

from core.actors import Actor
from core.types import RequestUser
from petitions.models import Petition, PetitionCallbackAttempt, PetitionDeadline, Petitioner
from petitions.rules import CALLBACK_ROLES, DeadlineKind, Status
from petitions.selectors.visibility import petitions_visible_to


def petition_callback_queue(user: RequestUser | None) -> QuerySet[Petition]:
    """回访: replied petitions awaiting their satisfaction callback that this user may call, the oldest due first.

    Joined to the one open CALLBACK deadline (`callback_due`); each row carries
    its petitioners and this round's attempts.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return Petition.objects.none()
    if Actor.for_user(user).role not in CALLBACK_ROLES:
        return Petition.objects.none()
    open_callback = Q(
        deadlines__kind=DeadlineKind.CALLBACK, deadlines__done_at__isnull=True, deadlines__cancelled_at__isnull=True
    )
    return (
        petitions_visible_to(user)
        .filter(status=Status.REPLIED)
        .annotate(callback=FilteredRelation("deadlines", condition=open_callback))
        .filter(callback__due_at__isnull=False)
        .annotate(callback_due=F("callback__due_at"))
        .select_related("category", "area", "handling_department")
        .prefetch_related(
            Prefetch("petitioners", queryset=Petitioner.objects.order_by("pk")),
            Prefetch(
                "callback_attempts",
                queryset=PetitionCallbackAttempt.objects.select_related("caller").order_by("at", "pk"),
                to_attr="all_attempts",
            ),
        )
        .order_by("callback_due", "pk")
    )


def petition_callback_due(petition: Petition) -> datetime | None:
    """The open callback deadline's due moment, or None."""
    return (
        PetitionDeadline.objects.open()
        .filter(petition=petition, kind=DeadlineKind.CALLBACK)
        .values_list("due_at", flat=True)
        .first()
    )


def unanswered_calls(petition: Petition, *, since: datetime) -> int:
    """The unanswered callback attempts of the round that began at `since` (the written reply)."""
    return PetitionCallbackAttempt.objects.filter(petition=petition, reached=False, at__gte=since).count()


def unanswered_call_times(petition: Petition, *, since: datetime) -> list[datetime]:
    """When the unanswered callback attempts of the round that began at `since` were made, oldest first."""
    calls = PetitionCallbackAttempt.objects.filter(petition=petition, reached=False, at__gte=since)
    return list(calls.order_by("at").values_list("at", flat=True))
