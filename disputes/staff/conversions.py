"""民转刑 / 刑转命 pages: the register of an area and period, the form that records a conversion on a case, one
conversion with its review form (复盘倒查, 追责), and the printable review report. Thin: reads in
`disputes.dashboard.conversions`, writes in `disputes.services.conversions` (which refuses what the API refuses).

Readers: supervisors (their area and below) and administrators; an area or a record outside answers 404. The
case's people are masked in the summary and the review unless the reader works the case (`disputes.visibility`).
"""

from typing import Any, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import get_language, gettext_lazy, pgettext, pgettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from core.actors import Actor
from core.exceptions import ApplicationError, NotFoundError
from core.staff_names import person_name
from disputes import visibility
from disputes.dashboard import conversions as register
from disputes.dashboard.periods import Period, PeriodForm, year_period
from disputes.dashboard.selectors import area_trail, dashboard_area, dashboard_home_area
from disputes.models import CriminalConversion, Dispute
from disputes.services import conversions as services
from disputes.staff.case_page import visible_case
from disputes.staff.supervision import long_date
from grids.models import Area

PAGE_SIZE = 50


# --- Forms ---------------------------------------------------------------------------------------------


class DateInput(forms.DateInput):
    """A browser date picker: its value is always ISO (2026-12-07), whatever the language's date format."""

    input_type = "date"

    def __init__(self, attrs: dict | None = None, format: str | None = None) -> None:
        super().__init__(attrs, format or "%Y-%m-%d")


