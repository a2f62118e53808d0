"""The case page (案件详情) as one user sees it: the context its template reads, and its action forms.

What a mediator sees first: the tracking number, the ticket colour in words
with the reasons triage gave, the status, and the nearest deadline with the
time left; then the actions open to them now, the parties (masked, with a
reveal button for those working the case), the facts, sessions, agreement,
attachments and the timeline (newest first: a mediator coming back to a case
wants what changed since last time; the submission is at the bottom).

The actions offered are those of `disputes.staff.actions.actions_for` that have a
form (the registry's `PAGE_ACTIONS`), the same checks the services apply. The
views that post them are `disputes.staff.case`.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from core import staff_names
from core.exceptions import ApplicationError, NotFoundError
from core.masking import mask_address, mask_id_number, mask_phone
from core.templatetags.form_fields import field_html
from disputes import scale, selectors, services, visibility
from disputes.callbacks import callback_reason_text
from disputes.models import Agreement, CaseEvent, Dispute
from disputes.rules import lifecycle, pauses
from disputes.rules.clocks import time_left_words
from disputes.rules.enums import Colour, EventKind, Outcome, Status
from disputes.rules.tracking import format_tracking_number
from disputes.rules.triage import reason_text
from disputes.selectors import similar as similar_selectors
from disputes.staff import actions, options, supervision, withdrawals
from disputes.staff import case_forms as f
from disputes.staff import judicial as staff_judicial
from disputes.staff import scale as staff_scale
from disputes.staff import similar as staff_similar

# Which form field a service's refusal belongs beside.
ERROR_FIELDS = {
    "reason_required": "reason",
    "department_required": "department",
    "department_not_eligible": "department",
    "already_lead": "department",
    "referral_required": "referral_reference",
    "referral_invalid": "referral_reference",
    "perform_by_past": "perform_by",
    "future_session": "held_at",
    "place_required": "place",
    "attendees_required": "attendees",
    "note_empty": "text",
    "performance_required": "performance",
    "description_required": "description",
    "recipient_invalid": "recipient",
    "reply_within_invalid": "reply_within_days",
    "via_required": "via",
    "remarks_required": "remarks",
}
DEPARTMENT_ACTIONS = ("dispatch", "transfer", "assistance")
AGREEMENT_PREFIX = "report_back-agreement"


def excluded_departments(action: str, case: Dispute, assisting: set[int] | None = None) -> set[int]:
    """The departments a department action cannot choose: the lead one, and for assistance those assisting."""
    exclude = {case.lead_department_id} if case.lead_department_id else set()
    if action == "assistance":
        exclude |= set(case.assists.values_list("department_id", flat=True)) if assisting is None else assisting
    return exclude


def forms_for(action: str, case: Dispute, data=None, assisting: set[int] | None = None) -> list:
    """The bound (data given) or blank forms of one action (its form in `disputes.staff.actions`): usually one,
    two for the report-back."""
    spec = actions.PAGE_ACTIONS.get(action)
    if spec is None or spec.form is None:
        raise Http404
    prefix = action
    if action in DEPARTMENT_ACTIONS:
        exclude = excluded_departments(action, case, assisting)
        return [f.DepartmentForm(data, prefix=prefix, case=case, exclude=exclude, reason_required=action == "transfer")]
    if action == "colour":
        return [f.ColourForm(data, prefix=prefix, initial={"colour": case.colour})]
    if action == "session":
        return [
            f.SessionForm(
                data, prefix=prefix, initial={"held_at": timezone.localtime().replace(second=0, microsecond=0)}
            )
        ]
    if action == "agreement":
        return [f.AgreementForm(data, prefix=prefix, initial=f.AgreementForm.initial_for(case))]
    if action == "report_back":
        return [
            f.ReportBackForm(data, prefix=prefix),
            f.AgreementForm(data, prefix=AGREEMENT_PREFIX, initial=f.AgreementForm.initial_for(case)),
        ]
    if action == "description":
        return [f.DescriptionForm(data, prefix=prefix, initial=f.DescriptionForm.initial_for(case))]
    if action == "leader":
        return [f.LeaderForm(data, prefix=prefix, case=case, initial={"leader": case.leader_id})]
    if action == "order":
        return [f.OrderForm(data, prefix=prefix, case=case)]
    return [spec.form(data, prefix=prefix)]


def place_error(forms: list, exc: ApplicationError) -> bool:
    """Put a service's refusal beside its field when it has one; False if it is about the whole action.

    The field is the one the service names (`extra["field"]`) when a form has it, else the one its code
    belongs beside (ERROR_FIELDS)."""
    named = exc.extra.get("field")
    name = named if any(named in form.fields for form in forms) else ERROR_FIELDS.get(exc.code)
    fields = list(exc.extra.get("fields", [])) if exc.code == "agreement_incomplete" else ([name] if name else [])
    placed = False
    for form in forms:
        for field_name in fields:
            if field_name in form.fields:
                form.add_error(field_name, str(exc.message))
                placed = True
    return placed


# What the case page shows of the case's own relations, read with it.
PAGE_RELATIONS = ("category", "grid", "lead_department", "assigned_mediator__staff", "agreement", "leader__staff")


def visible_case(request, tracking_number: str) -> Dispute:
    """The case a staff page works on, with what the page reads of it; 404 outside the reader's jurisdiction
    (which looks the same as a number that does not exist: `selectors.dispute_get_for`)."""
    try:
        return selectors.dispute_get_for(request.user, tracking_number, related=PAGE_RELATIONS)
    except NotFoundError:
        raise Http404 from None


def case_url(case: Dispute) -> str:
    return reverse("disputes:case", kwargs={"tracking_number": case.tracking_number})


# --- The page's context ------------------------------------------------------------------------------


@dataclass
class FormView:
    html: str  # the form's fields (core.templatetags.form_fields), without the <form> or its token
    errors: list = field(default_factory=list)  # errors not about one field


@dataclass
class ActionView:
    key: str
    label: str
    url: str
    forms: list[FormView]
    simple: bool
    danger: bool
    open: bool = False


# The blank forms of most actions read the same on every case that offers them (a reason, a note,
# the colour, a department of the place): their fields' HTML is kept in the process per language and
# variant instead of being built on every view of a case page. The agreement forms start from the
# case's own text and are always built. Entries live as long as the option lists they show.
_fields_html = options.ProcessCache(options.OPTIONS_TTL, max_entries=2000)


def clear_fields_cache() -> None:
    _fields_html.clear()


def _blank_variant(key: str, case: Dispute, assisting: set[int]) -> tuple | None:
    """What a blank action form depends on besides its action and the language; None: not kept."""
    if key in (
        "note",
        "return",
        "withdrawal_request",
        "withdrawal_decide",
        "pause",
        "accept",
        "start_mediation",
        "resume",
        "resume_clock",
        "merge_duplicate",
        "dismiss_duplicate",
    ):
        return ()
    if key == "colour":
        return (case.colour,)
    if key == "session":
        return (timezone.localtime().replace(second=0, microsecond=0).isoformat(),)  # its initial time
    if key in DEPARTMENT_ACTIONS:
        return (case.area_path, tuple(sorted(excluded_departments(key, case, assisting))))
    return None


def _fields_of(form) -> str:
    return "".join(field_html(bound) for bound in form)


def _usable(key: str, forms: list) -> bool:
    """Whether an action's form can be filled in: a department action needs a department to choose."""
    return not ((key in DEPARTMENT_ACTIONS or key == "order") and not forms[0].has_choices)


