"""Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2/), mounted at /open311/v2/.

Plain Django views, not DRF: the spec fixes its own error shape (a list of
{"code", "description"}) and its own formats (.json, .xml), which the portal's
API exception handler must not rewrap.

- GET  discovery.{json,xml}
- GET  services.{json,xml}                one service per active category
- GET  services/<service_code>.{json,xml} its definition: optional attributes `grid`, and `people_band`
                                          and `amount_band` (the web form's ranges, disputes.scale)
- POST requests.{json,xml}                form-encoded; stored through disputes.services.intake (channel "open311")
- GET  requests.{json,xml}                filters: service_request_id, service_code, start_date, end_date, status
- GET  requests/<id>.{json,xml}

A request's id (`service_request_id`) is the case's `public_id`: random, never
the tracking number, which with a phone number opens the case on the tracking
page and so is never in an anonymous answer, the reply to a POST included. The
resident gets the tracking number by SMS to the phone given (the confirmation
every door sends); the reply's `service_notice` says so.

Who reads requests (the GETs), and what they see (`selectors.open311_requests_for`):

- A channel key (`X-Api-Key` header, or `Authorization: Api-Key …`; never in
  the address, where proxies and access logs keep it) reads the requests it
  filed itself (`Dispute.channel_key`), and only those, in full: the grid,
  times to the second, and their `tracking_number`. Whatever the setting below.
- Anyone else reads the public list only if the centre publishes it
  (OPEN311_PUBLIC_REQUESTS, off by default; off, both GETs answer 404 and the
  rest of Open311 works as before), counted per address (core.throttling's
  OPEN311_READS_PER_IP). The list leaves out private categories (family, and
  those an administrator marks `open311_hidden`) as if they did not exist, and
  is coarsened so that it names no person and no household: `address` is the
  township (city, county, township), `requested_datetime` and
  `updated_datetime` the day (W3C's date form, 2026-11-23), the date filters
  count whole days, and `agency_responsible` is the lead department only when
  it serves a township or more (a village committee's name is a village).

In every answer:

- `description` is always empty: the resident's free text names people, phone
  numbers and addresses, and cannot be cleaned reliably. The category is in
  `service_name`.
- `address` is the name of an area, never the resident's address or the place
  they typed; `address_id` is that area's code.
- No names, phones, e-mails, attachments (`media_url`), coordinates or staff.
- `status_notes` is the status in plain words, `jurisdiction_id` the code of
  the city (the root of the area tree).

Where a case is: a request gives the area code as `attribute[grid]` (a village
/ community or grid code, see the service definition), or an `address_string`
that names a village, community or grid of the tree. Coordinates alone are
refused: the portal keeps no map of grid boundaries.

Left out: `media`/`media_url` (attachments are private and checked by type;
use the public API's multipart upload), `device_id` and `account_id` (ignored),
the optional token flow (a request is stored at once and gets its id), and
`email` is not stored (a case keeps phones only). Residents submitting through
Open311 clients have no consent box: the client application is responsible
for obtaining it.
"""

import functools
import logging
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from xml.etree import ElementTree as ET  # noqa: S405 - builds XML, never parses it  # nosec B405

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import CharField, F, Q, Value
from django.db.models.functions import Length
from django.http import HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.csrf import csrf_exempt

from core import dates, ratelimit, throttling
from core.actors import SYSTEM, Actor
from core.exceptions import ApplicationError
from core.validators import validate_mobile
from disputes import selectors
from disputes.api.channels import raw_key_from
from disputes.api.keys import channel_key_find, channel_key_touch
from disputes.models import Category, ChannelKey, Dispute
from disputes.rules.enums import FINAL_STATUSES, AmountBand, Channel, PartyRole, PeopleBand, Status
from disputes.rules.tracking import format_tracking_number, normalise_tracking_number
from disputes.scale import clean_scale
from disputes.services.intake import dispute_intake
from grids.models import Area, AreaLevel

logger = logging.getLogger(__name__)

