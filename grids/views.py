"""Places: the area cascade's JSON, and the printable QR posters (解纷码) for staff.

A poster's QR code opens the public form with the place filled in
(/submit/?place=<area code>); a department's poster (a police station, a
market) uses the area the department serves.
"""

import io
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.cache import cache_control, cache_page
from django.views.decorators.http import require_GET

from grids.models import Area, AreaLevel, Department, Role
from grids.roles import staff_profile

PLACES_PER_PAGE = 50


# --- The place cascade (public) -------------------------------------------------------------------


@require_GET
@cache_control(public=True, max_age=3600)
@cache_page(600)
def area_children(request, pk: int):
    """The children of one area, for static/js/area-select.js. Area names are public (they are on posters)."""
    area = get_object_or_404(Area, pk=pk)
    children = [{"id": a.pk, "name": a.display_name, "level": a.level} for a in Area.objects.get_children(area)]
    return JsonResponse({"id": area.pk, "children": children})


# --- Who may print which poster -----------------------------------------------------------------------


def _staff_root(user) -> Area | None:
    """The top of the areas this staff member may print posters for; None means all (admins)."""
    profile = staff_profile(user)
    if profile is None:
        if user.is_superuser:
            return None
        raise Http404
    if profile.role == Role.ADMIN:
        return None
    return profile.area


def _check_area(user, area: Area) -> None:
    root = _staff_root(user)
    # Outside the staff member's area: the same answer as a place that does not exist.
    if root is not None and not area.path.startswith(root.path):
        raise Http404


def submit_url(area: Area) -> str:
    """The public form for this place, as printed on the poster."""
    with translation.override(settings.LANGUAGE_CODE):
        path = reverse("disputes:submit")
    return f"{settings.PUBLIC_BASE_URL.rstrip('/')}{path}?{urlencode({'place': area.code})}"


def _qr_svg(url: str) -> HttpResponse:
    qr = segno.make(url, error="m")
    out = io.BytesIO()
    qr.save(out, kind="svg", scale=10, border=2, xmldecl=False, omitsize=True, svgclass="qr-code", lineclass=None)
    response = HttpResponse(out.getvalue(), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=3600"
    return response


def _poster(request, *, title: str, subtitle: str, area: Area, qr_src: str):
    url = submit_url(area)
    return render(
        request,
        "grids/poster.html",
        {"title": title, "subtitle": subtitle, "url": url, "short_url": url.split("://", 1)[-1], "qr_src": qr_src},
    )


# --- Posters ---------------------------------------------------------------------------------------


def _place(user, code: str) -> Area:
    area = Area.objects.filter(code=code, level__gte=AreaLevel.TOWNSHIP).first()
    if area is None:
        raise Http404
    _check_area(user, area)
    return area


@login_required
def place_poster(request, code: str):
    area = _place(request.user, code)
    return _poster(
        request,
        title=area.name,
        subtitle=area.full_name(),
        area=area,
        qr_src=reverse("grids:place_qr", kwargs={"code": area.code}),
    )


@login_required
def place_qr(request, code: str):
    return _qr_svg(submit_url(_place(request.user, code)))


def _department(user, pk: int) -> Department:
    department = Department.objects.select_related("area").filter(pk=pk, is_active=True).first()
    if department is None:
        raise Http404
    _check_area(user, department.area)
    return department


@login_required
def department_poster(request, pk: int):
    department = _department(request.user, pk)
    return _poster(
        request,
        title=department.name,
        subtitle=department.area.full_name(),
        area=department.area,
        qr_src=reverse("grids:department_qr", kwargs={"pk": department.pk}),
    )


@login_required
def department_qr(request, pk: int):
    return _qr_svg(submit_url(_department(request.user, pk).area))


# --- The list of places to print -----------------------------------------------------------------------


@login_required
def places(request):
    """Villages and communities of the staff member's area, each with a link to its poster."""
    root = _staff_root(request.user)
    show = "departments" if request.GET.get("show") == "departments" else "villages"
    query = (request.GET.get("q") or "").strip()[:50]
    if show == "departments":
        rows = Department.objects.filter(is_active=True).select_related("area").order_by("area__path", "name")
        if root is not None:
            rows = rows.filter(area__path__startswith=root.path)
        if query:
            rows = rows.filter(name__contains=query)
    else:
        rows = Area.objects.filter(level=AreaLevel.VILLAGE).order_by("path")
        if root is not None:
            rows = rows.filter(path__startswith=root.path)
        if query:
            rows = rows.filter(name__contains=query)
    page = Paginator(rows, PLACES_PER_PAGE).get_page(request.GET.get("page"))
    if show == "villages":
        # The township of each village, in one query (a parent's path is the child's minus one step).
        parents = {a.path: a for a in Area.objects.filter(path__in={v.path[: -Area.steplen] for v in page})}
        for village in page:
            village.parent_area = parents.get(village.path[: -Area.steplen])
    return render(request, "grids/places.html", {"page": page, "show": show, "query": query, "root": root})
