"""Staff pages: the case queue (工作台), "take next" and bulk actions. Every step works without JavaScript.

The queue is where staff land after signing in (LOGIN_REDIRECT_URL). A
mediator first sees their own open cases, most urgent first, and a "Take
next" button; dispatchers and supervisors see every open case of their area
and can act on several at once.
"""

import re
from html import escape

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from core.actors import Actor
from core.exceptions import ApplicationError
from core.i18n import localized_name
from disputes.rules.enums import Colour
from disputes.selectors import queue
from disputes.services.queue import BULK_ROLES, MAX_BULK, BulkAction, queue_bulk, queue_take_next
from disputes.staff.options import cached_options, quick_selects
from grids.models import AreaLevel


def case_url(tracking_number: str) -> str:
    """The case page (disputes:case); until it exists, its path under the queue."""
    try:
        return reverse("disputes:case", kwargs={"tracking_number": tracking_number})
    except NoReverseMatch:
        return f"{reverse('disputes:queue')}case/{tracking_number}/"


def _require_staff(request) -> list[str]:
    scopes = queue.queue_scopes(request.user)
    if not scopes:
        raise PermissionDenied
    return scopes


def _queue_url(**params) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items() if v)
    return reverse("disputes:queue") + (f"?{query}" if query else "")


def _cached_options(kind: str, user, build) -> list[tuple]:
    """An option list per process, role, area and language (see disputes.staff.options)."""
    profile = getattr(user, "staff", None)
    return cached_options(f"{kind}:{getattr(profile, 'role', '')}:{getattr(profile, 'area_id', '')}", build)


def area_options(user, empty_label) -> list[tuple]:
    """The area filter's options (villages and up, indented by level), read as plain values: no model objects."""
    base = getattr(getattr(getattr(user, "staff", None), "area", None), "level", AreaLevel.CITY)
    rows = queue.area_choices(user).filter(level__lte=AreaLevel.VILLAGE).values_list("pk", "name", "name_en", "level")
    indent = "\u2003"  # an em space per level below the user's own
    return [("", empty_label)] + [
        (pk, indent * max(level - base, 0) + localized_name(n, n_en)) for pk, n, n_en, level in rows
    ]


def mediator_options(user, empty_label) -> list[tuple]:
    rows = queue.bulk_mediators(user).values_list(
        "user_id", "display_name", "user__username", "department__name", "department__name_en"
    )
    return [("", empty_label)] + [
        (uid, f"{shown or username} · {localized_name(dept, dept_en)}") for uid, shown, username, dept, dept_en in rows
    ]


def department_options(user, empty_label) -> list[tuple]:
    rows = queue.bulk_departments(user).values_list("pk", "name", "name_en")
    return [("", empty_label)] + [(pk, localized_name(n, n_en)) for pk, n, n_en in rows]


def _prepare_filter_form(form, user) -> None:
    """Labels without "(optional)"; the area list stops at villages (grids are too many for a list)."""
    for bound in form.fields.values():
        bound.optional_label = False
    empty = form.fields["area"].empty_label
    category = form.fields["category"]
    quick_selects(
        form,
        {
            "area": _cached_options("area", user, lambda: area_options(user, empty)),
            # The same for everyone: the active categories.
            "category": _cached_options("category", None, lambda: list(category.choices)),
        },
    )


