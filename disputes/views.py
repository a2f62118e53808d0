"""The resident's pages: submit a dispute, the confirmation, tracking, rating; and staff walk-in registration.

Thin: the forms check what was typed, `dispute_intake` stores (atomically,
for every door), the selectors decide what a resident may see. Every page
works without JavaScript; static/js only makes the place cascade and the
"add a party" button quicker.
"""

import logging
import time

from django import forms
from django.contrib.auth.decorators import login_required
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from core import ratelimit, throttling
from core.actors import Actor
from core.casework.callbacks import Satisfaction
from core.exceptions import ApplicationError, as_page_errors
from disputes import selectors, services
from disputes.forms import (
    MAX_OTHER_PARTIES,
    ApplicantForm,
    CaseForm,
    OtherPartyFormSet,
    RatingForm,
    TrackForm,
    area_field_name,
    quiet,
)
from disputes.models import Dispute
from disputes.rules import pauses
from disputes.rules.enums import Channel, EventKind, Outcome, Status, WithdrawalVia
from disputes.rules.tracking import format_tracking_number
from disputes.selectors import dispute_for_resident, dispute_get_for, resident_timeline, staff_profile
from disputes.selectors import withdrawal as withdrawal_selectors
from disputes.services import withdrawal as withdrawal_services
from disputes.services.intake import dispute_intake
from grids.models import Area, AreaLevel, Role

logger = logging.getLogger(__name__)

# Rate limits: core.throttling's table, the same counters as the public API and Open311.
# The confirmation link only works for the submitter's browser for a short while.
SUBMITTED_SALT = "submitted"
SUBMITTED_MAX_AGE = 30 * 60
# After a successful look-up the tracking page can be refreshed for this long.
TRACK_SESSION_KEY = "tracked_case"
TRACK_SESSION_SECONDS = 60 * 60

STAFF_INTAKE_ROLES = frozenset({Role.DISPATCHER, Role.SUPERVISOR, Role.ADMIN, Role.MEDIATOR, Role.DEPARTMENT_STAFF})
PARTIES_PREFIX = "parties"
APPLICANT_PREFIX = "applicant"

# Which form field an intake refusal belongs beside.
ERROR_FIELDS = {
    "description_required": "description",
    "future_date": "occurred_on",
    "date_out_of_range": "occurred_on",
    "too_many_files": "attachments",
    "file_too_large": "attachments",
    "file_type": "attachments",
}


# --- Submitting a dispute ---------------------------------------------------------------------


def _bump_total_forms(data):
    key = f"{PARTIES_PREFIX}-TOTAL_FORMS"
    try:
        total = int(data.get(key, 1))
    except ValueError:
        total = 1
    data[key] = str(min(max(total, 1) + 1, MAX_OTHER_PARTIES))


def _single_root() -> Area | None:
    roots = list(Area.objects.get_root_nodes()[:2])
    return roots[0] if len(roots) == 1 else None


def _intake_page(request, *, scope, locked_place, channel, actor, staff, template, on_success, limit):
    """The dispute form, shared by the public page (web and QR) and the walk-in page."""
    status = 200
    if request.method == "POST":
        data = request.POST.copy()
        if "add_party" in data:
            step = "add_party"
            _bump_total_forms(data)
        elif "refine" in data:
            step = "refine"
        else:
            step = "submit"
        files = request.FILES if step == "submit" else None
        case_form = CaseForm(data, files, scope=scope, staff=staff)
        applicant = ApplicantForm(data, prefix=APPLICANT_PREFIX, staff=staff)
        others = OtherPartyFormSet(data, prefix=PARTIES_PREFIX)
        general_error = ""
        if step != "submit":
            # A step on the way (no JavaScript): show the form again, judge it only when it is sent.
            quiet(case_form, applicant, others)
        else:
            result, general_error, status = _try_intake(
                request, case_form, applicant, others, channel=channel, actor=actor, staff=staff, limit=limit
            )
            if result is not None:
                return on_success(result)
        files_dropped = step != "submit" and bool(request.FILES)
    else:
        case_form = CaseForm(scope=scope, staff=staff)
        applicant = ApplicantForm(prefix=APPLICANT_PREFIX, staff=staff)
        others = OtherPartyFormSet(prefix=PARTIES_PREFIX)
        general_error = ""
        files_dropped = False
        step = ""
    context = {
        "case_form": case_form,
        "applicant": applicant,
        "others": others,
        "general_error": general_error,
        "show_errors": step == "submit",
        "files_dropped": files_dropped,
        "locked_place": locked_place,
        "staff": staff,
        "max_parties": MAX_OTHER_PARTIES,
        "area_children_url": reverse("grids:area_children", kwargs={"pk": 0}),
    }
    return render(request, template, context, status=status)


