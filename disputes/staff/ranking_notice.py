"""排名通报: the printable monthly notice of an area (GB/T 9704), a preview until a supervisor issues it.

GET shows the notice for `?month=2026-11` (default: last month) ranked on `?basis=area|department`
(default: `disputes.dashboard.ranking.DEFAULT_BASIS`); once issued it shows its number, issue date and
the basis it was issued on, who issued it and when. POST issues it (`disputes.services.ranking_notice.
notice_issue`). A preview's figures come from the rollups of the month (`disputes.dashboard.ranking`,
`selectors.area_figures`); an issued notice's from the snapshot stored when it was issued, so it prints
as issued whatever the rollups say now. Reuses the 督办单's GB/T 9704 pieces: static/css/order_print.css
(red office header, number, rule, title, body in 仿宋, signature) and `long_date`/`office_name` of the
supervision pages.
"""

from __future__ import annotations

import re
from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from core.exceptions import ApplicationError
from core.replica import reporting_reads
from disputes.dashboard import ranking, selectors, tables
from disputes.dashboard.periods import PeriodForm, add_months, month_period, month_start
from disputes.services import ranking_notice as notices
from disputes.staff.supervision import long_date, office_name
from disputes.statistics import Figures
from grids.models import Area, AreaLevel

MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def _month(value: str | None, query=None) -> date:
    """The month asked for (YYYY-MM); else the ranking month of the dashboard's period (a quarter's or a
    year's last month) when its query is given; else last month."""
    match = MONTH.match(value or "")
    if match:
        year, month = int(match.group(1)), int(match.group(2))
        if 2000 <= year <= 2100 and 1 <= month <= 12:
            return date(year, month, 1)
    if query is not None and query.get("kind"):
        form = PeriodForm(query)
        if form.is_valid():
            return form.period().ranking_month()
    return add_months(month_start(timezone.localdate()), -1)


NOTICE_SECTIONS: dict[int, str] = {AreaLevel.TOWNSHIP: "ranking_townships", AreaLevel.VILLAGE: "ranking_villages"}


def notice_link(key: str, area: Area, query: str) -> str | None:
    """The dashboard's ranking section of the level an area's notice ranks links to the notice."""
    level = notices.notice_level(area)
    if level is None or NOTICE_SECTIONS.get(level) != key:
        return None
    return f"{reverse('disputes:ranking_notice', args=[area.code])}?{query}"


def scope_word(area: Area) -> str:
    """全市 / 全区 / 全县 / 全街道 / 全乡 / 全镇: the whole of the issuing office's area, as a notice names it."""
    if area.level == AreaLevel.CITY:
        return pgettext("notice scope", "the whole city")
    if area.level == AreaLevel.COUNTY:
        if area.name.endswith("县"):
            return pgettext("notice scope", "the whole county")
        return pgettext("notice scope", "the whole district")
    if area.name.endswith("街道"):
        return pgettext("notice scope", "the whole street")
    if area.name.endswith("乡"):
        return pgettext("notice scope", "the whole xiang")
    return pgettext("notice scope", "the whole township")


def _place(row: ranking.RankRow) -> str:
    return _("%(area)s (ranked %(rank)s, %(score)s points)") % {
        "area": row.area.display_name,
        "rank": row.rank,
        "score": row.score,
    }


def _join(items: list[str]) -> str:
    return pgettext("list separator", ", ").join(items)