def rows_html(rows, *, selectable: bool) -> str:
    """The table's rows, built in Python: through the template engine each row cost ~0.2 ms,
    a third of the page at 25 rows (bench/case_queue.py). Every value is escaped here."""
    e = escape
    label = {
        key: e(str(text))
        for key, text in (
            ("case", _("Case")),
            ("colour", _("Colour")),
            ("status", _("Status")),
            ("category", _("Category")),
            ("place", _("Place")),
            ("applicant", _("Applicant")),
            ("deadline", _("Deadline")),
            ("mediator", _("Mediator")),
            ("leader", _("Leader in charge: %(name)s")),
            ("returned", _("Returned by %(department)s: %(reason)s")),
        )
    }
    html = []
    for row in rows:
        number = e(row.tracking_number)
        select = ""
        if selectable:
            aria = e(_("Select case %(number)s") % {"number": row.tracking_number_display})
            select = (
                f'<td class="queue-table__select"><input type="checkbox" name="cases" value="{number}" '
                f'id="select-{number}" aria-label="{aria}"></td>'
            )
        left = e(row.time_left)
        if row.next_due_at is None:
            deadline = f'<span class="muted">{left}</span>'
        else:
            local = timezone.localtime(row.next_due_at)
            shown = f'<strong class="overdue">{left}</strong>' if row.overdue else left
            deadline = f'<time datetime="{local.isoformat()}" title="{local:%Y-%m-%d %H:%M}">{shown}</time>'
        leader = ""
        if row.leader:
            named = label["leader"].replace("%(name)s", e(row.leader))
            leader = f'<br><span class="muted queue-table__note">{named}</span>'
        html.append(
            f'<tr class="{"queue-row--overdue" if row.overdue else ""}">{select}'
            f'<th scope="row" data-label="{label["case"]}"><a class="queue-table__number" '
            f'href="{e(case_url(row.tracking_number))}">{e(row.tracking_number_display)}</a></th>'
            f'<td data-label="{label["colour"]}">'
            f'<span class="badge badge--{e(row.colour)}">{e(row.colour_label)}</span></td>'
            f'<td data-label="{label["status"]}">{e(row.status_label)}{_returned_html(row, label["returned"])}</td>'
            f'<td data-label="{label["category"]}">{e(row.category_name)}</td>'
            f'<td data-label="{label["place"]}">{e(row.area_name)}</td>'
            f'<td data-label="{label["applicant"]}">{e(row.applicant or "—")}</td>'
            f'<td data-label="{label["deadline"]}">{deadline}</td>'
            f'<td data-label="{label["mediator"]}">{e(row.mediator or "—")}{leader}</td></tr>'
        )
    return mark_safe("".join(html))  # noqa: S308 - every value above went through escape()  # nosec B308 B703


# How much of a return reason the list shows (the case page has all of it).
RETURN_REASON_SHOWN = 120


def _returned_html(row, sentence: str) -> str:
    """退回: the department that sent the case back and why, under its status (already escaped `sentence`)."""
    if not row.returned_by:
        return ""
    e = escape
    reason = row.return_reason
    short = reason if len(reason) <= RETURN_REASON_SHOWN else reason[:RETURN_REASON_SHOWN] + "…"
    # The sentence is escaped already: its placeholders are filled with escaped values.
    values = {"department": e(row.returned_by), "reason": e(short)}
    text = re.sub(r"%\((department|reason)\)s", lambda m: values[m.group(1)], sentence)
    return f'<br><span class="queue-table__note queue-table__note--returned" title="{e(reason)}">{text}</span>'


@login_required
@require_GET
def queue_view(request):
    scopes = _require_staff(request)
    cursor = request.GET.get("cursor") or None
    page_size = queue.page_size_from(request.GET.get("page_size"))
    try:
        page = queue.queue_page(
            user=request.user, scope=request.GET.get("scope"), params=request.GET, cursor=cursor, page_size=page_size
        )
    except ApplicationError as exc:
        # A stale or edited cursor: the first page, said plainly.
        messages.warning(request, str(exc.message))
        cursor = None
        page = queue.queue_page(
            user=request.user, scope=request.GET.get("scope"), params=request.GET, page_size=page_size
        )
    _prepare_filter_form(page.filters.form, request.user)
    role = Actor.for_user(request.user).role
    params = request.GET.copy()
    params.pop("cursor", None)
    params["scope"] = page.scope
    next_url = None
    if page.next_cursor:
        following = params.copy()
        following["cursor"] = page.next_cursor
        next_url = f"{reverse('disputes:queue')}?{following.urlencode()}"
    filtered = any(request.GET.get(name) for name in page.filters.form.fields)
    bulk_form = BulkForm(user=request.user, initial={"next": request.get_full_path()}) if role in BULK_ROLES else None
    context = {
        "page": page,
        "rows": page.rows,
        "tabs": [
            (scope, queue.scope_label(request.user, scope), _queue_url(scope=scope), scope == page.scope)
            for scope in scopes
        ],
        "scope_label": queue.scope_label(request.user, page.scope),
        "form": page.filters.form,
        "filtered": filtered,
        "is_later_page": bool(cursor),
        "first_url": f"{reverse('disputes:queue')}?{params.urlencode()}",
        "clear_url": _queue_url(scope=page.scope),
        "next_url": next_url,
        "can_take_next": role in queue.HANDLER_ROLES,
        "bulk_form": bulk_form,
        "rows_html": rows_html(page.rows, selectable=bulk_form is not None),
        "now": timezone.now(),
    }
    return render(request, "disputes/staff/queue.html", context)


@login_required
@require_POST
def take_next_view(request):
    _require_staff(request)
    actor = Actor.for_user(request.user)
    if actor.role not in queue.HANDLER_ROLES:
        raise PermissionDenied
    case = queue_take_next(actor=actor)
    if case is None:
        messages.info(request, _("No case is waiting for your department right now."))
        return redirect("disputes:queue")
    messages.success(request, _("Case %(number)s is now yours.") % {"number": case.tracking_number_display})
    return redirect(case_url(case.tracking_number))


