"""Reads with a rule in them. Every staff query starts from `disputes_visible_to`."""

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from core.casework.access import get_in
from core.validators import normalise_phone
from disputes import links
from disputes.models import CaseEvent, ChannelKey, Dispute, DisputeAssist
from disputes.rules.enums import PartyRole, Status
from disputes.rules.tracking import normalise_tracking_number
from disputes.rules.triage import SOURCED_RULES
from grids.models import Role


def staff_profile(user):
    if user is None or not user.is_authenticated:
        return None
    return getattr(user, "staff", None)


def disputes_visible_to(user) -> QuerySet[Dispute]:
    """Cases this user may list, read and act on.

    Admins (and superusers) see everything. Every other staff member sees the
    cases in their area and below, the cases routed to their department (as
    lead or assisting department), the cases assigned to them and the cases
    they lead (包案领导, wherever the case is). Anyone else sees nothing.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return Dispute.objects.none()
    profile = staff_profile(user)
    if profile is None:
        return Dispute.objects.all() if user.is_superuser else Dispute.objects.none()
    if profile.role == Role.ADMIN or user.is_superuser:
        return Dispute.objects.all()
    area_path = profile.area.path
    visible = Q(area_path__startswith=area_path) | Q(assigned_mediator=user) | Q(leader=user)
    if profile.department_id:
        visible |= Q(lead_department_id=profile.department_id)
        visible |= Q(pk__in=DisputeAssist.objects.filter(department_id=profile.department_id).values("dispute_id"))
    return Dispute.objects.filter(visible)


def dispute_get_for(user, ref, *, lock: bool = False, related: tuple[str, ...] = ()) -> Dispute:
    """访问: the one permission-aware getter for a case (in the spirit of Zulip's `access_*`).

    `ref` is a tracking number (any spelling a resident or clerk types), a primary
    key or a Dispute. `user` is a staff user; None stands for the platform itself
    (tasks, the sweeper) and for a resident already proven by number and phone,
    who may read the case they proved. A case outside the reader's jurisdiction
    raises the same NotFoundError as a number that does not exist: the answer
    never confirms that a case exists. `lock` takes the row with SELECT … FOR
    UPDATE (call inside a transaction).
    """
    rows = Dispute.objects.all() if user is None else disputes_visible_to(user)
    return get_in(
        rows, ref, normalise=normalise_tracking_number, not_found=_("Case not found."), lock=lock, related=related
    )


DISPATCH_ROLES = frozenset({Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN})


def dispatch_queue(*, user) -> QuerySet[Dispute]:
    """Cases waiting for a person to dispatch them (no rule, red, or returned), for dispatchers and supervisors."""
    profile = staff_profile(user)
    role = profile.role if profile is not None else (Role.ADMIN if user.is_authenticated and user.is_superuser else "")
    if role not in DISPATCH_ROLES:
        return Dispute.objects.none()
    return disputes_visible_to(user).filter(status__in=[Status.TRIAGED, Status.RETURNED])


# --- Triage reasons a reader may be shown ---------------------------------------------------------


def sees_everything(user) -> bool:
    """An administrator (or a superuser): every case and every petition is theirs to open."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    profile = staff_profile(user)
    return bool(user.is_superuser) or (profile is not None and profile.role == Role.ADMIN)


class TriageReasonFilter:
    """Which of a case's stored triage reasons one reader may be shown.

    A reason drawn from other records (an open petition, earlier cases of the same
    people: `rules.triage.SOURCED_RULES`) names them in its "sources"; it is shown
    only when the reader may open at least one of them (`disputes_visible_to`,
    the petitions' `visible_to` registered in `disputes.links`), with its count cut to those. A
    district's mediator is not told that a party has a petition in another
    district. The stored colour and reasons stay as computed; only the answer is
    filtered. A sourced reason stored without its sources (before they were kept)
    is shown to those who see everything and to nobody else. The "sources" key
    itself (internal ids) is never shown. Look-ups are cached per filter, so the
    timeline's many copies of a reason cost one query per kind of record.
    """

    def __init__(self, user) -> None:
        self.user = user
        self.sees_all = sees_everything(user)
        self._visible: dict[str, dict[int, bool]] = {"disputes": {}, "petitions": {}}

    def _openable(self, kind: str, ids: list[int]) -> list[int]:
        known = self._visible.setdefault(kind, {})
        unknown = [i for i in ids if i not in known]
        if unknown:
            if kind == "disputes":
                records = disputes_visible_to(self.user)
                found = set(records.filter(pk__in=unknown).values_list("pk", flat=True))
            elif kind == "petitions":
                # Petitions register their reads (disputes.links): disputes does not import them.
                found = links.petition_ids_visible_to(self.user, unknown)
            else:
                found = set()
            known.update({i: i in found for i in unknown})
        return [i for i in ids if known[i]]

    def shown(self, reasons) -> list[dict]:
        shown = []
        for reason in reasons or []:
            if not isinstance(reason, dict):
                continue
            visible_part = {key: value for key, value in reason.items() if key != "sources"}
            kind = SOURCED_RULES.get(reason.get("rule"))
            if kind is None:
                shown.append(visible_part)
                continue
            listed = [i for i in ((reason.get("sources") or {}).get(kind) or []) if isinstance(i, int)]
            if not listed:
                if self.sees_all:
                    shown.append(visible_part)
                continue
            openable = self._openable(kind, listed)
            if not openable:
                continue
            if len(openable) < len(listed):
                visible_part["params"] = {**(reason.get("params") or {}), "count": len(openable)}
            shown.append(visible_part)
        return shown


def triage_reasons_for(user, reasons) -> list[dict]:
    """`reasons` (a case's, or a triage event's) as `user` may be shown them (TriageReasonFilter)."""
    return TriageReasonFilter(user).shown(reasons)


# --- What a resident may see ------------------------------------------------------------------


def dispute_for_resident(*, tracking_number: str, phone: str) -> Dispute | None:
    """The case if the phone is one its applicant gave; None otherwise (same answer for unknown numbers)."""
    phone = normalise_phone(phone)  # stored normalised: １３７… and 137… are one number
    if not tracking_number or not phone:
        return None
    return (
        Dispute.objects.select_related("category", "lead_department")
        .filter(tracking_number=tracking_number, parties__role=PartyRole.APPLICANT, parties__phone=phone)
        .first()
    )


def resident_timeline(dispute: Dispute) -> list[CaseEvent]:
    """Only the public events: status changes and the resident's own additions, never notes or names."""
    return list(dispute.events.filter(is_public=True).order_by("at", "id"))


# --- What Open311 shows ------------------------------------------------------------------------

# Private matters never in the anonymous Open311 list, whatever their category's flag says
# (Category.open311_hidden marks these and any others an administrator chooses).
OPEN311_ALWAYS_HIDDEN = frozenset({"family"})


def open311_requests_for(*, key: ChannelKey | None) -> QuerySet[Dispute]:
    """The cases an Open311 reader may see: a channel key its own (every category); anyone else, when the
    centre publishes the list (OPEN311_PUBLIC_REQUESTS), the cases of categories not hidden from it; else none."""
    if key is not None:
        return Dispute.objects.filter(channel_key=key) if key.is_active else Dispute.objects.none()
    if not settings.OPEN311_PUBLIC_REQUESTS:
        return Dispute.objects.none()
    return Dispute.objects.exclude(category__open311_hidden=True).exclude(category__code__in=OPEN311_ALWAYS_HIDDEN)
