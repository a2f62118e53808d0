"""Abstract tables of casework: the append-only event, the deadline and the callback attempt.

Each kind of case subclasses them with its foreign key to the case, its own
`kind` choices and its indexes; the columns and their meaning are the same, so
the sweeper, the timeline and the callback rules read both alike.
"""

from typing import Any, NoReturn, Self

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.casework.callbacks import Satisfaction
from core.models import BaseModel


class AppendOnlyQuerySet[M: models.Model](models.QuerySet[M]):
    """Refuses the bulk writes that would change or remove timeline entries."""

    def update(self, **kwargs: Any) -> NoReturn:
        raise TypeError("timeline events are append-only")

    def delete(self) -> NoReturn:
        raise TypeError("timeline events are append-only")


class AppendOnlyModel(models.Model):
    """A timeline entry (cases, petitions): written once, never changed or deleted, row by row or in bulk."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            raise TypeError("timeline events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise TypeError("timeline events are append-only")


class CaseworkEvent(AppendOnlyModel):
    """时间线: who did what, when, from which state to which, and why. Subclasses add the case and `kind` choices."""

    at = models.DateTimeField(_("time"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    actor_role = models.CharField(_("role"), max_length=20)
    kind = models.CharField(max_length=30)
    action = models.CharField(_("action"), max_length=30, blank=True)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    data = models.JSONField(_("details recorded"), default=dict, blank=True)

    class Meta:
        abstract = True
        ordering = ["at", "id"]


class DeadlineQuerySet[M: models.Model](models.QuerySet[M]):
    def open(self) -> Self:
        return self.filter(done_at__isnull=True, cancelled_at__isnull=True)


class CaseworkDeadline(BaseModel):
    """时限: a due date kept in the database and swept by beat (never a broker ETA).

    `escalation_level` is the rung of the ladder taken so far; `escalate_at` when
    the sweeper must next act on the row (null: no further rung).
    """

    kind = models.CharField(_("kind"), max_length=30)
    due_at = models.DateTimeField(_("due at"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    escalation_level = models.PositiveSmallIntegerField(_("escalation level"), default=0)
    escalate_at = models.DateTimeField(_("next escalation at"), null=True, blank=True)

    objects = DeadlineQuerySet.as_manager()

    class Meta:
        abstract = True

    @property
    def is_open(self) -> bool:
        return self.done_at is None and self.cancelled_at is None


class CaseworkCallbackAttempt(models.Model):
    """回访: one attempt to reach a party and ask whether they are satisfied."""

    at = models.DateTimeField(_("time"), default=timezone.now)
    caller = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("caller"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reached = models.BooleanField(_("reached"))
    satisfaction = models.CharField(_("satisfaction"), max_length=20, choices=Satisfaction.choices, blank=True)
    remarks = models.TextField(_("remarks"), blank=True)

    class Meta:
        abstract = True