MAX_RESULTS = 1000
DEFAULT_WINDOW = timedelta(days=90)
SERVICES_MAX_AGE = 300
# When this endpoint list last changed (discovery's `changeset`).
DISCOVERY_CHANGESET = "2026-11-23T00:00:00+08:00"
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}
# The XML element of one item of each list.
XML_ITEMS = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
}


class Open311Error(Exception):
    """One or more errors, answered as the spec's list of {"code", "description"}."""

    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__(descriptions[0] if descriptions else "")
        self.status = status
        self.descriptions = list(descriptions)


# --- Rendering --------------------------------------------------------------------------------


def render(data, fmt: str, *, root: str, status: int = 200) -> HttpResponse:
    """`data` is a list (of dicts) or a dict; `root` is the XML root element (the list's name)."""
    if fmt == "xml":
        element = _xml_element(root, data)
        body = ET.tostring(element, encoding="unicode", xml_declaration=False)
        return HttpResponse(
            '<?xml version="1.0" encoding="utf-8"?>\n' + body, content_type=CONTENT_TYPES["xml"], status=status
        )
    return JsonResponse(
        data, safe=False, status=status, json_dumps_params={"ensure_ascii": False}, content_type=CONTENT_TYPES["json"]
    )


def _xml_element(tag: str, value) -> ET.Element:
    element = ET.Element(tag)
    if isinstance(value, dict):
        for key, item in value.items():
            element.append(_xml_element(key, item))
    elif isinstance(value, list | tuple):
        item_tag = XML_ITEMS.get(tag, "item")
        for item in value:
            element.append(_xml_element(item_tag, item))
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    elif value is not None:
        element.text = str(value)
    return element


def error_response(fmt: str, status: int, descriptions: Iterable[str]) -> HttpResponse:
    errors = [{"code": status, "description": str(d)} for d in descriptions]
    return render(errors, fmt, root="errors", status=status)


def open311_view(methods: tuple[str, ...]) -> Callable:
    """Allowed methods, CSRF exemption (no cookies are used) and errors in the spec's shape and format."""

    def decorate(view):
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request, *args, fmt: str, **kwargs):
            if request.method not in methods:
                response = error_response(fmt, 405, [_("Method not allowed.")])
                response["Allow"] = ", ".join(methods)
                return response
            try:
                return view(request, *args, fmt=fmt, **kwargs)
            except Open311Error as exc:
                return error_response(fmt, exc.status, exc.descriptions)
            except throttling.RateLimited as exc:
                response = error_response(fmt, 429, [str(exc.detail)])
                response["Retry-After"] = str(exc.wait)
                return response
            except RequestDataTooBig:
                return error_response(fmt, 413, [_("The request is too large.")])
            except (TooManyFieldsSent, TooManyFilesSent):
                return error_response(fmt, 400, [_("The request has too many fields.")])

        return wrapper

    return decorate


# --- Shared look-ups ------------------------------------------------------------------------------


def _roots() -> dict[str, Area]:
    return {a.code: a for a in Area.objects.get_root_nodes()}


def _jurisdiction(request) -> Area | None:
    """The root area named by `jurisdiction_id`, None when not given; an unknown one is a 404."""
    code = (request.GET.get("jurisdiction_id") or request.POST.get("jurisdiction_id") or "").strip()
    if not code:
        return None
    root = _roots().get(code)
    if root is None:
        raise Open311Error(404, _("jurisdiction_id not found."))
    return root


def _split(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def _iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return timezone.localtime(value).isoformat(timespec="seconds")


# --- Discovery and services ---------------------------------------------------------------------


@open311_view(("GET",))
def discovery(request, *, fmt: str) -> HttpResponse:
    base = request.build_absolute_uri("/open311/v2/")
    data = {
        "changeset": DISCOVERY_CHANGESET,
        "contact": settings.PUBLIC_BASE_URL,
        "key_service": _("API keys are issued by the centre's administrator."),
        "endpoints": [
            {
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": base,
                "changeset": None,
                "type": "production",
                "formats": ["application/json", "text/xml"],
            }
        ],
    }
    return render(data, fmt, root="discovery")


def _service(category: Category) -> dict:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": category.display_name,
        # Attributes: the grid and the two ranges (see the definition).
        "metadata": True,
        "type": "realtime",
        "keywords": ",".join(k for k in (category.code, category.name, category.name_en) if k),
        "group": _("Civil disputes"),
    }