def _try_intake(request, case_form, applicant, others, *, channel, actor, staff, limit):
    """(IntakeResult, "", 200) when stored; otherwise (None, a message for the top of the form, status)."""
    if not staff and case_form.data.get("website"):
        # A robot filled the honeypot: nothing is stored, and the answer says nothing useful.
        logger.info("intake form: honeypot filled, submission dropped")
        return None, _("Your submission could not be accepted. Please try again."), 400
    valid = [case_form.is_valid(), applicant.is_valid(), others.is_valid()]
    if not all(valid):
        return None, _("Please correct the fields marked below."), 400
    if limit:
        try:
            throttling.check(throttling.SUBMIT_PER_IP, ratelimit.client_ip(request))
            throttling.check(throttling.SUBMIT_PER_PHONE, applicant.cleaned_data["phone"])
        except throttling.RateLimited as exc:
            return None, str(exc.detail), 429
    parties = [applicant.party()] + [f.party() for f in others.forms if f.has_changed() and f.cleaned_data]
    try:
        result = dispute_intake(
            category=case_form.cleaned_data["category"],
            description=case_form.cleaned_data["description"],
            occurred_at=case_form.occurred_at,
            occurred_place=case_form.cleaned_data.get("occurred_place", ""),
            grid=case_form.cleaned_data["grid"],
            channel=channel,
            parties=parties,
            attachments=case_form.cleaned_data.get("attachments") or [],
            **case_form.scale_values(),
            actor=actor,
        )
    except ApplicationError as exc:
        field = ERROR_FIELDS.get(exc.code) or exc.extra.get("field")
        if exc.code == "grid_required":
            field = area_field_name(case_form.area_levels[0]) if case_form.area_levels else None
        if field is not None and field in case_form.fields:
            case_form.add_error(field, str(exc.message))
            return None, _("Please correct the fields marked below."), 400
        return None, str(exc.message), 400
    return result, "", 200


def _place_from_query(request) -> tuple[Area | None, bool]:
    """The place of a QR code (?place=<area code>), and whether a code was given at all."""
    code = (request.GET.get("place") or "").strip()
    if not code:
        return None, False
    area = Area.objects.filter(code=code[:20], level__gte=AreaLevel.COUNTY).first()
    return area, True


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def submit(request):
    place, from_qr = _place_from_query(request)
    scope = place or _single_root()

    def done(result):
        token = signing.dumps({"d": result.dispute.pk}, salt=SUBMITTED_SALT, compress=True)
        return redirect("disputes:submitted", token=token)

    return _intake_page(
        request,
        scope=scope,
        locked_place=place,
        channel=Channel.QR if from_qr else Channel.WEB,
        actor=Actor.resident(),
        staff=False,
        template="disputes/submit.html",
        on_success=done,
        limit=True,
    )


@never_cache
def submitted(request, token: str):
    try:
        data = signing.loads(token, salt=SUBMITTED_SALT, max_age=SUBMITTED_MAX_AGE)
    except signing.BadSignature:
        raise Http404 from None
    case = Dispute.objects.filter(pk=data.get("d")).first() if isinstance(data, dict) else None
    if case is None:
        raise Http404
    response = render(
        request,
        "disputes/submitted.html",
        {"case": case, "groups": format_tracking_number(case.tracking_number).split()},
    )
    # The link carries a token: do not hand it on to other sites. Not "no-referrer": browsers
    # then send `Origin: null` with the page's own forms (language switch) and CSRF refuses them.
    response["Referrer-Policy"] = "same-origin"
    return response