class RecordForm(forms.Form):
    kind = forms.ChoiceField(
        label=gettext_lazy("What the dispute became"),
        choices=CriminalConversion.Kind.choices,
        widget=forms.RadioSelect,
    )
    police_case_number = forms.CharField(label=gettext_lazy("Police case number"), max_length=services.MAX_NUMBER)
    police_unit = forms.CharField(
        label=gettext_lazy("Police unit"),
        max_length=services.MAX_UNIT,
        required=False,
        help_text=gettext_lazy("The police station or bureau that referred it back."),
    )
    occurred_on = forms.DateField(label=gettext_lazy("Date of the crime"), widget=DateInput)
    reported_on = forms.DateField(label=gettext_lazy("Date the police told the centre"), widget=DateInput)
    summary = forms.CharField(
        label=gettext_lazy("What the police reported"),
        max_length=services.MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class ReviewForm(forms.Form):
    missed = forms.CharField(
        label=gettext_lazy("What was missed"), max_length=services.MAX_TEXT, widget=forms.Textarea(attrs={"rows": 4})
    )
    responsible = forms.CharField(
        label=gettext_lazy("By whom"), max_length=services.MAX_TEXT, widget=forms.Textarea(attrs={"rows": 2})
    )
    changes = forms.CharField(
        label=gettext_lazy("What changes"), max_length=services.MAX_TEXT, widget=forms.Textarea(attrs={"rows": 4})
    )
    accountability = forms.ChoiceField(
        label=gettext_lazy("Accountability outcome"), choices=CriminalConversion.Accountability.choices, required=False
    )
    notes = forms.CharField(
        label=gettext_lazy("Accountability notes"),
        max_length=services.MAX_TEXT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class RegisterFilterForm(forms.Form):
    conversion_kind = forms.ChoiceField(label=gettext_lazy("What it became"), required=False)
    reviewed = forms.ChoiceField(label=pgettext_lazy("conversion", "Review"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        kinds = cast(forms.ChoiceField, self.fields["conversion_kind"])
        kinds.choices = [("", _("All")), *CriminalConversion.Kind.choices]
        reviewed = cast(forms.ChoiceField, self.fields["reviewed"])
        reviewed.choices = [
            ("", _("All")),
            (register.REVIEWED, pgettext("conversion", "Reviewed")),
            (register.NOT_REVIEWED, pgettext("conversion", "Not yet reviewed")),
        ]


# --- Helpers ---------------------------------------------------------------------------------------------


def register_url(area: Area, period: Period, **extra: str) -> str:
    """The register of `area` in `period` (the dashboard's card links here)."""
    query = {**period.query(), **{k: v for k, v in extra.items() if v}}
    return f"{reverse('disputes:conversions_area', args=[area.code])}?{urlencode(query)}"


def _period(request) -> tuple[PeriodForm, Period]:
    """The chosen period; this year when none is chosen (the register is read by the year)."""
    if "kind" not in request.GET:
        period = year_period(timezone.localdate().year)
        return PeriodForm(period.query()), period
    form = PeriodForm(request.GET)
    return form, form.period()


def _area_choices(home: Area, area: Area) -> list[tuple[str, str]]:
    """The reader's area, the way down to the chosen one and the chosen one's children."""
    seen: dict[str, str] = {}
    for step in area_trail(area, home):
        seen[step.code] = step.full_name() if step == area else step.display_name
    for child in Area.objects.get_children(area).order_by("code"):
        seen.setdefault(child.code, child.display_name)
    return list(seen.items())


def _visible_conversion(request, pk: int) -> CriminalConversion:
    try:
        return services.conversion_get_for(request.user, pk)
    except NotFoundError:
        raise Http404 from None


def _register_reader(request) -> Area:
    home = dashboard_home_area(request.user)
    if home is None:
        raise PermissionDenied
    return home


def case_conversions_panel(user: Any, case: Dispute) -> dict:
    """The case page's panel: the case's conversions (to those who read the register) and the record link."""
    rows = register.conversions_on_case(user, case)
    return {
        "rows": [{"conversion": c, "url": reverse("disputes:conversion", kwargs={"pk": c.pk})} for c in rows],
        "may_record": services.may_record(user, case) and len(rows) < len(CriminalConversion.Kind.values),
        "record_url": reverse("disputes:conversion_new", kwargs={"tracking_number": case.tracking_number}),
    }


# --- Views -----------------------------------------------------------------------------------------------


@login_required
@never_cache
@require_GET
def conversions_register(request, code: str | None = None):
    """民转刑 / 刑转命 台账: the conversions of an area in a period (by the day of the crime), with the counts and
    the change on the same period last year."""
    home = _register_reader(request)
    area = dashboard_area(request.user, code or request.GET.get("area") or None)
    form, period = _period(request)
    filters = RegisterFilterForm(request.GET or None)
    values = filters.cleaned_data if filters.is_valid() else {}
    kind = values.get("conversion_kind", "")
    reviewed = values.get("reviewed", "")
    rows = register.conversion_list(request.user, area, period, kind=kind, reviewed=reviewed)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = register.conversion_counts(area, period)
    before = register.last_year(period)
    query = {**period.query(), "conversion_kind": kind, "reviewed": reviewed}
    return render(
        request,
        "disputes/staff/conversions/register.html",
        {
            "area": area,
            "area_choices": _area_choices(home, area),
            "form": form,
            "filters": filters,
            "period": period,
            "last_year": before,
            "counts": counts,
            "page": page,
            "rows": [
                {
                    "conversion": c,
                    "case_number": c.dispute.tracking_number_display,
                    "place": c.dispute.grid.display_name,
                    "url": reverse("disputes:conversion", kwargs={"pk": c.pk}),
                }
                for c in page.object_list
            ],
            "page_query": urlencode({k: v for k, v in query.items() if v}),
            "action": reverse("disputes:conversions"),
        },
    )


def _conversion_context(request, conversion: CriminalConversion, review_form: ReviewForm | None = None) -> dict:
    case = conversion.dispute
    lens = visibility.case_lens(request.user, case)
    may_review = services.may_review(request.user, case)
    if review_form is None and may_review:
        review_form = ReviewForm(
            initial={
                "missed": conversion.review_missed,
                "responsible": conversion.review_responsible,
                "changes": conversion.review_changes,
                "accountability": conversion.accountability,
                "notes": conversion.accountability_notes,
            }
        )
    return {
        "conversion": conversion,
        "case": case,
        "works_case": lens.works,
        "place": case.grid.full_name(),
        "summary": lens.text("event.text", conversion.summary),
        "missed": lens.text("event.text", conversion.review_missed),
        "responsible": lens.text("event.text", conversion.review_responsible),
        "changes": lens.text("event.text", conversion.review_changes),
        "notes": lens.text("event.text", conversion.accountability_notes),
        "recorded_by": person_name(conversion.recorded_by),
        "reviewed_by": person_name(conversion.reviewed_by),
        "may_review": may_review,
        "review_form": review_form,
    }


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def conversion_page(request, pk: int):
    """One conversion: what the police said, the review (复盘倒查) and its accountability outcome (追责)."""
    _register_reader(request)
    conversion = _visible_conversion(request, pk)
    if request.method == "GET":
        return render(request, "disputes/staff/conversions/conversion.html", _conversion_context(request, conversion))
    form = ReviewForm(request.POST)
    status = 400
    if form.is_valid():
        values = form.cleaned_data
        try:
            services.conversion_review(
                Actor.for_user(request.user),
                conversion.pk,
                missed=values["missed"],
                responsible=values["responsible"],
                changes=values["changes"],
                accountability=values["accountability"],
                notes=values["notes"],
            )
        except NotFoundError:
            raise Http404 from None
        except ApplicationError as exc:
            status = exc.status_code if exc.status_code in (403, 409) else 400
            exc.add_to_form(form)
        else:
            messages.success(request, _("The review has been saved."))
            return HttpResponseRedirect(reverse("disputes:conversion", kwargs={"pk": conversion.pk}), status=303)
    context = _conversion_context(request, _visible_conversion(request, pk), review_form=form)
    return render(request, "disputes/staff/conversions/conversion.html", context, status=status)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def conversion_new(request, tracking_number: str):
    """Record on this case that it later became a criminal case or a homicide (from the police's referral back)."""
    case = visible_case(request, tracking_number)
    if not services.may_record(request.user, case):
        raise PermissionDenied
    form = RecordForm(request.POST or None, initial={"reported_on": timezone.localdate()})
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            values = form.cleaned_data
            try:
                conversion = services.conversion_record(
                    Actor.for_user(request.user),
                    case.pk,
                    kind=values["kind"],
                    police_case_number=values["police_case_number"],
                    police_unit=values["police_unit"],
                    occurred_on=values["occurred_on"],
                    reported_on=values["reported_on"],
                    summary=values["summary"],
                )
            except NotFoundError:
                raise Http404 from None
            except ApplicationError as exc:
                status = exc.status_code if exc.status_code in (403, 409) else 400
                exc.add_to_form(form)
            else:
                messages.success(request, _("Recorded. The supervisors above the case have been told."))
                return HttpResponseRedirect(reverse("disputes:conversion", kwargs={"pk": conversion.pk}), status=303)
    return render(
        request,
        "disputes/staff/conversions/record.html",
        {"case": case, "form": form, "submitted_on": timezone.localdate(case.submitted_at)},
        status=status,
    )


def _reviewing_office(conversion: CriminalConversion) -> Area:
    """The office the review report is printed in the name of: the reviewer's area, else the case's district."""
    profile = getattr(conversion.reviewed_by, "staff", None) if conversion.reviewed_by_id else None
    if profile is not None:
        return cast(Area, profile.area)
    path = conversion.area_path[: Area.steplen * 2] or conversion.area_path
    return Area.objects.filter(path=path).first() or Area.objects.get(path=conversion.area_path[: Area.steplen])


@login_required
@never_cache
@require_GET
def conversion_print(request, pk: int):
    """复盘倒查报告: the review on A4, for the file."""
    _register_reader(request)
    conversion = _visible_conversion(request, pk)
    context = _conversion_context(request, conversion)
    context.update(
        {
            "office": _("%(area)s Dispute Resolution Centre") % {"area": _reviewing_office(conversion).name},
            "occurred_on": long_date(conversion.occurred_on),
            "reported_on": long_date(conversion.reported_on),
            "reviewed_on": long_date(conversion.reviewed_at),
            "language_is_chinese": (get_language() or settings.LANGUAGE_CODE).startswith("zh"),
        }
    )
    return render(request, "disputes/staff/conversions/print.html", context)


urlpatterns = [
    path("conversions/", conversions_register, name="conversions"),
    path("conversions/area/<str:code>/", conversions_register, name="conversions_area"),
    path("conversions/<int:pk>/", conversion_page, name="conversion"),
    path("conversions/<int:pk>/print/", conversion_print, name="conversion_print"),
    path("case/<str:tracking_number>/conversion/", conversion_new, name="conversion_new"),
]