def _blank_forms(key: str, case: Dispute, assisting: set[int]) -> tuple[list[FormView], bool]:
    """The blank forms of one action as HTML, and whether it can be filled in (a department to choose)."""

    def build() -> tuple[list[FormView], bool]:
        forms = forms_for(key, case, assisting=assisting)
        return [FormView(_fields_of(form)) for form in forms], _usable(key, forms)

    variant = _blank_variant(key, case, assisting)
    if variant is None:
        return build()
    return _fields_html.get_or_build((key, get_language(), *variant), build)


@dataclass
class PartyField:
    name: str
    label: str
    shown: str
    clear: bool
    can_reveal: bool
    reveal_label: str = ""


@dataclass
class PartyView:
    party: Any
    name: str
    fields: list[PartyField] = field(default_factory=list)


FIELD_LABELS = {
    "phone": gettext_lazy("Phone"),
    "id_number": gettext_lazy("ID-card number"),
    "address": gettext_lazy("Address"),
}
MASKS = {"phone": mask_phone, "id_number": mask_id_number, "address": mask_address}
REVEAL_LABELS = {
    "phone": gettext_lazy("Show the full phone number"),
    "id_number": gettext_lazy("Show the full ID-card number"),
    "address": gettext_lazy("Show the full address"),
}


