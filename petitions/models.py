from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.casework.callbacks import CallbackResult
from core.casework.models import CaseworkCallbackAttempt, CaseworkDeadline, CaseworkEvent
from core.models import BaseModel
from disputes.rules.tracking import format_tracking_number
from petitions.rules import DeadlineKind, EventKind, Form, LetterKind, Status


class Petition(BaseModel):
    """信访件: one petition (letter, visit, online or phone), from receipt to its closing."""

    tracking_number = models.CharField(_("tracking number"), max_length=16, unique=True)
    form = models.CharField(_("form"), max_length=10, choices=Form.choices)
    matter = models.TextField(_("matter"))
    # Any level: a petition may be about a township's or a county's decision, not only a grid's.
    area = models.ForeignKey("grids.Area", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+")
    # The area's tree path, copied so "this area and below" is one indexed prefix match.
    area_path = models.CharField(_("area path"), max_length=255, editable=False)
    category = models.ForeignKey(
        "disputes.Category", verbose_name=_("category"), on_delete=models.PROTECT, related_name="+"
    )
    receiving_office = models.ForeignKey(
        "grids.Department",
        verbose_name=_("receiving office"),
        on_delete=models.PROTECT,
        related_name="received_petitions",
    )
    received_on = models.DateField(_("received on"))
    handling_department = models.ForeignKey(
        "grids.Department",
        verbose_name=_("handling department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="handled_petitions",
    )
    # 包案领导: often a named official without an account here.
    leader_name = models.CharField(_("leader in charge"), max_length=50, blank=True)
    leader_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("leader in charge (account)"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Written only by petitions.services.petition_transition.
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.REGISTERED)
    people_count = models.PositiveIntegerField(_("people involved"), null=True, blank=True)
    is_group = models.BooleanField(_("group petition"), default=False)
    is_repeat = models.BooleanField(_("repeat petition"), default=False)
    # Kept for the first-time resolution rate (petitions.statistics), so the figure is one plain COUNT:
    # a later petition was flagged as a repeat of this one; the petitioner asked for a review of its reply.
    has_repeat = models.BooleanField(_("repeated later"), default=False)
    review_requested = models.BooleanField(_("review requested"), default=False)
    repeat_of = models.ForeignKey(
        "self",
        verbose_name=_("repeat of"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="repeats",
    )
    dispute = models.ForeignKey(
        "disputes.Dispute",
        verbose_name=_("dispute case"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="petitions",
    )
    referred_to = models.CharField(_("referred to"), max_length=100, blank=True)
    reply_text = models.TextField(_("written reply"), blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # 回访: the verdict of the satisfaction callback after the written reply (empty until there is one).
    callback_result = models.CharField(
        _("callback result"), max_length=20, choices=CallbackResult.choices, blank=True, default=""
    )
    # The nearest open deadline: the list sorts on it without a join.
    next_due_at = models.DateTimeField(_("next time limit"), null=True, blank=True)

    class Meta:
        verbose_name = _("petition")
        verbose_name_plural = _("petitions")
        indexes = [
            models.Index(fields=["area_path"], name="petition_area_path", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["status", "next_due_at"], name="petition_status_due"),
            models.Index(fields=["area", "category", "received_on"], name="petition_area_category"),
            # The dashboard's figures: "this area and below, received in the period" (petitions.statistics).
            models.Index(
                fields=["area_path", "received_on"],
                name="petition_area_received",
                opclasses=["varchar_pattern_ops", "date_ops"],
            ),
        ]

    def __str__(self) -> str:
        return self.tracking_number_display

    @property
    def tracking_number_display(self) -> str:
        return format_tracking_number(self.tracking_number)


class Petitioner(BaseModel):
    """信访人: one of the people who brought the petition."""

    petition = models.ForeignKey(
        Petition, verbose_name=_("petition"), on_delete=models.CASCADE, related_name="petitioners"
    )
    name = models.CharField(_("name"), max_length=100)
    phone = models.CharField(_("phone"), max_length=20, blank=True, db_index=True)
    id_number = models.CharField(_("ID-card number"), max_length=18, blank=True, db_index=True)
    address = models.CharField(_("address"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("petitioner")
        verbose_name_plural = _("petitioners")
        ordering = ["id"]

    def __str__(self) -> str:
        return _("Petitioner #%(id)s") % {"id": self.pk}


class PetitionEvent(CaseworkEvent):
    """时间线: one append-only entry on a petition's timeline."""

    petition = models.ForeignKey(Petition, verbose_name=_("petition"), on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("event"), max_length=30, choices=EventKind.choices)
    from_status = models.CharField(_("status before"), max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(_("status after"), max_length=20, choices=Status.choices, blank=True)

    class Meta:
        verbose_name = _("petition timeline entry")
        verbose_name_plural = _("petition timeline entries")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["petition", "at"], name="petition_event_at")]

    def __str__(self) -> str:
        # Labels, not codes: the admin shows this beside each timeline row.
        return f"{self.petition_id} {self.get_kind_display()}"


class PetitionDeadline(CaseworkDeadline):
    """法定时限: a statutory period kept in the database and swept by beat."""

    petition = models.ForeignKey(
        Petition, verbose_name=_("petition"), on_delete=models.CASCADE, related_name="deadlines"
    )
    kind = models.CharField(_("kind"), max_length=30, choices=DeadlineKind.choices)
    # escalation_level: 0 nothing yet, 1 handling department reminded, 2 escalated to the area's supervisors.
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    extended_days = models.PositiveSmallIntegerField(_("extended by (days)"), default=0)
    extension_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("extension approved by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    extension_reason = models.TextField(_("reason for the extension"), blank=True)

    class Meta:
        verbose_name = _("petition deadline")
        verbose_name_plural = _("petition deadlines")
        indexes = [
            models.Index(
                fields=["escalate_at"],
                name="petition_deadline_escalate",
                condition=Q(done_at__isnull=True, cancelled_at__isnull=True, escalate_at__isnull=False),
            ),
            models.Index(fields=["petition", "kind"], name="petition_deadline_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} @ {self.due_at:%Y-%m-%d %H:%M}"


class PetitionCallbackAttempt(CaseworkCallbackAttempt):
    """回访: one phone call to the petitioner after the written reply (三函一回访's callback)."""

    petition = models.ForeignKey(
        Petition, verbose_name=_("petition"), on_delete=models.CASCADE, related_name="callback_attempts"
    )

    class Meta:
        verbose_name = _("petition callback attempt")
        verbose_name_plural = _("petition callback attempts")
        indexes = [models.Index(fields=["petition", "at"], name="petition_callback_at")]

    def __str__(self) -> str:
        return f"{self.petition_id} {self.at:%Y-%m-%d}"


class PetitionLetterCounter(models.Model):
    """The last document number an office used in a year; its row is locked to hand out the next one."""

    office = models.ForeignKey(
        "grids.Department", verbose_name=_("issuing office"), on_delete=models.CASCADE, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    last_number = models.PositiveIntegerField(_("last number issued"), default=0)

    class Meta:
        verbose_name = _("letter number counter")
        verbose_name_plural = _("letter number counters")
        constraints = [models.UniqueConstraint(fields=["office", "year"], name="petition_letter_counter_unique")]

    def __str__(self) -> str:
        return f"{self.office_id} {self.year}: {self.last_number}"


class PetitionLetter(BaseModel):
    """三函: an assignment (交办函), reminder (提醒函) or supervision letter (督办函).

    Numbered per issuing office and year across the three kinds — one register
    of outgoing petition letters per office, as 〔2026〕第12号 reads — so the
    number alone identifies the letter within the office's year.
    """

    petition = models.ForeignKey(Petition, verbose_name=_("petition"), on_delete=models.CASCADE, related_name="letters")
    kind = models.CharField(_("kind"), max_length=20, choices=LetterKind.choices)
    office = models.ForeignKey(
        "grids.Department", verbose_name=_("issuing office"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    number = models.PositiveIntegerField(_("number"))
    recipient = models.CharField(_("to"), max_length=100)
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    text = models.TextField(_("text"))

    class Meta:
        verbose_name = _("petition letter")
        verbose_name_plural = _("petition letters")
        ordering = ["issued_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["office", "year", "number"], name="petition_letter_number_unique")
        ]

    def __str__(self) -> str:
        return self.document_number

    @property
    def document_number(self) -> str:
        return f"〔{self.year}〕第{self.number}号"
