"""Staff pages for 回访 (the callers' queue and the record form) and 抽查 (supervisors' spot checks).

Thin: the selectors and services are in `disputes.callbacks`. Every page works
without JavaScript: plain links and forms, errors beside the fields.
"""

from datetime import timedelta

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from core.actors import Actor
from core.audit import phones_for_callback
from core.casework.callbacks import Counted, next_counting_at, spread_rule, unanswered_counted
from core.casework.forms import CallbackAttemptForm
from core.durations import time_left_words
from core.exceptions import ApplicationError, NotFoundError, as_page_errors
from core.masking import mask_name, mask_phone
from disputes import callbacks, selectors, services, visibility
from disputes.models import Agreement, Dispute, SpotCheck
from disputes.rules.enums import DeadlineKind, PartyRole, Status
from disputes.selectors import dispute_get_for

PAGE_SIZE = 25


# --- Forms -----------------------------------------------------------------------------------------------


class CaseCallbackForm(CallbackAttemptForm):
    """A case's callback call: which party was called (the first applicant unless chosen), then the
    shared fields. 满意率 counts each party's latest answer."""

    party = forms.TypedChoiceField(
        label=_("Who did you call?"), coerce=int, empty_value=None, required=False, widget=forms.RadioSelect
    )

    def __init__(self, *args, parties: list[tuple[int, str]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["party"].choices = parties
        if parties:
            self.fields["party"].initial = parties[0][0]
        self.order_fields(["party", "reached", "satisfaction", "remarks"])


class SpotCheckPeriodForm(forms.Form):
    since = forms.DateField(label=_("Closed from"), widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("Closed until"), widget=forms.DateInput(attrs={"type": "date"}))
    size = forms.IntegerField(
        label=_("Number of cases to draw"), min_value=1, max_value=callbacks.SPOT_CHECK_MAX_SIZE, initial=10
    )

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", _("The start of the period must not be after its end."))
        return data


class SpotCheckForm(forms.Form):
    """One row's form; prefixed with the case so that field ids stay unique on the page."""

    result = forms.ChoiceField(
        label=_("Result of the check"), choices=SpotCheck.Result.choices, widget=forms.RadioSelect
    )
    remarks = forms.CharField(
        label=_("Remarks"),
        required=False,
        max_length=callbacks.MAX_REMARKS,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when you found a problem."),
    )

    def clean(self):
        data = super().clean()
        if data.get("result") == SpotCheck.Result.PROBLEM and not (data.get("remarks") or "").strip():
            self.add_error("remarks", _("Say what the problem is."))
        return data


# --- Helpers ---------------------------------------------------------------------------------------------


def _require_role(user, roles) -> Actor:
    actor = Actor.for_user(user)
    if actor.role not in roles:
        raise PermissionDenied
    return actor


def _applicant_label(case: Dispute) -> dict:
    applicants = getattr(case, "applicants", None)
    if applicants is None:
        applicants = list(case.parties.filter(role=PartyRole.APPLICANT).order_by("pk"))
    first = applicants[0] if applicants else None
    return {
        "name": mask_name(first.name) if first else "",
        "phone": mask_phone(first.phone) if first else "",
        "more": max(len(applicants) - 1, 0),
    }


def _agreement_of(case: Dispute) -> Agreement | None:
    return Agreement.objects.filter(dispute=case).first()


# --- 回访: the queue and the record form ----------------------------------------------------------------


def items_html(items: list[dict], *, now, max_unanswered: int) -> str:
    """The worklist's items, built in Python: through the template engine each item cost about
    0.3 ms of CPU (two links, two plural phrases, a date), half of the page. Every value is escaped."""
    e = escape
    record = reverse("disputes:callback_record", args=["NUMBER"])
    labels = {key: e(str(text)) for key, text in CALLBACK_ITEM_LABELS.items()}
    html = []
    for item in items:
        case = item["case"]
        link = e(record.replace("NUMBER", case.tracking_number))
        due = case.callback_due
        if item["overdue"]:
            when = f"<strong>{e(time_left_words(due, now))}</strong>"
        else:
            when = e(time_left_words(due, now))
        applicant = item["applicant"]
        who = e(applicant["name"] or "—")
        if applicant["phone"]:
            who += f" · {e(applicant['phone'])}"
        if applicant["more"]:
            n = applicant["more"]
            who += " " + e(ngettext("and %(n)s other", "and %(n)s others", n) % {"n": n})
        if item["unanswered"]:
            n = item["unanswered"]
            calls = e(
                ngettext("%(n)s unanswered call of %(max)s", "%(n)s unanswered calls of %(max)s", n)
                % {"n": n, "max": max_unanswered}
            )
        else:
            calls = labels["none"]
        handled = ""
        if case.lead_department:
            handled = f"<dt>{labels['handled']}</dt><dd>{e(case.lead_department.display_name)}</dd>"
        html.append(
            f'<li class="worklist__item{" worklist__item--overdue" if item["overdue"] else ""}">'
            f'<p class="worklist__title"><a href="{link}">{e(case.tracking_number_display)}</a> · '
            f"{e(case.category.display_name)}</p>"
            f'<p class="worklist__due">{when} '
            f'<span class="muted">({timezone.localtime(due):%Y-%m-%d %H:%M})</span></p>'
            f'<dl class="facts"><dt>{labels["applicant"]}</dt><dd>{who}</dd>'
            f"<dt>{labels['result']}</dt><dd>{e(case.get_outcome_display() or '—')}</dd>{handled}"
            f"<dt>{labels['calls']}</dt><dd>{calls}</dd></dl>"
            f'<p><a class="button" href="{link}">{labels["call"]}</a></p></li>'
        )
    return mark_safe("\n".join(html))  # noqa: S308 - every value above went through escape()  # nosec B308 B703


CALLBACK_ITEM_LABELS = {
    "applicant": _("Applicant"),
    "result": _("Result"),
    "handled": _("Handled by"),
    "calls": _("Calls so far"),
    "none": _("None yet"),
    "call": _("Call back"),
}


@login_required
@never_cache
def callback_queue(request):
    """The cases awaiting a callback in the user's area, oldest due first, by keyset pages."""
    _require_role(request.user, callbacks.CALLBACK_ROLES)
    query = request.GET.get("q", "").strip()[:100]
    queryset = selectors.callback_queue_search(selectors.callback_queue(user=request.user), query, user=request.user)
    rows = list(selectors.callback_queue_after(queryset, request.GET.get("after"))[: PAGE_SIZE + 1])
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    now = timezone.now()
    items = [
        {
            "case": case,
            "applicant": _applicant_label(case),
            "overdue": case.callback_due < now,
            "unanswered": sum(1 for a in selectors.attempts_this_round(case) if not a.reached),
        }
        for case in rows
    ]
    recorded = None
    number = request.GET.get("recorded")
    if number:
        try:
            recorded = dispute_get_for(request.user, number)
        except NotFoundError:
            recorded = None  # not theirs to see: the page names no case
    next_url = None
    searched = {"q": query} if query else {}
    first_url = None
    if request.GET.get("after"):  # a later page: back to the oldest, the search kept
        first_url = request.path + (f"?{urlencode(searched)}" if searched else "")
    if more and rows:
        next_url = f"{request.path}?{urlencode({**searched, 'after': selectors.queue_cursor(rows[-1])})}"
    return render(
        request,
        "disputes/staff/callbacks.html",
        {
            "items": items,
            "items_html": items_html(items, now=now, max_unanswered=callbacks.MAX_UNANSWERED),
            "next_url": next_url,
            "first_url": first_url,
            "query": query,
            "clear_url": request.path if query else None,
            "recorded": recorded,
        },
    )


@login_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def callback_record(request, tracking_number: str):
    """One case's callback: the summary, the applicant's phone in clear (logged), earlier attempts, the form."""
    actor = _require_role(request.user, callbacks.CALLBACK_ROLES)
    with as_page_errors():
        case = dispute_get_for(request.user, tracking_number)
    awaiting = case.status == Status.AWAITING_CALLBACK
    posted = request.method == "POST"
    # Which unanswered calls count towards "unreachable", and when the next would (core.casework.callbacks).
    rule = spread_rule()
    counted = unanswered_counted(selectors.unanswered_times(case), rule=rule) if awaiting else Counted()
    next_at = next_counting_at(counted, rule=rule)
    parties = list(case.parties.order_by("pk"))
    applicants = [p for p in parties if p.role == PartyRole.APPLICANT]
    # A caller sees this page before the report-back too: then they do not work the case, and its
    # description, names and agreement are masked or left out as on the case page (disputes.visibility).
    lens = visibility.case_lens(request.user, case, parties=parties)
    # The applicants first (the first is the default), then the others, named as in "Who to call" below.
    called = [
        (p.pk, f"{p.get_role_display()}: {lens.party_name(p) if p.role == PartyRole.APPLICANT else mask_name(p.name)}")
        for p in [*applicants, *(p for p in parties if p.role != PartyRole.APPLICANT)]
    ]
    # After the verdict closed the case, the parties not yet asked may still be called (for 满意率 by parties).
    further = [] if awaiting else services.callback_further_parties(case)
    if further:
        called = [(p.pk, f"{p.get_role_display()}: {mask_name(p.name)}") for p in further]
    form = (
        CaseCallbackForm(request.POST if posted else None, next_counting_at=next_at, parties=called)
        if awaiting or further
        else None
    )
    if further and form is not None:
        form.fields["party"].required = True
    status = 200
    if posted and form is not None:
        if form.is_valid():
            try:
                services.callback_record_attempt(
                    dispute=case,
                    actor=actor,
                    reached=form.cleaned_data["reached"] == "yes",
                    satisfaction=form.cleaned_data["satisfaction"],
                    remarks=form.cleaned_data["remarks"],
                    party=form.cleaned_data.get("party"),
                )
            except ApplicationError as exc:
                exc.add_to_form(form)
            else:
                query = urlencode({"recorded": case.tracking_number})
                return HttpResponseRedirect(f"{reverse('disputes:callbacks')}?{query}")
        status = 400
    elif posted:
        status = 409
    agreement = _agreement_of(case)
    lens.log_full_reads(user=request.user, agreement=agreement, page="callback_record")
    in_clear, held_back = False, ""
    if further:
        # The caller works this callback still: the parties left to ask, their phones in clear, logged.
        in_clear, held_back = phones_for_callback(
            user=request.user,
            people=further,
            what="party.phone",
            case_ref=case.tracking_number,
            page="callback_record",
        )
    elif awaiting:
        # The caller works this callback: the applicants' phones are shown in clear, and each view is logged.
        in_clear, held_back = phones_for_callback(
            user=request.user,
            people=applicants,
            what="party.phone",
            case_ref=case.tracking_number,
            page="callback_record",
        )
    return render(
        request,
        "disputes/staff/callback_record.html",
        {
            "case": case,
            "form": form,
            "awaiting": awaiting,
            "further": [
                {"party": p, "name": mask_name(p.name), "phone": p.phone if in_clear else mask_phone(p.phone)}
                for p in further
            ],
            "held_back": held_back,
            "description": lens.text("description", case.description),
            "applicants": [
                {"party": p, "name": lens.party_name(p), "phone": p.phone if in_clear else mask_phone(p.phone)}
                for p in applicants
            ],
            "others": [
                {"party": p, "name": mask_name(p.name), "phone": mask_phone(p.phone)}
                for p in parties
                if p.role != PartyRole.APPLICANT
            ],
            "agreement": lens.agreement(agreement) if agreement is not None else None,
            "attempts": list(case.callback_attempts.select_related("caller", "party").order_by("at", "pk")),
            "unanswered": counted.count,
            "max_unanswered": callbacks.MAX_UNANSWERED,
            "callback_due": case.deadlines.open()
            .filter(kind=DeadlineKind.CALLBACK)
            .values_list("due_at", flat=True)
            .first(),
        },
        status=status,
    )


# --- 抽查: spot checks ----------------------------------------------------------------------------------------


@login_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def spot_checks(request):
    """Draw a random sample of closed cases (a GET that redirects to the drawn list, so it can be revisited)."""
    actor = _require_role(request.user, callbacks.SPOT_CHECK_ROLES)
    today = timezone.localdate()
    params = request.GET if "since" in request.GET else None
    period = SpotCheckPeriodForm(params, initial={"since": today - timedelta(days=30), "until": today, "size": 10})
    numbers = [n for n in request.GET.get("cases", "").split(",") if n][: callbacks.SPOT_CHECK_MAX_SIZE]
    if params is not None and period.is_valid() and not numbers:
        try:
            sample = selectors.callback_spot_check_sample(
                user=request.user,
                since=period.cleaned_data["since"],
                until=period.cleaned_data["until"],
                size=period.cleaned_data["size"],
            )
        except ApplicationError as exc:
            # A period the service refuses (dates out of range): beside the field, as the form's own errors are.
            exc.add_to_form(period, "since")
            return render(
                request,
                "disputes/staff/spot_checks.html",
                {"period": period, "rows": [], "drawn": False},
                status=400,
            )
        query = {
            "since": period.cleaned_data["since"].isoformat(),
            "until": period.cleaned_data["until"].isoformat(),
            "size": period.cleaned_data["size"],
            "cases": ",".join(c.tracking_number for c in sample),
        }
        return HttpResponseRedirect(f"{request.path}?{urlencode(query)}")

    bound: SpotCheckForm | None = None
    posted = ""
    status = 200
    if request.method == "POST":
        posted = request.POST.get("case", "")
        with as_page_errors():
            case = dispute_get_for(request.user, posted)
        bound = SpotCheckForm(request.POST, prefix=_row_prefix(case))
        if bound.is_valid():
            try:
                services.spot_check_record(
                    dispute=case,
                    actor=actor,
                    result=bound.cleaned_data["result"],
                    remarks=bound.cleaned_data["remarks"],
                )
            except ApplicationError as exc:
                exc.add_to_form(bound, "result")
            else:
                back = request.get_full_path()
                if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()}):
                    back = reverse("disputes:spot_checks")
                return HttpResponseRedirect(f"{back}#case-{case.tracking_number}")
        status = 400

    cases = list(selectors.spot_check_cases(user=request.user).filter(tracking_number__in=numbers)) if numbers else []
    rows = []
    for case in cases:
        if bound is not None and posted == case.tracking_number:
            form = bound
        else:
            form = SpotCheckForm(prefix=_row_prefix(case))
        rows.append({"case": case, "form": form, "checks": list(case.spot_checks.all())})
    return render(
        request,
        "disputes/staff/spot_checks.html",
        {"period": period, "rows": rows, "drawn": bool(numbers)},
        status=status,
    )


def _row_prefix(case: Dispute) -> str:
    return f"c{case.tracking_number}"


urlpatterns = [
    path("callbacks/", callback_queue, name="callbacks"),
    path("callbacks/<str:tracking_number>/", callback_record, name="callback_record"),
    path("spot-checks/", spot_checks, name="spot_checks"),
]