def person_name(user) -> str:
    return staff_names.person_name(user)


def page_actions(
    user, case: Dispute, bound=None, deadlines: list | None = None, assisting: set[int] | None = None
) -> list[ActionView]:
    """The action forms shown on the page, in the order a mediator works a case.

    `bound` is (action, forms) after a refused post: that action's forms with their
    errors, open. `deadlines` and `assisting` (the assisting departments' ids), when
    the caller has read them, save reading them again.
    """
    allowed = actions.actions_for(user, case, keys=actions.PAGE_ACTIONS, deadlines=deadlines)
    if assisting is None:
        assisting = set(case.assists.values_list("department_id", flat=True))
    url = reverse("disputes:case_action", kwargs={"tracking_number": case.tracking_number, "action": "ACTION"})
    shown = []
    for key, spec in actions.PAGE_ACTIONS.items():
        if key not in allowed:
            continue
        if bound is not None and bound[0] == key:
            forms, is_open = bound[1], True
            views = [FormView(_fields_of(form), list(form.non_field_errors())) for form in forms]
            usable = _usable(key, forms)
        else:
            is_open = False
            views, usable = _blank_forms(key, case, assisting)
        if not usable:
            continue  # nowhere to send it: the form could not be filled in
        label = str(spec.label)
        if key == "merge_duplicate":  # offered only to those who may open the earlier case
            label %= {"number": case.duplicate_of.tracking_number_display}
        shown.append(ActionView(key, label, url.replace("ACTION", key), views, spec.simple, spec.danger, is_open))
    return shown


def _parties(lens: visibility.CaseLens, revealed: dict) -> list[PartyView]:
    works = lens.works
    rows = []
    for party in lens.parties:
        view = PartyView(party=party, name=lens.party_name(party))
        for name in services.REVEALABLE_FIELDS:
            value = getattr(party, name)
            if not value:
                continue
            clear = (party.pk, name) in revealed
            view.fields.append(
                PartyField(
                    name=name,
                    label=str(FIELD_LABELS[name]),
                    shown=revealed[(party.pk, name)] if clear else MASKS[name](value),
                    clear=clear,
                    can_reveal=works and not clear,
                    reveal_label=str(REVEAL_LABELS[name]),
                )
            )
        rows.append(view)
    return rows


def _deadlines(deadlines: list, now: datetime) -> list[dict]:
    rows = []
    for d in deadlines:
        if d.done_at is not None:
            state, text = "done", _("Done on %(date)s") % {"date": timezone.localtime(d.done_at).strftime("%Y-%m-%d")}
        elif d.cancelled_at is not None:
            state, text = "cancelled", _("Cancelled")
        elif d.paused_at is not None:
            state, text = "paused", _("Paused")
        else:
            state = "overdue" if d.due_at < now else "open"
            text = time_left_words(d.due_at, now)
        rows.append({"deadline": d, "state": state, "text": text, "open": d.is_open})
    rows.sort(key=lambda r: (not r["open"], r["deadline"].due_at))
    return rows