@open311_view(("GET",))
def service_list(request, *, fmt: str) -> HttpResponse:
    _jurisdiction(request)
    services = [_service(c) for c in Category.objects.filter(is_active=True).order_by("sort_order", "code")]
    response = render(services, fmt, root="services")
    patch_cache_control(response, public=True, max_age=SERVICES_MAX_AGE)
    return response


@open311_view(("GET",))
def service_definition(request, service_code: str, *, fmt: str) -> HttpResponse:
    _jurisdiction(request)
    if not Category.objects.filter(code=service_code, is_active=True).exists():
        raise Open311Error(404, _("service_code not found."))
    definition = {
        "service_code": service_code,
        "attributes": [
            {
                "variable": True,
                "code": "grid",
                "datatype": "string",
                "required": False,
                "datatype_description": _(
                    "The code of the village, community or grid where it happened "
                    "(see /api/v1/public/areas/). Required unless address_string names one."
                ),
                "order": 1,
                "description": _("Village, community or grid"),
                "values": [],
            },
            *_scale_attributes(),
        ],
    }
    response = render(definition, fmt, root="service_definition")
    patch_cache_control(response, public=True, max_age=SERVICES_MAX_AGE)
    return response


# The resident's scale as ranges (disputes.scale): the attribute's code, its choices and its question.
SCALE_ATTRIBUTES = (
    ("people_band", PeopleBand, _lazy("About how many people are on your side?")),
    ("amount_band", AmountBand, _lazy("About how much money is involved?")),
)


def _scale_attributes() -> list[dict]:
    return [
        {
            "variable": True,
            "code": code,
            "datatype": "singlevaluelist",
            "required": False,
            "datatype_description": _("Optional: one of the values' keys."),
            "order": order,
            "description": str(question),
            "values": [{"key": value, "name": str(label)} for value, label in choices.choices],
        }
        for order, (code, choices, question) in enumerate(SCALE_ATTRIBUTES, start=2)
    ]


def _scale_from(data) -> dict:
    """attribute[people_band] and attribute[amount_band], checked and mapped like at every door."""
    bands = {code: (data.get(f"attribute[{code}]") or "").strip() for code, _choices, _question in SCALE_ATTRIBUTES}
    try:
        clean_scale(**bands)  # dispute_intake checks them again and maps each to its lower bound
    except ApplicationError as exc:
        raise Open311Error(
            400, _("attribute[%(code)s]: %(message)s") % {"code": exc.extra.get("field", ""), "message": exc.message}
        ) from None
    return bands


# --- Requests -------------------------------------------------------------------------------------


