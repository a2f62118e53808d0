import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.casework.callbacks import CallbackResult
from core.casework.models import CaseworkCallbackAttempt, CaseworkDeadline, CaseworkEvent
from core.i18n import localized_name
from core.models import BaseModel
from disputes.rules.enums import (
    AmountBand,
    Channel,
    Colour,
    DeadlineKind,
    EventKind,
    Outcome,
    PartyRole,
    PeopleBand,
    Status,
    WithdrawalVia,
)
from disputes.rules.tracking import format_tracking_number


class Category(BaseModel):
    """纠纷类别: family, neighbour, labour … with the base colour triage starts from."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=50)
    name_en = models.CharField(_("English name"), max_length=80, blank=True)
    base_colour = models.PositiveSmallIntegerField(_("base colour"), choices=Colour.choices, default=Colour.WHITE)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    # Family and other private matters: never in the anonymous Open311 list, whatever this says.
    open311_hidden = models.BooleanField(
        _("hidden from the public Open311 list"),
        default=False,
        help_text=_("Cases of this category never appear in the public Open311 listing."),
    )

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return localized_name(self.name, self.name_en)


class ServiceLevelSetting(BaseModel):
    """Per-colour clocks, editable in the admin; defaults in rules/clocks.py."""

    colour = models.PositiveSmallIntegerField(_("colour"), choices=Colour.choices, unique=True)
    accept_within = models.DurationField(_("accept within"))
    resolve_within = models.DurationField(_("resolve within"))
    follow_up_every = models.DurationField(_("follow up every"), null=True, blank=True)
    # Empty: the default for the colour (rules/clocks.py; red 30 minutes).
    dispatch_within = models.DurationField(_("dispatch within"), null=True, blank=True)

    class Meta:
        verbose_name = _("service level")
        verbose_name_plural = _("service levels")

    def __str__(self) -> str:
        return str(self.get_colour_display())


class DiversionRule(BaseModel):
    """分流清单: in this area (and below, unless a nearer rule exists) this category goes to these departments."""

    area = models.ForeignKey("grids.Area", verbose_name=_("area"), on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.CASCADE, related_name="+")
    lead_department = models.ForeignKey(
        "grids.Department", verbose_name=_("lead department"), on_delete=models.PROTECT, related_name="+"
    )
    assisting_departments = models.ManyToManyField(
        "grids.Department", verbose_name=_("assisting departments"), blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("diversion rule")
        verbose_name_plural = _("diversion list")
        constraints = [models.UniqueConstraint(fields=["area", "category"], name="diversion_rule_unique")]

    def __str__(self) -> str:
        return f"{self.area.name} · {self.category} → {self.lead_department}"


def new_public_id() -> str:
    """A random public id (Open311's service_request_id): 64 bits, unrelated to the tracking number."""
    return secrets.token_hex(8)


class Dispute(BaseModel):
    """矛盾纠纷: one case, from submission to closing."""

    tracking_number = models.CharField(_("tracking number"), max_length=16, unique=True)
    # Open311's service_request_id: random, never the tracking number, so the public list opens no case.
    public_id = models.CharField(_("public ID"), max_length=16, unique=True, default=new_public_id, editable=False)
    category = models.ForeignKey(Category, verbose_name=_("category"), on_delete=models.PROTECT, related_name="+")
    description = models.TextField(_("what happened"))
    occurred_at = models.DateTimeField(_("when it happened"), null=True, blank=True)
    occurred_place = models.CharField(_("where it happened"), max_length=200, blank=True)
    grid = models.ForeignKey("grids.Area", verbose_name=_("grid"), on_delete=models.PROTECT, related_name="+")
    # The grid's tree path, copied so "this area and below" is one indexed prefix match.
    area_path = models.CharField(_("area path"), max_length=255, editable=False)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    source_id = models.CharField(_("source system id"), max_length=100, blank=True)
    # The machine channel's key that sent it: source ids are unique per key, not per channel.
    channel_key = models.ForeignKey(
        "ChannelKey",
        verbose_name=_("API key"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    # 疑似重复: a submission that looks like an open case of the same people, kept as its own case
    # and linked for staff to merge by hand (never merged automatically: the link tells the submitter nothing).
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("possible duplicate of"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="suspected_duplicates",
        editable=False,
    )
    amount = models.DecimalField(_("amount at stake (yuan)"), max_digits=14, decimal_places=2, null=True, blank=True)
    people_involved = models.PositiveIntegerField(_("people involved"), null=True, blank=True)
    # The range a resident chose (PeopleBand / AmountBand); blank when an exact figure was given.
    # The exact fields above then hold the band's lower bound, which is what triage reads.
    people_band = models.CharField(_("people involved (range)"), max_length=10, choices=PeopleBand.choices, blank=True)
    amount_band = models.CharField(_("amount at stake (range)"), max_length=10, choices=AmountBand.choices, blank=True)

    colour = models.PositiveSmallIntegerField(_("colour"), choices=Colour.choices, default=Colour.WHITE)
    triage_reasons = models.JSONField(_("triage reasons"), default=list, blank=True)
    colour_overridden = models.BooleanField(_("colour set by hand"), default=False)
    # Written only by disputes.services.dispute_transition.
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.SUBMITTED)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices, blank=True)

    lead_department = models.ForeignKey(
        "grids.Department",
        verbose_name=_("lead department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="lead_disputes",
    )
    assisting_departments = models.ManyToManyField(
        "grids.Department",
        verbose_name=_("assisting departments"),
        through="DisputeAssist",
        blank=True,
        related_name="assisted_disputes",
    )
    # The diversion rule that chose the lead department (null: chosen by a person).
    routing_rule = models.ForeignKey(
        DiversionRule,
        verbose_name=_("diversion rule"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    assigned_mediator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("mediator"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_disputes",
    )

    submitted_at = models.DateTimeField(_("submitted at"), default=timezone.now)
    reported_at = models.DateTimeField(_("reported back at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # The nearest open deadline: the queue sorts on it without a join.
    next_due_at = models.DateTimeField(_("next time limit"), null=True, blank=True)
    reopened_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    # The court's case number (litigation) or the police's reference (criminal referral).
    referral_reference = models.CharField(_("court case number or police reference"), max_length=60, blank=True)
    # The last callback's verdict; "unreachable" after three unanswered attempts.
    callback_result = models.CharField(_("callback result"), max_length=20, choices=CallbackResult.choices, blank=True)
    # 包案领导: the named leader who answers for a serious case (every red case; others at a supervisor's choice).
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("leader in charge"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="led_disputes",
    )

    class Meta:
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
        constraints = [
            # A machine channel's record id is unique per key (two systems on one channel may reuse
            # each other's ids); records that came without a key keep the per-channel rule.
            models.UniqueConstraint(
                fields=["channel_key", "source_id"],
                condition=~Q(source_id="") & Q(channel_key__isnull=False),
                name="dispute_unique_key_source_id",
            ),
            models.UniqueConstraint(
                fields=["channel", "source_id"],
                condition=~Q(source_id="") & Q(channel_key__isnull=True),
                name="dispute_unique_source_id",
            ),
        ]
        indexes = [
            models.Index(fields=["area_path"], name="dispute_area_path", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["status", "colour", "next_due_at"], name="dispute_status_queue"),
            models.Index(fields=["lead_department", "status"], name="dispute_dept_status"),
            models.Index(fields=["assigned_mediator", "status"], name="dispute_mediator_status"),
            models.Index(fields=["submitted_at"], name="dispute_submitted_at"),
            models.Index(fields=["leader", "status"], name="dispute_leader_status"),
            # The cases behind a figure dated by report-back or closing (disputes.dashboard.drilldown).
            models.Index(fields=["reported_at"], name="dispute_reported_at", condition=Q(reported_at__isnull=False)),
            models.Index(fields=["closed_at"], name="dispute_closed_at", condition=Q(closed_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return self.tracking_number_display

    @property
    def tracking_number_display(self) -> str:
        return format_tracking_number(self.tracking_number)

    @property
    def colour_code(self) -> str:
        return Colour(self.colour).code


class DisputeAssist(BaseModel):
    """联合调解: an assisting department on a case."""

    dispute = models.ForeignKey(Dispute, verbose_name=_("case"), on_delete=models.CASCADE, related_name="assists")
    department = models.ForeignKey(
        "grids.Department", verbose_name=_("department"), on_delete=models.PROTECT, related_name="assists"
    )

    class Meta:
        verbose_name = _("assisting department")
        verbose_name_plural = _("assisting departments")
        constraints = [models.UniqueConstraint(fields=["dispute", "department"], name="dispute_assist_unique")]
        indexes = [models.Index(fields=["department", "dispute"], name="assist_dept_dispute")]


class Party(BaseModel):
    """当事人: an applicant, respondent or third party on a case."""

    dispute = models.ForeignKey(Dispute, verbose_name=_("case"), on_delete=models.CASCADE, related_name="parties")
    role = models.CharField(_("role"), max_length=20, choices=PartyRole.choices)
    name = models.CharField(_("name"), max_length=100)
    phone = models.CharField(_("phone"), max_length=20, blank=True, db_index=True)
    id_number = models.CharField(_("ID-card number"), max_length=18, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    is_minor = models.BooleanField(_("minor"), default=False)
    is_elderly = models.BooleanField(_("elderly"), default=False)
    is_disabled = models.BooleanField(_("disabled"), default=False)
    is_pregnant = models.BooleanField(_("pregnant"), default=False)

    class Meta:
        verbose_name = _("party")
        verbose_name_plural = _("parties")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.get_role_display()} #{self.pk}"

    @property
    def is_vulnerable(self) -> bool:
        return self.is_minor or self.is_elderly or self.is_disabled or self.is_pregnant


class CaseEvent(CaseworkEvent):
    """时间线: one append-only entry on a case's timeline."""

    dispute = models.ForeignKey(Dispute, verbose_name=_("case"), on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(_("event"), max_length=30, choices=EventKind.choices)
    from_status = models.CharField(_("status before"), max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(_("status after"), max_length=20, choices=Status.choices, blank=True)
    # Shown on the resident's tracking page; internal notes are not.
    is_public = models.BooleanField(_("public"), default=False)

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["dispute", "at"], name="event_dispute_at")]

    def __str__(self) -> str:
        # Labels, not codes: the admin shows this beside each timeline row.
        return f"{self.dispute_id} {self.get_kind_display()}"


class Deadline(CaseworkDeadline):
    """时限: a due date kept in the database and swept by beat (never a broker ETA)."""

    dispute = models.ForeignKey(Dispute, verbose_name=_("case"), on_delete=models.CASCADE, related_name="deadlines")
    kind = models.CharField(_("kind"), max_length=30, choices=DeadlineKind.choices)
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    paused_seconds = models.PositiveIntegerField(_("time paused (seconds)"), default=0)
    # escalation_level: the rung of the ladder taken (disputes.rules.clocks): 0 nothing yet, 1 handler
    # reminded, 2 department head reminded (callback & co: supervisors told), 3… the supervisor levels.

    class Meta:
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")
        indexes = [
            models.Index(
                fields=["due_at"],
                name="deadline_open_due",
                condition=Q(done_at__isnull=True, cancelled_at__isnull=True),
            ),
            models.Index(fields=["dispute", "kind"], name="deadline_dispute_kind"),
            models.Index(
                fields=["escalate_at"],
                name="deadline_open_escalate",
                condition=Q(done_at__isnull=True, cancelled_at__isnull=True, escalate_at__isnull=False),
            ),
            # The callers' queue walks the open callbacks in due order and stops after a page
            # (disputes.selectors.callbacks.callback_queue).
            models.Index(
                fields=["due_at", "dispute"],
                name="deadline_open_callback",
                condition=Q(kind="callback", done_at__isnull=True, cancelled_at__isnull=True),
            ),
            # Resolve clocks that fell due unmet: the cases open and overdue at a period's end
            # (the rollups' open_overdue state and the drill-down list behind it).
            models.Index(
                fields=["due_at"],
                name="deadline_resolve_late",
                include=["dispute", "done_at", "cancelled_at", "paused_at"],
                condition=Q(kind="resolve")
                & (Q(done_at__isnull=True) | Q(done_at__gt=F("due_at")))
                & (Q(cancelled_at__isnull=True) | Q(cancelled_at__gt=F("due_at"))),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} @ {self.due_at:%Y-%m-%d %H:%M}"


class TriageKeyword(BaseModel):
    """A word or phrase a triage signal reads (threats, self-harm, weapons, domestic violence, bringing
    people, injuries, repeated complaints) or a negation word; editable in the admin. An active row adds
    its word to the kind's built-in list (disputes/rules/signals.py); an inactive row switches it off."""

    class Kind(models.TextChoices):
        VIOLENCE = "violence", _("Threat of violence")
        SELF_HARM = "self_harm", _("Self-harm")
        WEAPON = "weapon", _("Weapon or dangerous means")
        DOMESTIC_VIOLENCE = "domestic_violence", _("Domestic violence, abuse or abandonment")
        GATHERING = "gathering", _("Bringing people or a collective action")
        INJURY = "injury", _("Injury already caused")
        REPEAT_COMPLAINT = "repeat_complaint", _("Complained many times without result")
        NEGATION = "negation", _("Negation (the word after it is not a signal)")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    word = models.CharField(_("word"), max_length=30)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("triage keyword")
        verbose_name_plural = _("triage keywords")
        constraints = [models.UniqueConstraint(fields=["kind", "word"], name="triage_keyword_unique")]

    def __str__(self) -> str:
        return self.word


class RoutingReturn(models.Model):
    """退回: a department sent a case back as misrouted. Counted per rule and department for the dashboard."""

    dispute = models.ForeignKey(Dispute, verbose_name=_("case"), on_delete=models.CASCADE, related_name="returns")
    department = models.ForeignKey(
        "grids.Department", verbose_name=_("department"), on_delete=models.PROTECT, related_name="+"
    )
    rule = models.ForeignKey(
        DiversionRule,
        verbose_name=_("diversion rule"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="returns",
    )
    reason = models.TextField(_("reason"))
    at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("return to dispatch")
        verbose_name_plural = _("returns to dispatch")
        indexes = [models.Index(fields=["department", "at"], name="routing_return_dept_at")]

    def __str__(self) -> str:
        return f"{self.dispute_id} ← {self.department_id}"


class Attachment(BaseModel):
    """附件: a photo or PDF given with a case. Stored privately under a random name, served by a checked view."""

    dispute = models.ForeignKey(Dispute, verbose_name=_("case"), on_delete=models.CASCADE, related_name="attachments")
    storage_name = models.CharField(_("stored file name"), max_length=64, unique=True, editable=False)
    original_name = models.CharField(_("file name"), max_length=200)
    content_type = models.CharField(_("file type"), max_length=60)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256 checksum"), max_length=64)

    class Meta:
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.original_name


class ChannelKey(BaseModel):
    """An API key of a machine channel (110, 12345, grid workers). Only its hash is stored."""

    name = models.CharField(_("name"), max_length=100)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    prefix = models.CharField(_("key prefix"), max_length=12, unique=True, editable=False)
    key_hash = models.CharField(_("key hash"), max_length=128, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    # A key may be limited to one area (a county's 110 link): it files and reads cases there only.
    area = models.ForeignKey(
        "grids.Area",
        verbose_name=_("limited to area"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text=_("Leave empty for a key that may file cases anywhere in the city."),
    )

    class Meta:
        verbose_name = _("channel API key")
        verbose_name_plural = _("channel API keys")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class IdempotencyRecord(models.Model):
    """A machine channel's Idempotency-Key and the case it created: a resent record returns the same case."""

    channel_key = models.ForeignKey(ChannelKey, verbose_name=_("API key"), on_delete=models.CASCADE, related_name="+")
    key = models.CharField(_("idempotency key"), max_length=100)
    request_hash = models.CharField(_("request hash"), max_length=64)
    dispute = models.ForeignKey(Dispute, verbose_name=_("case"), on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("repeated-request record")
        verbose_name_plural = _("repeated-request records")
        constraints = [models.UniqueConstraint(fields=["channel_key", "key"], name="idempotency_unique")]

    def __str__(self) -> str:
        return self.key


class CallbackAttempt(CaseworkCallbackAttempt):
    """回访: one attempt to reach a party after the report-back, by a caller or a resident's own rating."""

    class Source(models.TextChoices):
        CALLER = "caller", _("Phone callback")
        RESIDENT = "resident", _("Resident's own rating")

    dispute = models.ForeignKey(
        Dispute, verbose_name=_("case"), on_delete=models.CASCADE, related_name="callback_attempts"
    )
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.CALLER)
    # The party called (满意率 counts parties reached); null on attempts recorded before parties were
    # told apart, which count as the applicant's.
    party = models.ForeignKey(
        "Party", verbose_name=_("party"), on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("callback attempt")
        verbose_name_plural = _("callback attempts")
        indexes = [models.Index(fields=["dispute", "at"], name="callback_dispute_at")]

    def __str__(self) -> str:
        return f"{self.dispute_id} {self.at:%Y-%m-%d}"


class MediationSession(BaseModel):
    """调解记录: one mediation session held on a case."""

    dispute = models.ForeignKey(Dispute, verbose_name=_("case"), on_delete=models.CASCADE, related_name="sessions")
    held_at = models.DateTimeField(_("held at"))
    place = models.CharField(_("place"), max_length=200)
    attendees = models.TextField(_("attendees"))
    notes = models.TextField(_("notes"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("mediation session")
        verbose_name_plural = _("mediation sessions")
        ordering = ["held_at", "pk"]

    def __str__(self) -> str:
        return f"{self.dispute_id} {self.held_at:%Y-%m-%d}"


class Agreement(BaseModel):
    """调解协议书: what the parties agreed, generated from the case and printed for signature."""

    class Performance(models.TextChoices):
        PENDING = "pending", _("Not yet due")
        PERFORMED = "performed", _("Performed")
        NOT_PERFORMED = "not_performed", _("Not performed")

    dispute = models.OneToOneField(Dispute, verbose_name=_("case"), on_delete=models.CASCADE, related_name="agreement")
    facts = models.TextField(_("facts"))
    points_in_dispute = models.TextField(_("points in dispute"))
    terms = models.TextField(_("what was agreed"))
    performance_method = models.TextField(_("how it is performed"))
    perform_by = models.DateField(_("perform by"), null=True, blank=True)
    performance = models.CharField(
        _("performance"), max_length=20, choices=Performance.choices, default=Performance.PENDING
    )
    performance_recorded_at = models.DateTimeField(_("performance recorded at"), null=True, blank=True)
    performance_remarks = models.TextField(_("performance remarks"), blank=True)
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("drafted by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The text above is the current version's; `version` is its number (AgreementVersion keeps every one).
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    # The version the parties signed, with its signing and effective dates (the 30-day window of
    # judicial confirmation counts from the effective date: People's Mediation Law art. 33).
    signed_version = models.ForeignKey(
        "AgreementVersion",
        verbose_name=_("signed version"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("mediation agreement")
        verbose_name_plural = _("mediation agreements")

    def __str__(self) -> str:
        return str(self.dispute_id)


class AgreementVersion(models.Model):
    """协议版本: one version of an agreement's text. Frozen once printed for signature or reported back;
    a change after that (a reopened case) makes the next version, never an edit of a frozen one."""

    class FrozenBy(models.TextChoices):
        PRINTED = "printed", _("Printed for signature")
        SIGNED = "signed", _("Signed")
        REPORTED = "reported", _("Reported back")

    agreement = models.ForeignKey(
        Agreement, verbose_name=_("agreement"), on_delete=models.CASCADE, related_name="versions"
    )
    version = models.PositiveSmallIntegerField(_("version"))
    facts = models.TextField(_("facts"))
    points_in_dispute = models.TextField(_("points in dispute"))
    terms = models.TextField(_("what was agreed"))
    performance_method = models.TextField(_("how it is performed"))
    perform_by = models.DateField(_("perform by"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    frozen_at = models.DateTimeField(_("frozen at"), null=True, blank=True)
    frozen_by = models.CharField(_("frozen by"), max_length=10, choices=FrozenBy.choices, blank=True)
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    effective_on = models.DateField(_("takes effect on"), null=True, blank=True)

    class Meta:
        verbose_name = _("agreement version")
        verbose_name_plural = _("agreement versions")
        ordering = ["agreement", "version"]
        constraints = [models.UniqueConstraint(fields=["agreement", "version"], name="agreement_version_unique")]

    def __str__(self) -> str:
        return f"{self.agreement_id} v{self.version}"


class JudicialConfirmation(models.Model):
    """司法确认: the parties' application to a court to confirm a signed agreement, and the court's decision."""

    class Result(models.TextChoices):
        PENDING = "pending", _("Awaiting the court")
        CONFIRMED = "confirmed", _("Confirmed")
        REJECTED = "rejected", _("Rejected")

    dispute = models.ForeignKey(
        Dispute, verbose_name=_("case"), on_delete=models.CASCADE, related_name="judicial_confirmations"
    )
    agreement_version = models.ForeignKey(
        AgreementVersion, verbose_name=_("agreement version"), on_delete=models.PROTECT, related_name="+"
    )
    applied_on = models.DateField(_("applied on"))
    court = models.CharField(_("court"), max_length=100)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now)
    result = models.CharField(_("result"), max_length=10, choices=Result.choices, default=Result.PENDING)
    ruling_number = models.CharField(_("ruling number"), max_length=60, blank=True)
    decided_on = models.DateField(_("decided on"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Copied from the case so the dashboard counts by area and period with one indexed query.
    area_path = models.CharField(_("area path"), max_length=255, editable=False)

    class Meta:
        verbose_name = _("judicial confirmation")
        verbose_name_plural = _("judicial confirmations")
        constraints = [
            # One application at a time awaits the court.
            models.UniqueConstraint(fields=["dispute"], condition=Q(result="pending"), name="judicial_one_pending"),
        ]
        indexes = [
            models.Index(
                fields=["area_path", "applied_on"],
                name="judicial_area_applied",
                opclasses=["varchar_pattern_ops", "date_ops"],
            ),
            models.Index(
                fields=["area_path", "decided_on"],
                name="judicial_area_decided",
                opclasses=["varchar_pattern_ops", "date_ops"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dispute_id} {self.court} {self.result}"


class SupervisionOrder(models.Model):
    """督办单: a supervision order on a case to a department or a person, with a deadline to sign for it (签收)
    and one to reply (办理情况). Issued by a supervisor, or by the sweep when the escalation ladder reaches a
    supervisor; a late signature or reply raises it to the level above (`escalated_to`)."""

    dispute = models.ForeignKey(
        Dispute, verbose_name=_("case"), on_delete=models.CASCADE, related_name="supervision_orders"
    )
    # The issuing office: the centre of this area (its 机关代字 is on the number).
    issuing_area = models.ForeignKey(
        "grids.Area", verbose_name=_("issuing area"), on_delete=models.PROTECT, related_name="+"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    number = models.PositiveIntegerField(_("number"))
    # The number as printed (代字〔2026〕12号), kept so a renamed office does not renumber old orders.
    document_number = models.CharField(_("number"), max_length=60)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("issued by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    is_automatic = models.BooleanField(_("issued by the escalation ladder"), default=False)
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    to_department = models.ForeignKey(
        "grids.Department",
        verbose_name=_("to department"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="supervision_orders",
    )
    to_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("to person"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="supervision_orders",
    )
    reason = models.TextField(_("reason"))
    requirements = models.TextField(_("what is required"), blank=True)
    sign_due_at = models.DateTimeField(_("sign for by"))
    reply_due_at = models.DateTimeField(_("reply by"))
    signed_at = models.DateTimeField(_("signed for at"), null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("signed for by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    replied_at = models.DateTimeField(_("replied at"), null=True, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("replied by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reply = models.TextField(_("what was done"), blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # The order this one was raised from (a late signature or reply one level down).
    raised_from = models.OneToOneField(
        "self",
        verbose_name=_("raised from"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="escalated_to",
    )
    escalated_at = models.DateTimeField(_("raised a level at"), null=True, blank=True)
    # The sweep's key: when this order is next late (sign_due_at until signed, then reply_due_at).
    escalate_at = models.DateTimeField(_("next escalation at"), null=True, blank=True)

    class Meta:
        verbose_name = _("supervision order")
        verbose_name_plural = _("supervision orders")
        ordering = ["-issued_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["issuing_area", "year", "number"], name="supervision_order_number_unique"),
        ]
        indexes = [
            models.Index(fields=["dispute", "issued_at"], name="order_dispute"),
            models.Index(fields=["issued_by", "issued_at"], name="order_issued_by"),
            models.Index(fields=["to_department", "closed_at"], name="order_to_department"),
            models.Index(fields=["to_user", "closed_at"], name="order_to_user"),
            models.Index(
                fields=["escalate_at"],
                name="order_open_escalate",
                condition=Q(closed_at__isnull=True, escalated_at__isnull=True, escalate_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return self.document_number


class WithdrawalRequest(models.Model):
    """撤回申请: the applicant asked to withdraw the case; a supervisor approves (the case is withdrawn) or refuses."""

    class State(models.TextChoices):
        PENDING = "pending", _("Awaiting the supervisor")
        APPROVED = "approved", _("Approved")
        REFUSED = "refused", _("Refused")

    dispute = models.ForeignKey(
        Dispute, verbose_name=_("case"), on_delete=models.CASCADE, related_name="withdrawal_requests"
    )
    via = models.CharField(_("how the applicant asked"), max_length=10, choices=WithdrawalVia.choices)
    reason = models.TextField(_("reason"))
    # Empty when the applicant asked through the SMS link or tracking page themselves.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_remarks = models.TextField(_("remarks"), blank=True)
    # Copied from the case: the supervisors' list of pending requests is one indexed prefix match.
    area_path = models.CharField(_("area path"), max_length=255, editable=False)

    class Meta:
        verbose_name = _("withdrawal request")
        verbose_name_plural = _("withdrawal requests")
        constraints = [
            models.UniqueConstraint(fields=["dispute"], condition=Q(state="pending"), name="withdrawal_one_pending"),
        ]
        indexes = [
            models.Index(
                fields=["area_path", "requested_at"],
                name="withdrawal_pending",
                condition=Q(state="pending"),
                opclasses=["varchar_pattern_ops", "timestamptz_ops"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dispute_id} {self.state}"


class SpotCheck(models.Model):
    """抽查: a supervisor's check of a closed case drawn at random."""

    class Result(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        PROBLEM = "problem", _("Problem found")

    dispute = models.ForeignKey(Dispute, verbose_name=_("case"), on_delete=models.CASCADE, related_name="spot_checks")
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("checked by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    at = models.DateTimeField(_("time"), default=timezone.now)
    result = models.CharField(_("result"), max_length=20, choices=Result.choices)
    remarks = models.TextField(_("remarks"), blank=True)

    class Meta:
        verbose_name = _("spot check")
        verbose_name_plural = _("spot checks")
        indexes = [models.Index(fields=["dispute", "at"], name="spot_check_dispute_at")]

    def __str__(self) -> str:
        return f"{self.dispute_id} {self.result}"


class CriminalConversion(models.Model):
    """民转刑 / 刑转命: a dispute that later became a criminal case (or a homicide), found from the police's
    files and traced back to the case, with the review that asks what was missed (复盘倒查) and its
    accountability outcome (追责). A correct referral of a crime to the police (outcome "police") is not one."""

    class Kind(models.TextChoices):
        CRIMINAL = "criminal", _("Became a criminal case (民转刑)")
        HOMICIDE = "homicide", _("Became a homicide (刑转命)")

    class Accountability(models.TextChoices):
        PENDING = "", _("Not yet decided")
        NONE = "none", _("No one at fault")
        REMINDER = "reminder", _("Reminder talk")
        CRITICISM = "criticism", _("Criticised in a notice")
        ADMONISHMENT = "admonishment", _("Admonished")
        DISCIPLINE = "discipline", _("Disciplinary action")
        OTHER = "other", _("Other")

    dispute = models.ForeignKey(
        Dispute, verbose_name=_("case"), on_delete=models.PROTECT, related_name="criminal_conversions"
    )
    kind = models.CharField(_("what it became"), max_length=10, choices=Kind.choices)
    # The case's path, copied: counted by area like the case.
    area_path = models.CharField(_("area path"), max_length=255, editable=False)
    police_case_number = models.CharField(_("police case number"), max_length=60)
    police_unit = models.CharField(_("police unit"), max_length=100, blank=True)
    # The day the crime happened: the register counts by it.
    occurred_on = models.DateField(_("date of the crime"))
    # The day the police's referral back reached the centre.
    reported_on = models.DateField(_("date the police told the centre"))
    summary = models.TextField(_("what happened"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        editable=False,
    )
    recorded_at = models.DateTimeField(_("recorded at"), default=timezone.now, editable=False)
    # 复盘倒查
    review_missed = models.TextField(_("what was missed"), blank=True)
    review_responsible = models.TextField(_("by whom"), blank=True)
    review_changes = models.TextField(_("what changes"), blank=True)
    accountability = models.CharField(
        _("accountability"), max_length=15, choices=Accountability.choices, blank=True, default=""
    )
    accountability_notes = models.TextField(_("accountability notes"), blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("dispute turned criminal")
        verbose_name_plural = _("disputes turned criminal")
        constraints = [models.UniqueConstraint(fields=["dispute", "kind"], name="conversion_unique_kind")]
        indexes = [
            models.Index(
                fields=["area_path", "occurred_on"],
                name="conversion_area_day",
                opclasses=["varchar_pattern_ops", "date_ops"],
            )
        ]

    def __str__(self) -> str:
        return f"{self.dispute_id} {self.kind} {self.occurred_on}"


class DisputeRollup(models.Model):
    """汇总表: the dashboard's counts per day (or month) × village-level area × one breakdown.

    Written only by `disputes.dashboard.rollups` (set-based SQL); the dashboard
    reads nothing else for its figures. One row per (grain, day, area_path,
    dimension, value): `dimension` "all" holds the area's totals, the other
    dimensions split them by lead department, category, colour or channel. Each
    count is keyed by the day of its own event (submitted, reported back,
    closed, dispatched, returned): see `disputes.statistics` for what each means.
    """

    class Grain(models.IntegerChoices):
        DAY = 1, "day"
        MONTH = 2, "month"
        # The state at the last refresh (overdue cases), replaced wholesale every time.
        NOW = 3, "now"

    grain = models.PositiveSmallIntegerField(choices=Grain.choices)
    # The local (Asia/Shanghai) day; for the month grain, the first day of the month.
    day = models.DateField()
    # The case's path cut to the village level: drill-downs group on its prefixes.
    area_path = models.CharField(max_length=255)
    dimension = models.CharField(max_length=12)
    value = models.CharField(max_length=40, blank=True)

    submitted = models.PositiveIntegerField(default=0)
    repeat = models.PositiveIntegerField(default=0)
    concluded = models.PositiveIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)
    agreement = models.PositiveIntegerField(default=0)
    litigation = models.PositiveIntegerField(default=0)
    # 移送公安: referred to the police as a criminal matter (民转刑 is counted from CriminalConversion).
    police = models.PositiveIntegerField(default=0)
    on_time = models.PositiveIntegerField(default=0)
    reopened = models.PositiveIntegerField(default=0)
    reached = models.PositiveIntegerField(default=0)
    satisfied = models.PositiveIntegerField(default=0)
    unreachable = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)
    withdrawn = models.PositiveIntegerField(default=0)
    dispatched = models.PositiveIntegerField(default=0)
    returned = models.PositiveIntegerField(default=0)
    resolve_seconds = models.BigIntegerField(default=0)
    # Days-to-resolve histogram (bucket bounds in disputes.statistics.DAY_BUCKETS), for the median.
    h0 = models.PositiveIntegerField(default=0)
    h1 = models.PositiveIntegerField(default=0)
    h2 = models.PositiveIntegerField(default=0)
    h3 = models.PositiveIntegerField(default=0)
    h4 = models.PositiveIntegerField(default=0)
    h5 = models.PositiveIntegerField(default=0)
    h6 = models.PositiveIntegerField(default=0)
    h7 = models.PositiveIntegerField(default=0)
    h8 = models.PositiveIntegerField(default=0)
    h9 = models.PositiveIntegerField(default=0)
    h10 = models.PositiveIntegerField(default=0)
    h11 = models.PositiveIntegerField(default=0)
    h12 = models.PositiveIntegerField(default=0)
    # Only in the NOW rows: unfinished cases past their nearest deadline at the last refresh.
    overdue = models.PositiveIntegerField(default=0)
    # 受理口径, on the day of submission, by the case's state now: registered cases counted in the
    # resolution rate's denominator, those resolved, those still being worked (在办).
    registered = models.PositiveIntegerField(default=0)
    registered_resolved = models.PositiveIntegerField(default=0)
    registered_open = models.PositiveIntegerField(default=0)
    # On the report-back day: oral agreements (also counted in `resolved`).
    oral_agreement = models.PositiveIntegerField(default=0)
    # 满意率 by parties: parties reached by the callback and those satisfied, on the report-back day.
    parties_reached = models.PositiveIntegerField(default=0)
    parties_satisfied = models.PositiveIntegerField(default=0)
    # 按期办结率's open part: open cases past a resolve deadline at the end of the day (month rows:
    # the month's end, or now for the current month). A state, never summed over days.
    open_overdue = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("dashboard rollup")
        verbose_name_plural = _("dashboard rollups")
        indexes = [
            models.Index(
                fields=["dimension", "grain", "area_path", "day"],
                name="rollup_dim_area_day",
                opclasses=["varchar_pattern_ops", "int2_ops", "varchar_pattern_ops", "date_ops"],
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.area_path} {self.dimension}={self.value}"


class RankingNotice(models.Model):
    """排名通报 as issued: its number, who issued it and when, and what it printed.

    Written only by `disputes.services.ranking_notice.notice_issue`, once per office and month. An issued
    notice is an official document: `snapshot` holds everything it shows (the headline figures, each
    area's counts, rank, score and change on last month, the weights, the areas named as lagging),
    serialised when it was issued, and the printed page renders from it, never from the rollups, so a
    rebuild of the rollups cannot change what was issued.
    """

    area = models.ForeignKey(
        "grids.Area", verbose_name=_("area of the issuing office"), on_delete=models.PROTECT, related_name="+"
    )
    # The month ranked: its first day.
    month = models.DateField(_("month ranked"))
    # disputes.dashboard.ranking.Basis (not imported: that module reads this one).
    basis = models.CharField(
        _("ranking basis"),
        max_length=12,
        choices=[("area", _("By where the case is")), ("department", _("By the handling department's area"))],
    )
    year = models.PositiveSmallIntegerField(_("year of the number"))
    number = models.PositiveIntegerField(_("number"))
    # 西湖矛调通〔2026〕3号, as printed; the office's code and name as they were at issue time.
    number_text = models.CharField(_("document number"), max_length=80)
    office_code = models.CharField(_("office code"), max_length=40)
    office_name = models.CharField(_("issuing office"), max_length=120)
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("issued by"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # 签发人 as named when it was issued: still shown once the account is gone.
    issued_by_name = models.CharField(_("issuer's name"), max_length=150, blank=True)
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    snapshot = models.JSONField(_("figures as issued"), default=dict)

    class Meta:
        verbose_name = _("ranking notice")
        verbose_name_plural = _("ranking notices")
        constraints = [
            models.UniqueConstraint(fields=["area", "month"], name="ranking_notice_one_per_month"),
            models.UniqueConstraint(fields=["area", "year", "number"], name="ranking_notice_unique_number"),
        ]

    def __str__(self) -> str:
        return self.number_text