def _event_label(event: CaseEvent) -> str:
    if event.kind == EventKind.TRANSITION:
        if event.action == "submit":
            return _("Submitted")
        transition = lifecycle.TRANSITIONS.get(event.action)
        return str(transition.label) if transition else event.action
    try:
        return str(EventKind(event.kind).label)
    except ValueError:
        return event.kind


# An event's link to another case (disputes.services.duplicates): the data key, and the sentence naming that case.
DUPLICATE_DETAILS = (
    ("duplicate_of", gettext_lazy("The earlier case: %(number)s")),
    ("duplicate", gettext_lazy("The later case: %(number)s")),
    ("merged_from", gettext_lazy("Text and files of case %(number)s")),
    # 参照起草 (disputes.services.similar): the similar case the agreement was drafted from.
    ("drafted_from", gettext_lazy("Drafted from the agreement of case %(number)s")),
)


def _event_details(event: CaseEvent, linked: frozenset[str] = frozenset()) -> list[str]:
    """`linked`: the numbers of other cases this user may open; a link to any other case is not named."""
    data = event.data or {}
    details = []
    if event.kind == EventKind.DUPLICATE_SUSPECTED and data.get("dismissed"):
        details.append(_("Not the same dispute: the link was removed."))
    for key, sentence in DUPLICATE_DETAILS:
        if data.get(key) in linked:
            details.append(sentence % {"number": format_tracking_number(data[key])})
    if event.from_status and event.to_status and event.from_status != event.to_status:
        details.append(
            _("From “%(from)s” to “%(to)s”.")
            % {"from": Status(event.from_status).label, "to": Status(event.to_status).label}
        )
    if data.get("department_name"):
        details.append(_("Department: %(name)s") % {"name": data["department_name"]})
    if data.get("outcome") in Outcome.values:
        details.append(_("Outcome: %(outcome)s") % {"outcome": Outcome(data["outcome"]).label})
    if data.get("referral_reference"):
        details.append(_("Reference number: %(number)s") % {"number": data["referral_reference"]})
    codes = {c.code: c for c in Colour}
    if data.get("colour") in codes and data.get("from_colour") in codes:
        details.append(
            _("Colour: %(from)s → %(to)s")
            % {"from": codes[data["from_colour"]].label, "to": codes[data["colour"]].label}
        )
    if event.kind == EventKind.SESSION and data.get("place"):
        details.append(_("Place: %(place)s") % {"place": data["place"]})
    if event.kind == EventKind.PERFORMANCE and data.get("performance") in Agreement.Performance.values:
        details.append(str(Agreement.Performance(data["performance"]).label))
    if event.kind == EventKind.SCALE_SET:
        details.extend(scale.scale_event_details(data))
    # 督办单: its number, and whether it was late (disputes.staff.supervision).
    details.extend(supervision.event_details(event))
    # 协议版本 and 司法确认: the version, the old and new terms, the signing, the application, the ruling.
    details.extend(staff_judicial.event_details(event))
    if event.kind == EventKind.CLOCK_PAUSED and data.get(pauses.DATA_KEY) in pauses.PauseReason.values:
        details.append(str(pauses.PauseReason(data[pauses.DATA_KEY]).label))
    if event.kind == EventKind.LEADER_SET and data.get("to_name"):
        if data.get("from_name"):
            details.append(
                _("Leader in charge: %(from)s → %(to)s") % {"from": data["from_name"], "to": data["to_name"]}
            )
        else:
            details.append(_("Leader in charge: %(name)s") % {"name": data["to_name"]})
    return details


def _timeline(case: Dispute, lens: visibility.CaseLens, linked: frozenset[str] = frozenset()) -> list[dict]:
    events = case.events.select_related("actor__staff").order_by("-at", "-id")
    rows = []
    for event in events:
        if event.actor is not None:
            who = person_name(event.actor)
        elif event.actor_role == lifecycle.RESIDENT:
            who = _("Resident")
        else:
            who = _("System")
        rows.append(
            {
                "at": event.at,
                "who": who,
                "label": _event_label(event),
                # Callback outcomes store a code, shown in the reader's language.
                "reason": lens.text("event.text", callback_reason_text(event.reason)),
                "details": [lens.text("event.text", detail) for detail in _event_details(event, linked)],
                "kind": event.kind,
            }
        )
    return rows