def notice_paragraphs(area: Area, result: ranking.Ranking, figures: Figures | None = None) -> dict:
    """The notice's words: the opening, the headline figures, the ranking's basis, the named laggards.
    `figures`: the headline figures (an issued notice's, from its snapshot); else read from the rollups."""
    month = ranking.month_label(result.month)
    scope = scope_word(area)
    if figures is None:
        figures = selectors.area_figures(area, month_period(result.month))
    opening = _(
        "To keep track of how disputes are resolved across %(scope)s, the ranking of %(month)s is announced as follows."
    ) % {"scope": scope, "month": month}
    overview = _(
        "In %(month)s, %(scope)s registered %(registered)s disputes and resolved %(resolved)s of them, a resolution "
        "rate of %(resolution)s; %(open)s are still being worked. The on-time rate was %(on_time)s. The callback "
        "reached %(reached)s parties, with a satisfaction rate of %(satisfaction)s. At the end of the month "
        "%(overdue)s open cases were past their time limit."
    ) % {
        "month": month,
        "scope": scope,
        "registered": figures["registered"],
        "resolved": figures["registered_resolved"],
        "resolution": figures.resolution_rate.display(),
        "open": figures.in_progress,
        "on_time": figures.on_time_rate.display(),
        "reached": figures["parties_reached"],
        "satisfaction": figures.callback_satisfaction.display(),
        "overdue": figures.counts.get("open_overdue", 0),
    }
    method = _(
        "Areas are ranked on a composite score out of 100, weighted: %(weights)s. Equal scores are separated by "
        "the resolution rate, then the on-time rate, then the cases registered. %(basis)s"
    ) % {"weights": ranking.weights_text(result.weights), "basis": ranking.basis_note(result.basis)}
    low = result.bottom()
    red = result.with_red_overdue()
    problems = []
    if low:
        problems.append(_("At the bottom of the ranking: %(areas)s.") % {"areas": _join([_place(r) for r in low])})
    if red:
        problems.append(
            _("With red cases past their time limit: %(areas)s.")
            % {
                "areas": _join(
                    [
                        _("%(area)s (%(count)s cases)") % {"area": r.area.display_name, "count": r.red_overdue}
                        for r in red
                    ]
                )
            }
        )
    if problems:
        problems.append(_("The areas named above are to find the causes and put them right without delay."))
    unranked = (
        _("Not ranked, with fewer than %(count)s cases registered: %(areas)s.")
        % {"count": result.min_cases, "areas": _join([r.area.display_name for r in result.unranked])}
        if result.unranked
        else ""
    )
    return {
        "opening": opening,
        "overview": overview,
        "method": method,
        "problems": problems,
        "unranked": unranked,
    }


def notice_title(area: Area, month: date) -> str:
    return _("Notice on the resolution of disputes across %(scope)s in %(month)s") % {
        "scope": scope_word(area),
        "month": ranking.month_label(month),
    }


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def ranking_notice(request, code: str):
    if selectors.dashboard_home_area(request.user) is None:
        raise PermissionDenied
    area = selectors.dashboard_area(request.user, code)
    level = notices.notice_level(area)
    if level is None:
        raise Http404
    month = (
        _month(request.POST.get("month")) if request.method == "POST" else _month(request.GET.get("month"), request.GET)
    )
    wanted = request.POST.get("basis") if request.method == "POST" else request.GET.get("basis")
    basis = ranking.Basis(wanted) if wanted in ranking.Basis.values else ranking.default_basis(level)
    url = reverse("disputes:ranking_notice", args=[area.code])
    if request.method == "POST":
        try:
            issued, new = notices.notice_issue(user=request.user, area_code=area.code, month=month, basis=basis)
        except ApplicationError as error:
            messages.error(request, str(error.message))
        else:
            if new:
                messages.success(request, _("Notice %(number)s issued.") % {"number": issued.document_number})
            else:
                messages.info(
                    request, _("This notice was already issued as %(number)s.") % {"number": issued.document_number}
                )
        return HttpResponseRedirect(f"{url}?{urlencode({'month': f'{month:%Y-%m}'})}")
    found = notices.notice_issued(area, month)
    # ?live=1 on an issued notice: the month's figures as the rollups hold them now, beside the notice as issued.
    live_of = found if found is not None and request.GET.get("live") == "1" else None
    if live_of is not None:  # on the basis it was issued on, to compare like with like
        found, basis = None, live_of.basis
    if found is not None:  # as issued: from its snapshot, never from the rollups
        basis = found.basis
        result: ranking.Ranking = notices.notice_ranking(area, found.record)
        table = tables.ranking_result_table(result, with_notes=False)
        words = notice_paragraphs(area, result, notices.notice_figures(found.record))
    else:
        with reporting_reads():
            result = ranking.ranking(area, month, level, basis, red_overdue=True)
            table = tables.ranking_result_table(result, with_notes=False)
            words = notice_paragraphs(area, result)
    today = timezone.localdate()
    return render(
        request,
        "disputes/staff/ranking_notice.html",
        {
            "area": area,
            "office": found.office if found else office_name(area),
            "issued": found,
            "title": notice_title(area, month),
            "words": words,
            "table": table,
            "month_value": f"{month:%Y-%m}",
            "basis": basis,
            "bases": [(b, ranking.Basis(b).label) for b in ranking.Basis.values],
            "signed_on": long_date(found.issued_on if found else today),
            "issued_at": f"{long_date(found.issued_on)} {timezone.localtime(found.issued_at):%H:%M}" if found else "",
            "can_issue": found is None and live_of is None and add_months(month, 1) <= today,
            "live_of": live_of,
            "dashboard_url": f"{reverse('disputes:dashboard_area', args=[area.code])}?"
            + urlencode(month_period(month).query()),
            "notice_url": url,
        },
    )


urlpatterns = [
    path("dashboard/<str:code>/notice/", ranking_notice, name="ranking_notice"),
]
