from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class BaseModel(models.Model):
    """Every table records when a row was made and last changed."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class Notification(BaseModel):
    """An SMS or staff message in the outbox; sent by Celery after the change that caused it commits.

    The body is stored so a resident's message can be resent and audited; logs
    only ever show the recipient masked.
    """

    class Channel(models.TextChoices):
        SMS = "sms", _("SMS")
        STAFF = "staff", _("Staff message")

    class State(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    recipient_phone = models.CharField(_("phone"), max_length=20, blank=True)
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=40)
    body = models.TextField(_("message"))
    dispute_id = models.BigIntegerField(_("case ID"), null=True, blank=True, db_index=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    attempts = models.PositiveSmallIntegerField(_("delivery attempts"), default=0)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    # The staff inbox (收件箱): where the item leads (a case or petition page) and when its reader read it.
    link = models.CharField(_("link"), max_length=200, blank=True)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            models.Index(fields=["state", "created_at"], name="notification_state"),
            # The inbox lists a reader's items newest first; the header counts the unread ones.
            models.Index(
                fields=["recipient_user", "-id"],
                name="notification_inbox",
                condition=models.Q(channel="staff"),
            ),
            models.Index(
                fields=["recipient_user"],
                name="notification_unread",
                condition=models.Q(channel="staff", read_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} → {self.channel}"


class DocumentCounter(models.Model):
    """The last number an issuing office used in a year for one kind of document (GB/T 9704: 代字〔2026〕12号).

    Its row is locked to hand out the next number (`core.documents.document_number_next`),
    so numbers are unique per office, year and kind, with no gaps from rolled-back work.
    """

    issuer = models.CharField(_("issuing office"), max_length=60)
    kind = models.CharField(_("kind of document"), max_length=30)
    year = models.PositiveSmallIntegerField(_("year"))
    last_number = models.PositiveIntegerField(_("last number issued"), default=0)

    class Meta:
        verbose_name = _("document number counter")
        verbose_name_plural = _("document number counters")
        constraints = [
            models.UniqueConstraint(fields=["issuer", "kind", "year"], name="document_counter_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.issuer} {self.kind} {self.year}: {self.last_number}"


class PersonalDataAccess(models.Model):
    """Who saw or exported whose personal data, when, on which case (PIPL). Append-only."""

    class Action(models.TextChoices):
        REVEAL = "reveal", _("Revealed")
        EXPORT = "export", _("Exported")
        PRINT = "print", _("Printed")

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("staff account"), on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    # What was shown: e.g. "party.phone", "party.id_number", "dispute.parties".
    what = models.CharField(_("what"), max_length=60)
    # The case (tracking number) or, for an export, a description of the rows.
    case_ref = models.CharField(_("case"), max_length=40, blank=True, db_index=True)
    object_id = models.BigIntegerField(_("record ID"), null=True, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data access log")
        indexes = [models.Index(fields=["user", "at"], name="pda_user_at")]

    def __str__(self) -> str:
        return f"{self.user_id} {self.action} {self.what} {self.case_ref}"