@open311_view(("GET", "POST"))
def requests_view(request, *, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _create(request, fmt)
    return _search(request, fmt)


@open311_view(("GET",))
def request_detail(request, request_id: str, *, fmt: str) -> HttpResponse:
    key = _reader(request)
    root = _jurisdiction(request)
    cases = _cases(key).filter(_ids_match([request_id], key))
    if root is not None:
        cases = cases.filter(area_path__startswith=root.path)
    found = list(cases[:1])
    if not found:
        raise Open311Error(404, _("service_request_id not found."))
    return render(_requests_out(found, key), fmt, root="service_requests")


def _reader(request) -> ChannelKey | None:
    """Who reads: a channel key (its own requests), or None for an anonymous reader of the public list.

    Anonymous reads answer 404 unless the centre publishes the list, and are
    counted per address. A key is read from the headers only.
    """
    if "api_key" in request.GET:
        raise Open311Error(400, _("Send the API key in the X-Api-Key header, not in the address."))
    raw = raw_key_from(request)
    if raw is not None:
        key = channel_key_find(raw)
        if key is None:
            raise Open311Error(403, _("api_key is not valid."))
        if not key.is_active:
            raise Open311Error(403, _("api_key has been revoked."))
        channel_key_touch(key)
        return key
    if not settings.OPEN311_PUBLIC_REQUESTS:
        raise Open311Error(404, _("This portal does not publish its list of requests."))
    throttling.check(throttling.OPEN311_READS_PER_IP, ratelimit.client_ip(request))
    return None


def _ids_match(ids: list[str], key: ChannelKey | None) -> Q:
    """Requests named by their public ids; a key may also name its own by tracking number."""
    match = Q(public_id__in=[i.strip().lower() for i in ids])
    if key is not None:
        match |= Q(tracking_number__in=[normalise_tracking_number(i) for i in ids])
    return match


def _cases(key: ChannelKey | None):
    return (
        selectors.open311_requests_for(key=key)
        .select_related("category", "lead_department__area")
        .only(
            "public_id",
            "tracking_number",
            "status",
            "submitted_at",
            "updated_at",
            "grid_id",
            "area_path",
            "category__code",
            "category__name",
            "lead_department__name",
            "lead_department__name_en",
            "lead_department__area__level",
        )
    )


def _parse_when(value: str, name: str, *, end: bool = False, whole_days: bool = False) -> datetime:
    """A W3C date and time (2026-11-23T10:00:00+08:00), or a date: from its start, or to its end for end_date.

    `whole_days`: a time is widened to its whole (local) day too, so that an anonymous reader cannot find
    a request's time of day by narrowing the window.
    """
    try:
        parsed = parse_datetime(value)
        day = parse_date(value) if parsed is None else None
    except ValueError:  # well formed, but no such day (2026-13-40)
        parsed = day = None
    if parsed is None and day is None:
        raise Open311Error(400, _("%(name)s is not a date and time in W3C format.") % {"name": name})
    if not dates.is_in_range(parsed or day):
        # The year 1 or 9999 cannot be moved to UTC (core.dates): refused before any conversion.
        raise Open311Error(
            400,
            _("%(name)s must be between the years %(earliest)d and %(latest)d.")
            % {"name": name, "earliest": dates.EARLIEST_YEAR, "latest": dates.LATEST_YEAR},
        )
    if parsed is not None and timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    if parsed is not None and whole_days:
        day = timezone.localtime(parsed).date()
    if day is not None:
        parsed = timezone.make_aware(datetime.combine(day, datetime.max.time() if end else datetime.min.time()))
    return parsed


def _search(request, fmt: str) -> HttpResponse:
    key = _reader(request)
    root = _jurisdiction(request)
    cases = _cases(key)
    if root is not None:
        cases = cases.filter(area_path__startswith=root.path)
    ids = _split(request.GET.get("service_request_id"))
    if ids:
        # The spec: a list of ids overrides every other filter.
        cases = cases.filter(_ids_match(ids[:MAX_RESULTS], key))
    else:
        cases = _filtered(request, cases, whole_days=key is None)
    found = list(cases.order_by("-submitted_at", "-id")[:MAX_RESULTS])
    return render(_requests_out(found, key), fmt, root="service_requests")


def _filtered(request, cases, *, whole_days: bool):
    errors = []
    codes = _split(request.GET.get("service_code"))
    if codes:
        cases = cases.filter(category__code__in=codes)
    start = end = None
    try:
        if request.GET.get("start_date"):
            start = _parse_when(request.GET["start_date"], "start_date", whole_days=whole_days)
    except Open311Error as exc:
        errors += exc.descriptions
    try:
        if request.GET.get("end_date"):
            end = _parse_when(request.GET["end_date"], "end_date", end=True, whole_days=whole_days)
    except Open311Error as exc:
        errors += exc.descriptions
    statuses = {s.lower() for s in _split(request.GET.get("status"))}
    if statuses - {"open", "closed"}:
        errors.append(_("status must be open, closed or both."))
    if errors:
        raise Open311Error(400, *errors)
    # Without dates, the last 90 days (the spec's recommendation).
    if start is None:
        start = (end or timezone.now()) - DEFAULT_WINDOW
    cases = cases.filter(submitted_at__gte=start)
    if end is not None:
        cases = cases.filter(submitted_at__lte=end)
    if statuses == {"open"}:
        cases = cases.exclude(status__in=FINAL_STATUSES)
    elif statuses == {"closed"}:
        cases = cases.filter(status__in=FINAL_STATUSES)
    return cases


def _area_names(cases: list[Dispute], *, deepest: int | None = None) -> dict[str, tuple[str, str, str]]:
    """area_path → (full name from the city down, area code, root code), in one query for any number of cases.

    `deepest`: stop at that level (AreaLevel.TOWNSHIP for the public list), naming the case's township.
    """
    paths = {c.area_path for c in cases}
    step = Area.steplen
    every = {p[:i] for p in paths for i in range(step, len(p) + 1, step)}
    areas = {a.path: a for a in Area.objects.filter(path__in=every).only("path", "code", "name", "name_en", "level")}
    names = {}
    for path in paths:
        chain = [areas[path[:i]] for i in range(step, len(path) + 1, step) if path[:i] in areas]
        if deepest is not None:
            chain = [a for a in chain if a.level <= deepest]
        if chain:
            names[path] = (" ".join(a.display_name for a in chain), chain[-1].code, chain[0].code)
    return names


def _requests_out(cases: list[Dispute], key: ChannelKey | None) -> list[dict]:
    """Cases as Open311 requests: progress, category, department and area. Nothing about the people.

    For a key (its own cases only reach here): the grid, times to the second and the tracking number.
    For the public list: the township, the day, and the department only if it serves a township or more.
    """
    full = key is not None
    names = _area_names(cases, deepest=None if full else AreaLevel.TOWNSHIP)
    out = []
    for case in cases:
        address, area_code, root_code = names.get(case.area_path, ("", "", ""))
        department = case.lead_department if case.lead_department_id else None
        if department is not None and not full and department.area.level > AreaLevel.TOWNSHIP:
            department = None
        row = {
            "service_request_id": case.public_id,
            "status": "closed" if case.status in FINAL_STATUSES else "open",
            "status_notes": str(Status(case.status).label),
            "service_name": case.category.name,
            "service_code": case.category.code,
            "description": "",
            "agency_responsible": department.display_name if department is not None else "",
            "service_notice": "",
            "requested_datetime": _iso(case.submitted_at) if full else _day(case.submitted_at),
            "updated_datetime": _iso(case.updated_at) if full else _day(case.updated_at),
            "address": address,
            "address_id": area_code,
            "jurisdiction_id": root_code,
        }
        if full:
            row["tracking_number"] = case.tracking_number
        out.append(row)
    return out


def _day(value: datetime | None) -> str | None:
    """The local day only (W3C's date form): the public list shows no time of day."""
    if value is None:
        return None
    return timezone.localtime(value).date().isoformat()


# --- Creating a request -------------------------------------------------------------------------


def _grid_from(data, root: Area | None) -> Area:
    code = (data.get("attribute[grid]") or "").strip()
    address = (data.get("address_string") or "").strip()
    if code:
        area = Area.objects.filter(code=code).first()
        if area is None:
            raise Open311Error(400, _("attribute[grid]: unknown area code."))
    elif address:
        area = _area_named_in(address)
        if area is None:
            raise Open311Error(
                400,
                _(
                    "address_string does not name a village, community or grid we know: "
                    "give its area code as attribute[grid]."
                ),
            )
    else:
        raise Open311Error(
            400, _("A location is required: address_string or attribute[grid] (coordinates alone are not enough).")
        )
    if area.level < AreaLevel.VILLAGE:
        raise Open311Error(400, _("attribute[grid]: choose the village, community or grid where it happened."))
    if root is not None and not area.path.startswith(root.path):
        raise Open311Error(400, _("attribute[grid] is outside jurisdiction_id."))
    return area


def _area_named_in(address: str) -> Area | None:
    """The village, community or grid whose name the address contains: the deepest, longest name; None if unsure."""
    candidates = list(
        Area.objects.filter(level__gte=AreaLevel.VILLAGE)
        .annotate(address=Value(address, output_field=CharField()), name_length=Length("name"))
        .filter(address__contains=F("name"))
        .order_by("-level", "-name_length", "path")[:2]
    )
    if not candidates:
        return None
    best = candidates[0]
    if len(candidates) > 1:
        other = candidates[1]
        if (other.level, len(other.name)) == (best.level, len(best.name)):
            return None  # two places with equally good names (e.g. two 新村): ask for the code
    return best


def _create(request, fmt: str) -> HttpResponse:
    data = request.POST
    key = None
    raw_key = (data.get("api_key") or "").strip()
    if raw_key:
        key = channel_key_find(raw_key)
        if key is None or key.channel != Channel.OPEN311:
            raise Open311Error(403, _("api_key is not valid."))
        if not key.is_active:
            raise Open311Error(403, _("api_key has been revoked."))
        channel_key_touch(key)
        # The same per-key limit as the channel API (core.throttling's table).
        throttling.check(throttling.CHANNEL_SUBMIT_PER_KEY, throttling.channel_key_ident(key))
    else:
        # Without a key this is an anonymous public door: the same limit per address as the web form.
        throttling.check(throttling.SUBMIT_PER_IP, ratelimit.client_ip(request))
    root = _jurisdiction(request)

    errors = []
    service_code = (data.get("service_code") or "").strip()
    if not service_code:
        errors.append(_("service_code is required."))
    description = (data.get("description") or "").strip()
    if not description:
        errors.append(_("description is required."))
    elif len(description) > 5000:
        errors.append(_("description may be at most 5000 characters long."))
    phone = (data.get("phone") or "").strip()
    if not phone:
        errors.append(_("phone is required: with the service_request_id it lets the resident follow the case."))
    else:
        try:
            phone = validate_mobile(phone)
        except DjangoValidationError as exc:
            errors.append(_("phone: %(message)s") % {"message": " ".join(exc.messages)})
    if errors:
        raise Open311Error(400, *errors)
    category = Category.objects.filter(code=service_code, is_active=True).first()
    if category is None:
        raise Open311Error(404, _("service_code not found."))
    grid = _grid_from(data, root)
    scale = _scale_from(data)
    if key is None:
        throttling.check(throttling.SUBMIT_PER_PHONE, phone)

    name = ((data.get("last_name") or "").strip() + (data.get("first_name") or "").strip())[:100]
    try:
        result = dispute_intake(
            category=category,
            description=description,
            grid=grid,
            channel=Channel.OPEN311,
            parties=[{"role": PartyRole.APPLICANT, "name": name, "phone": phone}],
            occurred_place=(data.get("address_string") or "").strip()[:200],
            **scale,
            actor=Actor(role=SYSTEM, label=key.name) if key is not None else Actor.resident(),
            channel_key=key,
        )
    except ApplicationError as exc:
        # 400, or 403 for a key limited to another area.
        raise Open311Error(exc.status_code, str(exc.message)) from None
    case = result.dispute
    body = {"service_request_id": case.public_id, "account_id": None}
    if key is not None and case.channel_key_id == key.pk:
        # The key may read this case in full (its own): the client shows the resident the number.
        body["service_notice"] = _(
            "Your tracking number is %(number)s. Keep it: with your phone number it shows the progress of the case."
        ) % {"number": format_tracking_number(case.tracking_number)}
        body["tracking_number"] = case.tracking_number
    else:
        # Anyone may post with anyone's phone: the number goes only to that phone, as from every other door.
        body["service_notice"] = _(
            "Your report is registered. The tracking number has been sent by SMS to the phone number given: "
            "with the two, the tracking page shows the progress of the case."
        )
    return render([body], fmt, root="service_requests", status=201 if result.created else 200)