# --- Tracking ---------------------------------------------------------------------------------

S = Status
STATUS_TEXT = {
    S.SUBMITTED: (
        gettext_lazy("We have received your case."),
        gettext_lazy("The centre reads it and sends it to the department that can solve it."),
    ),
    S.TRIAGED: (
        gettext_lazy("We are finding the right department."),
        gettext_lazy("The centre sends your case to the department that can solve it."),
    ),
    S.RETURNED: (
        gettext_lazy("We are finding the right department."),
        gettext_lazy("The centre sends your case to the department that can solve it."),
    ),
    S.DISPATCHED: (
        gettext_lazy("Your case has been sent to the department that will handle it."),
        gettext_lazy("The department accepts the case and a mediator contacts you."),
    ),
    S.ACCEPTED: (
        gettext_lazy("The department has accepted your case."),
        gettext_lazy("A mediator contacts you and the other side to arrange mediation."),
    ),
    S.IN_MEDIATION: (
        gettext_lazy("Mediation is under way."),
        gettext_lazy("The mediator helps everyone involved work towards an agreement."),
    ),
    S.REPORTED: (
        gettext_lazy("Your case has a result."),
        gettext_lazy("Within 7 days we ask you whether you are satisfied."),
    ),
    S.AWAITING_CALLBACK: (
        gettext_lazy("Your case has a result."),
        gettext_lazy("Within 7 days we ask you whether you are satisfied: by phone, or through the link in our SMS."),
    ),
    S.REOPENED: (
        gettext_lazy("Your case has been reopened and is being handled again."),
        gettext_lazy("The department looks at it again and a mediator contacts you."),
    ),
    S.CLOSED: (
        gettext_lazy("Your case is closed."),
        gettext_lazy("If the problem comes back, you can submit a new case."),
    ),
    S.WITHDRAWN: (
        gettext_lazy("The case was withdrawn."),
        gettext_lazy("If you still need help, you can submit a new case."),
    ),
}
# Where the lead department is worth naming to the resident.
DEPARTMENT_SHOWN = frozenset(
    {S.DISPATCHED, S.ACCEPTED, S.IN_MEDIATION, S.REPORTED, S.AWAITING_CALLBACK, S.REOPENED, S.CLOSED}
)
ACTION_TEXT = {
    "submit": gettext_lazy("Case received"),
    "triage": gettext_lazy("Case read by the centre"),
    "dispatch": gettext_lazy("Sent to the department handling it"),
    "transfer": gettext_lazy("Passed to another department"),
    "return": gettext_lazy("Being sent to the right department"),
    "accept": gettext_lazy("Accepted by the department"),
    "start_mediation": gettext_lazy("Mediation started"),
    "report_back": gettext_lazy("Result reported"),
    "await_callback": gettext_lazy("Waiting for your opinion of the result"),
    "close": gettext_lazy("Case closed"),
    "reopen": gettext_lazy("Case reopened"),
    "resume": gettext_lazy("Mediation resumed"),
    "withdraw": gettext_lazy("Case withdrawn"),
    # A suspected duplicate merged by staff: nothing about the case it joined.
    "merge_duplicate": gettext_lazy("Case closed by the centre"),
}
KIND_TEXT = {
    EventKind.SUPPLEMENTED: gettext_lazy("You added more information"),
    EventKind.ATTACHMENT_ADDED: gettext_lazy("Files added"),
    # EventKind.CLOCK_PAUSED: its category's words (disputes.rules.pauses), in resident_events.
    EventKind.CLOCK_RESUMED: gettext_lazy("Handling continues"),
    EventKind.WITHDRAWAL_REQUESTED: gettext_lazy("You asked to withdraw the case"),
    # Public only when refused: an approval shows as the withdrawal itself.
    EventKind.WITHDRAWAL_DECIDED: gettext_lazy("The centre did not approve the withdrawal: handling continues"),
}


