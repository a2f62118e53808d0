"""Staff pages: the case page (案件详情) and its actions, the attachment download and the agreement print view.

What a mediator sees first: the tracking number, the ticket colour in words
with the reasons triage gave, the status, and the nearest deadline with the
time left; then the actions open to them now, the parties (masked, with a
reveal button for those working the case), the facts, sessions, agreement,
attachments and the timeline (newest first: a mediator coming back to a case
wants what changed since last time; the submission is at the bottom).

Every action is a small POST form handled by `case_action`, which calls the
service and redirects back with a message. The page offers exactly the
actions of `workbench.case_actions`, the same checks the services apply.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from core import audit
from core.actors import Actor
from core.exceptions import ApplicationError, NotFoundError, PermissionDeniedError, as_page_errors
from core.masking import mask_address, mask_id_number, mask_phone
from core.models import PersonalDataAccess
from core.templatetags.form_fields import field_html
from disputes import duplicates, intake, scale, services, similar, visibility, workbench
from disputes.callbacks import callback_reason_text
from disputes.models import Agreement, Attachment, CaseEvent, Dispute
from disputes.rules import lifecycle
from disputes.rules.clocks import time_left_words
from disputes.rules.enums import Colour, EventKind, Outcome, PartyRole, Status
from disputes.rules.tracking import format_tracking_number, normalise_tracking_number
from disputes.rules.triage import reason_text
from disputes.selectors import disputes_visible_to
from disputes.staff import case_forms as f
from disputes.staff import options
from disputes.staff import scale as staff_scale
from disputes.staff import similar as staff_similar

# --- The actions -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ActionSpec:
    label: Any
    done: Any  # the message after it worked
    # The form's fields are the whole input; a "simple" action is a button.
    simple: bool = False
    danger: bool = False


ACTIONS: dict[str, ActionSpec] = {
    "accept": ActionSpec(lifecycle.TRANSITIONS["accept"].label, gettext_lazy("You have accepted the case."), True),
    "start_mediation": ActionSpec(
        lifecycle.TRANSITIONS["start_mediation"].label, gettext_lazy("Mediation has started."), True
    ),
    "resume": ActionSpec(lifecycle.TRANSITIONS["resume"].label, gettext_lazy("Mediation has resumed."), True),
    "session": ActionSpec(gettext_lazy("Record a mediation session"), gettext_lazy("The session has been recorded.")),
    "agreement": ActionSpec(
        gettext_lazy("Draft or edit the mediation agreement"), gettext_lazy("The agreement has been saved.")
    ),
    "report_back": ActionSpec(
        lifecycle.TRANSITIONS["report_back"].label, gettext_lazy("The outcome has been reported back.")
    ),
    "performance": ActionSpec(
        gettext_lazy("Record the performance of the agreement"), gettext_lazy("The performance has been recorded.")
    ),
    "note": ActionSpec(gettext_lazy("Add a note"), gettext_lazy("The note has been added.")),
    "assistance": ActionSpec(
        gettext_lazy("Ask another department for assistance"), gettext_lazy("The department has been asked to assist.")
    ),
    "pause": ActionSpec(
        gettext_lazy("Pause the clock while waiting on a party"), gettext_lazy("The clock has been paused.")
    ),
    "resume_clock": ActionSpec(gettext_lazy("Resume the clock"), gettext_lazy("The clock has been resumed."), True),
    "colour": ActionSpec(gettext_lazy("Change the colour"), gettext_lazy("The colour has been changed.")),
    "dispatch": ActionSpec(lifecycle.TRANSITIONS["dispatch"].label, gettext_lazy("The case has been dispatched.")),
    "transfer": ActionSpec(
        lifecycle.TRANSITIONS["transfer"].label, gettext_lazy("The case has been transferred."), danger=True
    ),
    "return": ActionSpec(
        lifecycle.TRANSITIONS["return"].label, gettext_lazy("The case has been returned to dispatch."), danger=True
    ),
    "withdraw": ActionSpec(
        lifecycle.TRANSITIONS["withdraw"].label, gettext_lazy("The case has been withdrawn."), danger=True
    ),
    # 疑似重复 (disputes.duplicates): the label names the earlier case (`page_actions`).
    "merge_duplicate": ActionSpec(
        gettext_lazy("Merge into the earlier case %(number)s"),
        gettext_lazy("The case has been merged into the earlier case."),
        danger=True,
    ),
    "dismiss_duplicate": ActionSpec(
        gettext_lazy("Not a duplicate: remove the link"), gettext_lazy("The link to the earlier case has been removed.")
    ),
}
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
}
DEPARTMENT_ACTIONS = ("dispatch", "transfer", "assistance")
AGREEMENT_PREFIX = "report_back-agreement"


def _excluded_departments(action: str, case: Dispute, assisting: set[int] | None = None) -> set[int]:
    """The departments a department action cannot choose: the lead one, and for assistance those assisting."""
    exclude = {case.lead_department_id} if case.lead_department_id else set()
    if action == "assistance":
        exclude |= set(case.assists.values_list("department_id", flat=True)) if assisting is None else assisting
    return exclude


def _forms_for(action: str, case: Dispute, data=None, assisting: set[int] | None = None) -> list:
    """The bound (data given) or blank forms of one action: usually one, two for the report-back."""
    prefix = action
    if action in ("accept", "start_mediation", "resume", "resume_clock"):
        return [f.EmptyForm(data, prefix=prefix)]
    if action in ("return", "withdraw", "pause", "merge_duplicate", "dismiss_duplicate"):
        return [f.ReasonForm(data, prefix=prefix)]
    if action in DEPARTMENT_ACTIONS:
        exclude = _excluded_departments(action, case, assisting)
        return [f.DepartmentForm(data, prefix=prefix, case=case, exclude=exclude, reason_required=action == "transfer")]
    if action == "note":
        return [f.NoteForm(data, prefix=prefix)]
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
    if action == "performance":
        return [f.PerformanceForm(data, prefix=prefix)]
    raise Http404


def _valid(action: str, forms: list) -> bool:
    if action == "report_back":
        report, agreement = forms
        ok = report.is_valid()
        # The agreement's fields only count when the outcome is an agreement.
        if report.cleaned_data.get("outcome") == Outcome.AGREEMENT:
            ok = agreement.is_valid() and ok
        return ok
    return all(form.is_valid() for form in forms)


def _run(action: str, case: Dispute, actor: Actor, forms: list) -> None:
    """Call the service for one valid action. Any refusal is an ApplicationError and nothing is saved."""
    values = forms[0].cleaned_data
    if action in ("accept", "start_mediation", "resume", "return", "withdraw"):
        services.dispute_transition(dispute=case, action=action, actor=actor, reason=values.get("reason", ""))
    elif action in ("dispatch", "transfer"):
        services.dispute_transition(
            dispute=case, action=action, actor=actor, reason=values["reason"], data={"department": values["department"]}
        )
    elif action == "assistance":
        services.dispute_request_assistance(
            dispute=case, actor=actor, department=values["department"], reason=values["reason"]
        )
    elif action == "note":
        services.dispute_add_note(dispute=case, actor=actor, text=values["text"])
    elif action == "colour":
        services.dispute_override_colour(dispute=case, actor=actor, colour=values["colour"], reason=values["reason"])
    elif action == "pause":
        services.dispute_pause_clock(dispute=case, actor=actor, reason=values["reason"])
    elif action == "resume_clock":
        services.dispute_resume_clock(dispute=case, actor=actor)
    elif action == "session":
        workbench.session_record(dispute=case, actor=actor, **values)
    elif action == "agreement":
        workbench.agreement_save(dispute=case, actor=actor, values=values)
    elif action == "report_back":
        agreement = forms[1].cleaned_data if values["outcome"] == Outcome.AGREEMENT else None
        workbench.outcome_report(
            dispute=case,
            actor=actor,
            outcome=values["outcome"],
            reason=values["reason"],
            referral_reference=values["referral_reference"],
            agreement=agreement,
        )
    elif action == "performance":
        workbench.agreement_record_performance(
            dispute=case, actor=actor, performance=values["performance"], remarks=values["remarks"]
        )
    elif action == "merge_duplicate":
        duplicates.dispute_merge_duplicate(
            actor=actor, duplicate=case, into=case.duplicate_of_id or 0, reason=values["reason"]
        )
    elif action == "dismiss_duplicate":
        duplicates.dispute_dismiss_duplicate(actor=actor, duplicate=case, reason=values["reason"])


def _place_error(forms: list, exc: ApplicationError) -> bool:
    """Put a service's refusal beside its field when it has one; False if it is about the whole action."""
    name = ERROR_FIELDS.get(exc.code)
    fields = list(exc.extra.get("fields", [])) if exc.code == "agreement_incomplete" else ([name] if name else [])
    placed = False
    for form in forms:
        for field_name in fields:
            if field_name in form.fields:
                form.add_error(field_name, str(exc.message))
                placed = True
    return placed


