"""法定时限: opening and closing a petition's deadlines, as the effects table says."""

from datetime import date, datetime

from django.conf import settings
from django.db.models import Min

from core.casework.effects import ALL, Effect
from petitions import rules
from petitions.models import Petition, PetitionDeadline


def deadline_open(*, petition: Petition, kind: str, now: datetime, start: date | None = None) -> PetitionDeadline:
    """Start a deadline of `kind` at `now` (a statutory period runs from `start`, default today)."""
    due = rules.due_at(kind, now=now, callback_days=settings.CALLBACK_DUE_DAYS, start=start)
    return PetitionDeadline.objects.create(
        petition=petition, kind=kind, due_at=due, escalate_at=rules.first_rung(kind=kind, due=due)
    )


def deadlines_finish(*, petition: Petition, kinds: tuple[str, ...] | str, now: datetime, cancel: bool = False) -> int:
    """Mark the open deadlines of these kinds (or `ALL`) done, or cancelled (closed without being met)."""
    rows = PetitionDeadline.objects.open().filter(petition=petition)
    if kinds != ALL:
        rows = rows.filter(kind__in=list(kinds))
    return rows.update(**({"cancelled_at": now} if cancel else {"done_at": now}), updated_at=now)


def deadlines_apply(*, petition: Petition, effect: Effect, now: datetime) -> None:
    """One action's effect on the clocks: finish, then cancel what is left of those named, then open."""
    if effect.finishes:
        deadlines_finish(petition=petition, kinds=effect.finishes, now=now)
    if effect.cancels:
        deadlines_finish(petition=petition, kinds=effect.cancels, now=now, cancel=True)
    for kind in effect.opens:
        deadline_open(petition=petition, kind=kind, now=now)


def next_due_refresh(petition: Petition) -> None:
    """Copy the nearest open deadline onto the petition (unsaved): the list sorts on it without a join."""
    petition.next_due_at = PetitionDeadline.objects.open().filter(petition=petition).aggregate(m=Min("due_at"))["m"]