def _agreement_view(lens: visibility.CaseLens, agreement: Agreement | None) -> dict | None:
    """The agreement as the page shows it to this user: its text left out (`masked`) for a bystander."""
    if agreement is None:
        return None
    return {**lens.agreement(agreement), "performance_label": agreement.get_performance_display()}


def case_context(request, case: Dispute, *, bound=None, revealed: dict | None = None) -> dict:
    """The page's context; `case` comes from `visible_case` (its PAGE_RELATIONS read with it)."""
    now = timezone.now()
    all_deadlines = list(case.deadlines.order_by("due_at", "pk"))
    deadlines = _deadlines(all_deadlines, now)
    assists = list(case.assists.select_related("department").order_by("pk"))
    next_deadline = next((r for r in deadlines if r["open"] and r["state"] != "paused"), None)
    # What this user sees of the case's people (disputes.visibility), and the sessions and agreement it shows
    # in clear logged in one insert (only for those who work the case, only when there is something to show).
    lens = visibility.case_lens(request.user, case)
    sessions = list(case.sessions.order_by("held_at", "pk"))
    agreement = getattr(case, "agreement", None)
    lens.log_full_reads(user=request.user, sessions=sessions, agreement=agreement, page="case")
    # 疑似重复: only the linked cases this user may open are named.
    links = selectors.duplicate_links(user=request.user, case=case)
    linked = selectors.linked_numbers(links) | similar_selectors.drafted_from_numbers(user=request.user, case=case)
    context = {
        "case": case,
        "duplicate_of": links.duplicate_of,
        "suspected_duplicates": links.suspected_duplicates,
        "groups": format_tracking_number(case.tracking_number).split(),
        "colour": Colour(case.colour),
        "reasons": [reason_text(r) for r in lens.triage_reasons()],
        "description": lens.text("description", case.description),
        "occurred_place": lens.text("occurred_place", case.occurred_place),
        "scale": staff_scale.scale_panel(request.user, case, bound),
        "next_deadline": next_deadline,
        "deadlines": deadlines,
        "actions": page_actions(request.user, case, bound, all_deadlines, {a.department_id for a in assists}),
        "parties": _parties(lens, revealed or {}),
        "works_case": lens.works,
        "assisting": [a.department for a in assists],
        "mediator": person_name(case.assigned_mediator),
        # 包案领导 (disputes.services.leader).
        "leader": person_name(case.leader),
        "place": case.grid.full_name(),
        "sessions": [lens.session(s) for s in sessions],
        "agreement": _agreement_view(lens, agreement),
        # 协议版本: which version was signed (and when), which is the current draft; 司法确认's panel.
        "agreement_versions": staff_judicial.versions_view(case, agreement),
        "judicial": staff_judicial.judicial_panel(case, agreement),
        "attachments": [
            {"pk": a.pk, "size": a.size, "original_name": lens.text("attachment.name", a.original_name)}
            for a in case.attachments.order_by("pk")
        ],
        "timeline": _timeline(case, lens, linked),
        # 督办: the case's open orders (disputes.staff.supervision).
        "orders_panel": supervision.case_orders_panel(request.user, case),
        # 撤回: the request awaiting the supervisor (disputes.staff.withdrawals).
        "withdrawal": withdrawals.pending_panel(case),
    }
    # 类案参考 and 当事人历史 (disputes.staff.similar), read when the reader asks for them (?similar=1): they cost
    # a search over the closed cases and a logged view of each case listed, which not every visit needs.
    context["similar_shown"] = request.GET.get("similar") == "1"
    if context["similar_shown"]:
        context.update(
            staff_similar.panels(
                request, case, may_draft=agreement is None and any(a.key == "agreement" for a in context["actions"])
            )
        )
    return context