# --- Views ------------------------------------------------------------------------------------------


# What the case page shows of the case's own relations, read with it.
PAGE_RELATIONS = ("category", "grid", "lead_department", "assigned_mediator__staff", "agreement")


def visible_case(request, tracking_number: str) -> Dispute:
    """The case a staff page works on, with what the page reads of it; 404 outside the reader's jurisdiction."""
    case = (
        disputes_visible_to(request.user)
        .select_related(*PAGE_RELATIONS)
        .filter(tracking_number=normalise_tracking_number(tracking_number))
        .first()
    )
    if case is None:
        # Outside the user's jurisdiction looks the same as a number that does not exist.
        raise Http404
    return case


def _case_url(case: Dispute) -> str:
    return reverse("disputes:case", kwargs={"tracking_number": case.tracking_number})


@login_required
@never_cache
@require_GET
def case_page(request, tracking_number: str):
    case = visible_case(request, tracking_number)
    return render(request, "disputes/staff/case.html", case_context(request, case))


@login_required
@never_cache
@require_POST
def case_action(request, tracking_number: str, action: str):
    case = visible_case(request, tracking_number)
    if action not in ACTIONS:
        raise Http404
    actor = Actor.for_user(request.user)
    forms = _forms_for(action, case, request.POST)
    if _valid(action, forms):
        try:
            with transaction.atomic():
                _run(action, case, actor, forms)
        except NotFoundError:
            raise Http404 from None
        except PermissionDeniedError as exc:
            # Not the user's to do (a posted action the page does not offer them): a 403, as the API answers,
            # on the case page with the service's reason.
            messages.error(request, str(exc.message))
            context = case_context(request, visible_case(request, tracking_number))
            return render(request, "disputes/staff/case.html", context, status=403)
        except ApplicationError as exc:
            if not _place_error(forms, exc):
                messages.error(request, str(exc.message))
                return HttpResponseRedirect(_case_url(case), status=303)
        else:
            messages.success(request, str(ACTIONS[action].done))
            return HttpResponseRedirect(_case_url(case), status=303)
    context = case_context(request, visible_case(request, tracking_number), bound=(action, forms))
    return render(request, "disputes/staff/case.html", context, status=400)