def resident_events(case: Dispute) -> list[dict]:
    """The public timeline in plain words: a label, a time and (for a result) the outcome. Never reasons or names."""
    rows = []
    for event in resident_timeline(case):
        if event.kind == EventKind.TRANSITION:
            label = ACTION_TEXT.get(event.action)
        elif event.kind == EventKind.CLOCK_PAUSED:
            # The category staff chose, never their free-text reason (it may name people or an illness).
            label = pauses.resident_pause_text(event.data)
        else:
            label = KIND_TEXT.get(event.kind)
        if label is None:
            continue
        detail = ""
        outcome = (event.data or {}).get("outcome") if event.action == "report_back" else None
        if outcome in Outcome.values:
            detail = Outcome(outcome).label
        rows.append({"at": event.at, "label": label, "detail": detail})
    return rows


def _tracked_case(request) -> Dispute | None:
    saved = request.session.get(TRACK_SESSION_KEY)
    if not isinstance(saved, dict) or saved.get("until", 0) < time.time():
        return None
    return Dispute.objects.select_related("category", "lead_department").filter(tracking_number=saved.get("n")).first()


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def track(request):
    status = 200
    message = ""
    if request.method == "POST" and "forget" in request.POST:
        request.session.pop(TRACK_SESSION_KEY, None)
        return HttpResponseRedirect(reverse("disputes:track"))
    if request.method == "POST" and "withdrawal" in request.POST:
        return _track_withdrawal(request)
    if request.method == "POST":
        form = TrackForm(request.POST)
        if form.is_valid():
            number = form.cleaned_data["tracking_number"]
            ip = ratelimit.client_ip(request)
            failures = throttling.tracking_failures(ip, number)
            try:
                throttling.check(throttling.TRACK_PER_IP, ip)
                throttling.check_exhausted(*failures)
            except throttling.RateLimited as exc:
                message = str(exc.detail)
                status = 429
            else:
                case = dispute_for_resident(tracking_number=number, phone=form.cleaned_data["phone"])
                if case is not None:
                    request.session.cycle_key()
                    request.session[TRACK_SESSION_KEY] = {"n": number, "until": time.time() + TRACK_SESSION_SECONDS}
                    return HttpResponseRedirect(reverse("disputes:track"))
                throttling.count_each(*failures)
                # The same words whether the number is unknown or the phone does not match.
                message = _(
                    "We could not find a case with this tracking number and phone number. Check both and try again."
                )
                status = 400
        else:
            status = 400
        return render(request, "disputes/track.html", {"form": form, "message": message}, status=status)
    case = _tracked_case(request)
    if case is None:
        return render(request, "disputes/track.html", {"form": TrackForm()})
    return _track_case_page(request, case)


def _track_case_page(request, case: Dispute, withdrawal_form: "ResidentWithdrawalForm | None" = None, status=200):
    sentence, next_step = STATUS_TEXT.get(case.status, ("", ""))
    pending = withdrawal_selectors.withdrawal_pending_of(case)
    may_withdraw = pending is None and case.status in withdrawal_services.OPEN_STATES
    # A refusal when the form is no longer offered (the case moved on, or a request came in meanwhile).
    refusal = " ".join(withdrawal_form.non_field_errors()) if withdrawal_form and not may_withdraw else ""
    return render(
        request,
        "disputes/track_case.html",
        {
            "case": case,
            "groups": format_tracking_number(case.tracking_number).split(),
            "sentence": sentence,
            "next_step": next_step,
            "department": case.lead_department if case.status in DEPARTMENT_SHOWN else None,
            "events": resident_events(case),
            "withdrawal_pending": pending,
            "withdrawal_form": (withdrawal_form or ResidentWithdrawalForm()) if may_withdraw else None,
            "withdrawal_refusal": refusal,
        },
        status=status,
    )