# --- Bulk actions -------------------------------------------------------------------------------------


class BulkForm(forms.Form):
    """批量操作 on the cases ticked in the queue."""

    max_cases = MAX_BULK
    cases = forms.MultipleChoiceField(
        widget=forms.MultipleHiddenInput,
        label=gettext_lazy("Selected cases"),
        error_messages={"required": gettext_lazy("Select at least one case.")},
    )
    action = forms.ChoiceField(label=gettext_lazy("Action"), choices=BulkAction.choices)
    mediator = forms.ModelChoiceField(
        label=gettext_lazy("Mediator (for an assignment)"),
        queryset=queue.bulk_mediators(None).none(),
        required=False,
        to_field_name="user_id",
        empty_label=gettext_lazy("Choose…"),
    )
    department = forms.ModelChoiceField(
        label=gettext_lazy("Department (for a transfer)"),
        queryset=queue.bulk_departments(None).none(),
        required=False,
        empty_label=gettext_lazy("Choose…"),
    )
    colour = forms.ChoiceField(
        label=gettext_lazy("New colour (for a colour change)"),
        choices=[("", gettext_lazy("Choose…")), *queue.COLOUR_CHOICES],
        required=False,
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=gettext_lazy("Needed for a transfer or a colour change; it goes on each case's timeline."),
    )
    next = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mediator"].queryset = queue.bulk_mediators(user)
        self.fields["department"].queryset = queue.bulk_departments(user)
        # Any tracking number may be posted; the service decides what the user may change.
        posted = self.data.getlist("cases") if hasattr(self.data, "getlist") else []
        self.fields["cases"].choices = [(n, n) for n in posted]
        for name in ("mediator", "department", "colour", "reason"):
            self.fields[name].optional_label = False
        empty = self.fields["mediator"].empty_label
        quick_selects(
            self,
            {
                "mediator": _cached_options("mediator", user, lambda: mediator_options(user, empty)),
                "department": _cached_options("department", user, lambda: department_options(user, empty)),
            },
        )

    def clean_cases(self):
        cases = self.cleaned_data["cases"]
        if len(cases) > MAX_BULK:
            raise forms.ValidationError(
                _("Select at most %(max)d cases at a time.") % {"max": MAX_BULK}, code="too_many_selected"
            )
        return cases

    def clean(self):
        data = super().clean()
        action = data.get("action")
        if action == BulkAction.ASSIGN and not data.get("mediator"):
            self.add_error("mediator", _("Choose the mediator."))
        if action == BulkAction.TRANSFER and not data.get("department"):
            self.add_error("department", _("Choose the department that should handle the case."))
        if action == BulkAction.COLOUR and not data.get("colour"):
            self.add_error("colour", _("Choose the new colour."))
        if action in (BulkAction.TRANSFER, BulkAction.COLOUR) and not (data.get("reason") or "").strip():
            self.add_error("reason", _("Please give a reason for this action."))
        return data


def _safe_next(request, value: str | None) -> str:
    if value and url_has_allowed_host_and_scheme(value, allowed_hosts={request.get_host()}):
        return value
    return reverse("disputes:queue")


@login_required
@require_POST
def bulk_view(request):
    _require_staff(request)
    actor = Actor.for_user(request.user)
    if actor.role not in BULK_ROLES:
        raise PermissionDenied
    form = BulkForm(request.POST, user=request.user)
    back = _safe_next(request, request.POST.get("next"))
    if form.is_valid():
        data = form.cleaned_data
        try:
            results = queue_bulk(
                actor=actor,
                action=data["action"],
                tracking_numbers=data["cases"],
                mediator=data["mediator"].user if data.get("mediator") else None,
                department=data.get("department"),
                colour=Colour[data["colour"].upper()] if data.get("colour") else None,
                reason=data.get("reason", ""),
            )
        except ApplicationError as exc:
            form.add_error(None, str(exc.message))
        else:
            context = {
                "action_label": BulkAction(data["action"]).label,
                "succeeded": [(r, case_url(r.tracking_number)) for r in results if r.ok],
                "refused": [(r, case_url(r.tracking_number)) for r in results if not r.ok],
                "back": back,
            }
            return render(request, "disputes/staff/queue_bulk_done.html", context)
    selected = request.POST.getlist("cases")
    return render(
        request, "disputes/staff/queue_bulk.html", {"form": form, "selected": selected, "back": back}, status=400
    )


urlpatterns = [
    path("", queue_view, name="queue"),
    path("take-next/", take_next_view, name="queue_take_next"),
    path("bulk/", bulk_view, name="queue_bulk"),
]