@login_required
@never_cache
@require_POST
def case_reveal(request, tracking_number: str, party_id: int):
    """Show one field of one party in clear on the page (logged); nothing is kept for the next request."""
    case = visible_case(request, tracking_number)
    field_name = request.POST.get("field", "")
    try:
        value = workbench.party_reveal(user=request.user, dispute=case, party_id=party_id, field=field_name)
    except ApplicationError as exc:
        if exc.code not in audit.REVEAL_HELD_BACK_CODES:
            with as_page_errors():
                raise
        # No second factor yet, or the hour's reveals used up: the case page, masked, says why.
        messages.error(request, str(exc.message))
        return render(request, "disputes/staff/case.html", case_context(request, case), status=exc.status_code)
    context = case_context(request, case, revealed={(party_id, field_name): value})
    return render(request, "disputes/staff/case.html", context)


@login_required
@never_cache
@require_GET
def case_attachment(request, tracking_number: str, pk: int):
    """附件: the private file, to those who work the case (disputes.visibility), always as a download and never
    sniffed; each download is logged. Photos of ID cards and contracts are personal data like the agreement."""
    case = visible_case(request, tracking_number)
    attachment = Attachment.objects.filter(dispute=case, pk=pk).first()
    if attachment is None:
        raise Http404
    if not workbench.user_works_case(request.user, case):
        raise PermissionDenied(_("Only the people working this case may open its attachments."))
    stored = intake.attachment_path(attachment.storage_name)
    if not stored.is_file():
        raise Http404
    audit.log_records_shown(
        user=request.user,
        case_ref=case.tracking_number,
        records=[("attachment", attachment.pk)],
        page="case_attachment",
    )
    response = FileResponse(
        stored.open("rb"),
        as_attachment=True,
        # Rows stored before names were normalised at intake get the same treatment here.
        filename=intake.download_name(attachment.original_name, attachment.content_type),
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@never_cache
@require_GET
def agreement_print(request, tracking_number: str):
    """调解协议书 on A4, in clear for those working the case; each print is logged."""
    case = visible_case(request, tracking_number)
    agreement = Agreement.objects.filter(dispute=case).first()
    if agreement is None:
        raise Http404
    if not workbench.user_works_case(request.user, case):
        raise PermissionDenied
    audit.log_personal_data_access(
        user=request.user,
        action=PersonalDataAccess.Action.PRINT,
        what="agreement",
        case_ref=case.tracking_number,
        object_id=agreement.pk,
    )
    order = {PartyRole.APPLICANT: 0, PartyRole.RESPONDENT: 1, PartyRole.THIRD_PARTY: 2}
    parties = sorted(case.parties.all(), key=lambda p: (order.get(p.role, 9), p.pk))
    return render(
        request,
        "disputes/staff/agreement_print.html",
        {
            "case": case,
            "agreement": agreement,
            "parties": parties,
            "number": format_tracking_number(case.tracking_number),
            "mediator": _person(case.assigned_mediator),
            "case_url": _case_url(case),
        },
    )


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
        "withdraw",
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
        return (case.area_path, tuple(sorted(_excluded_departments(key, case, assisting))))
    return None


def _fields_of(form) -> str:
    return "".join(field_html(bound) for bound in form)


def _usable(key: str, forms: list) -> bool:
    """Whether an action's form can be filled in: a department action needs a department to choose."""
    return not (key in DEPARTMENT_ACTIONS and not forms[0].has_choices)


def _blank_forms(key: str, case: Dispute, assisting: set[int]) -> tuple[list[FormView], bool]:
    """The blank forms of one action as HTML, and whether it can be filled in (a department to choose)."""

    def build() -> tuple[list[FormView], bool]:
        forms = _forms_for(key, case, assisting=assisting)
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


def _person(user) -> str:
    if user is None:
        return ""
    profile = getattr(user, "staff", None)
    return (profile.display_name if profile is not None else "") or user.get_username()


def page_actions(
    user, case: Dispute, bound=None, deadlines: list | None = None, assisting: set[int] | None = None
) -> list[ActionView]:
    """The action forms shown on the page, in the order a mediator works a case.

    `bound` is (action, forms) after a refused post: that action's forms with their
    errors, open. `deadlines` and `assisting` (the assisting departments' ids), when
    the caller has read them, save reading them again.
    """
    allowed = workbench.case_actions(user=user, case=case, deadlines=deadlines)
    if assisting is None:
        assisting = set(case.assists.values_list("department_id", flat=True))
    url = reverse("disputes:case_action", kwargs={"tracking_number": case.tracking_number, "action": "ACTION"})
    shown = []
    for key, spec in ACTIONS.items():
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
        for name in workbench.REVEALABLE_FIELDS:
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


# An event's link to another case (disputes.duplicates): the data key, and the sentence naming that case.
DUPLICATE_DETAILS = (
    ("duplicate_of", gettext_lazy("The earlier case: %(number)s")),
    ("duplicate", gettext_lazy("The later case: %(number)s")),
    ("merged_from", gettext_lazy("Text and files of case %(number)s")),
    # 参照起草 (disputes.similar): the similar case the agreement was drafted from.
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
    return details


def _timeline(case: Dispute, lens: visibility.CaseLens, linked: frozenset[str] = frozenset()) -> list[dict]:
    events = case.events.select_related("actor__staff").order_by("-at", "-id")
    rows = []
    for event in events:
        if event.actor is not None:
            who = _person(event.actor)
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
    links = duplicates.duplicate_links(user=request.user, case=case)
    linked = duplicates.linked_numbers(links) | similar.drafted_from_numbers(user=request.user, case=case)
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
        "mediator": _person(case.assigned_mediator),
        "place": case.grid.full_name(),
        "sessions": [lens.session(s) for s in sessions],
        "agreement": _agreement_view(lens, agreement),
        "attachments": [
            {"pk": a.pk, "size": a.size, "original_name": lens.text("attachment.name", a.original_name)}
            for a in case.attachments.order_by("pk")
        ],
        "timeline": _timeline(case, lens, linked),
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


urlpatterns = [
    path("case/<str:tracking_number>/", case_page, name="case"),
    path("case/<str:tracking_number>/do/<slug:action>/", case_action, name="case_action"),
    path("case/<str:tracking_number>/parties/<int:party_id>/reveal/", case_reveal, name="case_reveal"),
    path("case/<str:tracking_number>/attachments/<int:pk>/", case_attachment, name="case_attachment"),
    path("case/<str:tracking_number>/agreement/print/", agreement_print, name="agreement_print"),
]