class ResidentWithdrawalForm(forms.Form):
    """申请撤回 from the tracking page: the reason; a supervisor of the centre approves it."""

    reason = forms.CharField(
        label=gettext_lazy("Why do you want to withdraw your case?"),
        max_length=withdrawal_services.MAX_REASON,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def _track_withdrawal(request):
    """The resident (proven by tracking number and phone in this session) asks to withdraw their case."""
    case = _tracked_case(request)
    if case is None:
        return HttpResponseRedirect(reverse("disputes:track"))
    form = ResidentWithdrawalForm(request.POST)
    if form.is_valid():
        try:
            withdrawal_services.withdrawal_request(
                dispute=case, actor=Actor.resident(), via=WithdrawalVia.SMS_LINK, reason=form.cleaned_data["reason"]
            )
        except ApplicationError as exc:
            form.add_error("reason" if exc.extra.get("field") == "reason" else None, str(exc.message))
        else:
            return HttpResponseRedirect(reverse("disputes:track"))
    return _track_case_page(request, case, form, status=400)


# --- Rating (the link in the closing SMS) -------------------------------------------------------


@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def rate(request, token: str):
    case = selectors.dispute_from_rating_token(token)
    if case is None:
        raise Http404
    context = {"case": case, "outcome": Outcome(case.outcome).label if case.outcome in Outcome.values else ""}
    refusal = selectors.rating_refusal(case)
    if refusal:
        return _rate_response(request, "disputes/rate.html", {**context, "refusal": refusal})
    if request.method == "POST":
        form = RatingForm(request.POST)
        if form.is_valid():
            try:
                services.callback_record_resident_rating(
                    dispute=case,
                    satisfaction=form.cleaned_data["satisfaction"],
                    remarks=form.cleaned_data["remarks"],
                )
            except ApplicationError as exc:
                return _rate_response(request, "disputes/rate.html", {**context, "refusal": str(exc.message)}, 409)
            dissatisfied = form.cleaned_data["satisfaction"] == Satisfaction.DISSATISFIED
            return _rate_response(request, "disputes/rate_done.html", {**context, "dissatisfied": dissatisfied})
        return _rate_response(request, "disputes/rate.html", {**context, "form": form}, 400)
    return _rate_response(request, "disputes/rate.html", {**context, "form": RatingForm()})


def _rate_response(request, template, context, status=200):
    response = render(request, template, context, status=status)
    # The token in the link stays on this site. Not "no-referrer": the browser would send
    # `Origin: null` with the rating form's POST, and CSRF protection refuses that.
    response["Referrer-Policy"] = "same-origin"
    return response


# --- Staff: walk-in and phone registration ----------------------------------------------------------


def _staff_scope(user) -> Area | None:
    """Where this staff member may register cases: their area, or everything for admins."""
    profile = staff_profile(user)
    if profile is None:
        if user.is_superuser:
            return _single_root()
        raise PermissionDenied
    if profile.role not in STAFF_INTAKE_ROLES:
        raise PermissionDenied
    if profile.role == Role.ADMIN:
        return _single_root()
    return profile.area


@login_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def walk_in(request):
    scope = _staff_scope(request.user)

    def done(result):
        return redirect("disputes:walk_in_done", tracking_number=result.dispute.tracking_number)

    return _intake_page(
        request,
        scope=scope,
        locked_place=None,
        channel=Channel.WALK_IN,
        actor=Actor.for_user(request.user),
        staff=True,
        template="disputes/walk_in.html",
        on_success=done,
        limit=False,
    )


@login_required
@never_cache
def walk_in_done(request, tracking_number: str):
    _staff_scope(request.user)
    with as_page_errors():
        case = dispute_get_for(request.user, tracking_number)
    return render(
        request,
        "disputes/walk_in_done.html",
        {"case": case, "groups": format_tracking_number(case.tracking_number).split()},
    )
