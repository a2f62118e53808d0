"""工作台: the staff case queue, read: its scopes, filters, search, order and keyset pages.

The queue is one selector, `queue_page`, shared by the page and the API:

* a scope — my cases, my department's, the cases it assists (协办), or the area
  (for handlers: the cases nobody has taken yet; for dispatchers and
  supervisors: everything open), the cases waiting for dispatch (待派单), the
  red ones without a leader (待包案), the ones I lead (我包案的) — always inside
  `disputes_visible_to(user)`; a tracking number searched finds its case
  whatever the scope (`number_match`);
* filters (a django-filter FilterSet) and a search over tracking numbers,
  descriptions and party names. On PostgreSQL the substring match is served by
  GIN trigram indexes and party names also match by trigram similarity (a
  mistyped name still finds the case); on SQLite it is a plain LIKE;
* the order the centres work in: red first, then the nearest deadline (cases
  with no running deadline last), then the id;
* keyset pagination on that order with an opaque signed cursor: a page costs
  the same two queries (the rows, then their applicants) at any depth and any
  page size, and nothing counts the table.

The writes beside it ("take next", bulk actions) are `disputes.services.queue`.
"""

import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import django_filters
from django import forms
from django.contrib.postgres.lookups import TrigramSimilar
from django.core import signing
from django.db import connection
from django.db.models import (
    BooleanField,
    DateTimeField,
    Exists,
    Expression,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextChoices,
    Value,
)
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.exceptions import ApplicationError
from core.i18n import localized_name
from core.masking import mask_name
from core.types import RequestUser
from disputes.models import Category, Dispute, DisputeAssist, Party, RoutingReturn
from disputes.rules.clocks import time_left_words
from disputes.rules.enums import OPEN_STATUSES, Channel, Colour, PartyRole, Status
from disputes.rules.tracking import ALPHABET, LENGTH, format_tracking_number, normalise_tracking_number
from disputes.selectors.access import cases_worked_by
from disputes.selectors.cases import disputes_visible_to
from grids import roles
from grids.areas import serving, within
from grids.models import Area, Department, StaffProfile

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
# The salt of cursors handed out before the queue moved here: a link kept open across the move still works.
CURSOR_SALT = "disputes.queue.cursor"

# Who has which tabs: handlers their own cases, their department's and the unassigned ones of their area;
# the area roles the whole area.
HANDLER_ROLES = roles.HANDLERS
AREA_ROLES = frozenset({roles.DISPATCHER, roles.SUPERVISOR, roles.ADMIN, roles.CALLBACK_CALLER})


class Scope(TextChoices):
    MINE = "mine", gettext_lazy("My cases")
    DEPARTMENT = "department", gettext_lazy("My department's cases")
    # 协办: the cases the user's department assists on (联合调解), wherever they are.
    ASSISTING = "assisting", gettext_lazy("Assisting")
    AREA = "area", gettext_lazy("In my area")
    # 待派单: submitted, triaged or returned cases of the area, waiting for a person to dispatch them.
    DISPATCH = "dispatch", gettext_lazy("Awaiting dispatch")
    # 待包案: red open cases of the area that nobody leads yet.
    UNLED = "unled", gettext_lazy("Awaiting a leader")
    # 我包案的: the cases the user leads (包案领导), wherever they are.
    LED = "led", gettext_lazy("Cases I lead")


# For handlers the area tab holds only the cases nobody has taken yet.
UNASSIGNED_LABEL = gettext_lazy("Unassigned in my area")
# The states a case waits in for dispatch (the dispatch clock runs in each: disputes.rules.effects).
WAITING_STATUSES = (Status.SUBMITTED, Status.TRIAGED, Status.RETURNED)
# Who names leaders (disputes.services.leader.LEADER_ROLES) and so has the 待包案 tab.
LEADER_SETTER_ROLES = frozenset({roles.SUPERVISOR, roles.ADMIN})


def leads_cases(user: RequestUser | None) -> bool:
    """Whether the user leads any case (包案领导); read once per request (kept on the user object)."""
    if user is None or not user.is_authenticated:
        return False
    known: bool | None = getattr(user, "_queue_leads_cases", None)
    if known is None:
        known = Dispute.objects.filter(leader_id=user.pk).exists()
        user._queue_leads_cases = known  # type: ignore[union-attr]
    return known


def queue_scopes(user: RequestUser | None) -> list[str]:
    """The tabs this user has, the first being where they land (a dispatcher on 待派单)."""
    role = roles.role_of(user)
    scopes: list[str]
    if role in HANDLER_ROLES:
        profile = roles.staff_profile(user)
        scopes = [Scope.MINE]
        if profile is not None and profile.department_id:
            scopes += [Scope.DEPARTMENT, Scope.ASSISTING]
        scopes.append(Scope.AREA)
    elif role == roles.DISPATCHER:
        scopes = [Scope.DISPATCH, Scope.AREA]
    elif role in LEADER_SETTER_ROLES:
        scopes = [Scope.AREA, Scope.DISPATCH, Scope.UNLED]
    elif role in AREA_ROLES:
        scopes = [Scope.AREA]
    else:
        return []
    # Supervisors always have the tab of the cases they lead; anyone else once they lead one.
    if role == roles.SUPERVISOR or (role != roles.ADMIN and leads_cases(user)):
        scopes.append(Scope.LED)
    return scopes


def scope_label(user: RequestUser | None, scope: str) -> str:
    if scope == Scope.AREA and roles.role_of(user) in HANDLER_ROLES:
        return str(UNASSIGNED_LABEL)
    return str(Scope(scope).label)


def queue_base(*, user: RequestUser, scope: str) -> QuerySet[Dispute]:
    """The cases of one scope, inside the user's jurisdiction; no status filter, no order."""
    if scope not in queue_scopes(user):
        return Dispute.objects.none()
    visible = disputes_visible_to(user)
    profile = roles.staff_profile(user)
    if scope == Scope.MINE:
        return visible.filter(assigned_mediator=user)
    if scope == Scope.DEPARTMENT:
        return visible.filter(lead_department_id=profile.department_id)
    if scope == Scope.ASSISTING:
        assisted = DisputeAssist.objects.filter(dispute=OuterRef("pk"), department_id=profile.department_id)
        return visible.filter(Exists(assisted))
    if scope == Scope.LED:
        return visible.filter(leader=user)
    if profile is not None and profile.role != roles.ADMIN:
        visible = visible.filter(within(profile.area.path))
    if scope == Scope.DISPATCH:
        return visible.filter(status__in=WAITING_STATUSES)
    if scope == Scope.UNLED:
        return visible.filter(colour=Colour.RED, leader__isnull=True)
    if roles.role_of(user) in HANDLER_ROLES:
        visible = visible.filter(assigned_mediator__isnull=True)
    return visible


def number_match(text: str | None) -> tuple[Q | None, bool]:
    """When `text` is nothing but a tracking number or its first groups (typed any way: spaces, dashes,
    lower case, full width), the condition "the number is `text`, or starts with it", and whether it is
    a whole number; (None, False) for any other text."""
    typed = unicodedata.normalize("NFKC", (text or "").strip()[:100])
    if not all(ch.isascii() and (ch.isalnum() or ch in " -") for ch in typed):
        return None, False
    number = normalise_tracking_number(typed)
    if not number or not all(ch in ALPHABET for ch in number):
        return None, False
    if len(number) == LENGTH:
        return Q(tracking_number=number), True
    # The first groups, read out over the phone.
    if 4 <= len(number) < LENGTH:
        return Q(tracking_number__startswith=number), False
    return None, False


# --- The order and the keyset ---------------------------------------------------------------------


class DueKey(Func):
    """`next_due_at` with "no running deadline" as +infinity, so those cases sort last.

    The SQL is exactly the expression of the queue indexes (migration 0007), so
    PostgreSQL walks an index in queue order instead of sorting.
    """

    output_field = DateTimeField()

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"COALESCE({sql}, '9999-12-31 23:59:59.999999')", params

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"COALESCE({sql}, 'infinity'::timestamptz)", params


class RowAfter(Expression):
    """(a, b, c) > (x, y, z): one row comparison, which a btree index answers as a range."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, left: list, right: list) -> None:
        super().__init__()
        self.left, self.right = list(left), list(right)

    def get_source_expressions(self):
        return [*self.left, *self.right]

    def set_source_expressions(self, exprs):
        n = len(self.left)
        self.left, self.right = list(exprs[:n]), list(exprs[n:])

    def as_sql(self, compiler, connection, **extra_context):
        sides = []
        params: list[Any] = []
        for side in (self.left, self.right):
            parts = []
            for expression in side:
                sql, p = compiler.compile(expression)
                parts.append(sql)
                params.extend(p)
            sides.append(", ".join(parts))
        return f"(({sides[0]}) > ({sides[1]}))", params


QUEUE_ORDER = (F("colour").asc(), DueKey(F("next_due_at")).asc(), F("id").asc())


def cursor_of(colour: int, next_due_at: datetime | None, pk: int) -> str:
    """The signed cursor of the position (colour, nearest deadline, id) in the queue's order."""
    due = next_due_at.isoformat() if next_due_at is not None else None
    return signing.dumps([colour, due, pk], salt=CURSOR_SALT)


def decode_cursor(cursor: str) -> tuple[int, datetime | None, int]:
    """The position a cursor stands for; a cursor not made here is refused."""
    try:
        colour, due, pk = signing.loads(cursor, salt=CURSOR_SALT)
        return int(colour), (datetime.fromisoformat(due) if due else None), int(pk)
    except (signing.BadSignature, ValueError, TypeError):
        raise ApplicationError(
            _("This page link is no longer valid. Start again from the first page."), code="invalid_cursor"
        ) from None


def after_cursor(qs: QuerySet[Dispute], cursor: str) -> QuerySet[Dispute]:
    colour, due, pk = decode_cursor(cursor)
    return qs.filter(
        RowAfter(
            [F("colour"), DueKey(F("next_due_at")), F("id")],
            [Value(colour), DueKey(Value(due, output_field=DateTimeField())), Value(pk)],
        )
    )


# --- Filters and search -----------------------------------------------------------------------------


class FlagInput(forms.CheckboxInput):
    """A checkbox that also understands ?overdue=0 / false from the API as "off"."""

    def value_from_datadict(self, data, files, name):
        value = data.get(name)
        if isinstance(value, str):
            return value.strip().lower() not in ("", "0", "false", "off", "no")
        return bool(value)


def area_choices(user: RequestUser | None) -> QuerySet[Area]:
    """Areas a filter may name: the user's own and those below it (admins: all)."""
    profile = roles.staff_profile(user)
    areas = Area.objects.order_by("path")
    if profile is None or profile.role == roles.ADMIN:
        return areas
    return areas.filter(within(profile.area.path, field="path"))


COLOUR_CHOICES = [(c.code, c.label) for c in Colour]


class QueueFilter(django_filters.FilterSet):
    """The queue's filters. With no status chosen only open cases are listed."""

    q = django_filters.CharFilter(label=gettext_lazy("Search"), method="filter_search")
    status = django_filters.ChoiceFilter(
        label=gettext_lazy("Status"), choices=Status.choices, empty_label=gettext_lazy("All open cases")
    )
    colour = django_filters.ChoiceFilter(
        label=gettext_lazy("Colour"), choices=COLOUR_CHOICES, method="filter_colour", empty_label=gettext_lazy("Any")
    )
    category = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Category"),
        queryset=Category.objects.filter(is_active=True),
        to_field_name="code",
        empty_label=gettext_lazy("Any"),
    )
    area = django_filters.ModelChoiceFilter(
        label=gettext_lazy("Area"),
        queryset=Area.objects.none(),
        method="filter_area",
        empty_label=gettext_lazy("Any"),
    )
    channel = django_filters.ChoiceFilter(
        label=gettext_lazy("Channel"), choices=Channel.choices, empty_label=gettext_lazy("Any")
    )
    overdue = django_filters.BooleanFilter(
        label=gettext_lazy("Overdue only"), method="filter_overdue", widget=FlagInput
    )

    class Meta:
        model = Dispute
        fields = ["q", "status", "colour", "category", "area", "channel", "overdue"]

    def __init__(self, data=None, queryset=None, *, user=None, now: datetime | None = None, **kwargs):
        super().__init__(data, queryset, **kwargs)
        self.now = now or timezone.now()
        self.user = user
        self.filters["area"].queryset = area_choices(user)

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        # A whole tracking number finds its case whatever its status; anything else lists open cases only.
        whole_number = number_match(self.form.cleaned_data.get("q"))[1]
        if not self.form.cleaned_data.get("status") and not whole_number:
            queryset = queryset.filter(status__in=sorted(OPEN_STATUSES))
        return queryset

    def filter_colour(self, queryset, name, value):
        return queryset.filter(colour=Colour[value.upper()]) if value else queryset

    def filter_area(self, queryset, name, value):
        return queryset.filter(within(value.path)) if value else queryset

    def filter_overdue(self, queryset, name, value):
        # Spelled with the queue's own sort key: PostgreSQL then walks the queue index (overdue cases
        # come first within each colour) instead of collecting every overdue case to sort them.
        return queryset.alias(due_key=DueKey(F("next_due_at"))).filter(due_key__lt=self.now) if value else queryset

    def filter_search(self, queryset, name, value):
        return search(queryset, value, worked=cases_worked_by(self.user))


# A term found in more cases than this is common: the queue is walked in order and each case checked,
# which fills a page after a few rows; below it, the matching cases are looked up first (migration 0012).
SEARCH_CANDIDATES = 5000

# The cases whose description or party names contain the term (all of its two-character pieces, or the
# character itself, in the indexes of migration 0012, then a substring check), whose parties have a
# similar name (pg_trgm, terms of three characters or more), or whose tracking number is the term or
# starts with it.
# UNION ALL under a LIMIT stops reading once the limit is passed; duplicates are dropped in Python.
CANDIDATES_SQL = """
(SELECT id FROM disputes_dispute
  WHERE dispute_grams(UPPER(description)) @> dispute_term_grams(UPPER(%(text)s))
    AND strpos(UPPER(description), UPPER(%(text)s)) > 0)
UNION ALL
(SELECT dispute_id FROM disputes_party
  WHERE (dispute_grams(UPPER(name::text)) @> dispute_term_grams(UPPER(%(text)s))
         AND strpos(UPPER(name::text), UPPER(%(text)s)) > 0)
     OR (%(similar)s AND UPPER(name::text) %% UPPER(%(text)s)))
UNION ALL
(SELECT id FROM disputes_dispute WHERE tracking_number = %(number)s OR tracking_number LIKE %(prefix)s)
LIMIT %(limit)s
"""


def search(queryset: QuerySet[Dispute], text: str, *, worked: Q | None = None) -> QuerySet[Dispute]:
    """Tracking number (typed any way: spaces, dashes, lower case), description, party names.

    `worked` (disputes.selectors.access.cases_worked_by), when given, limits the matches by description or
    name to the cases the user works: a bystander finds the others by their number only.
    """
    text = (text or "").strip()[:100]
    if not text:
        return queryset
    number = normalise_tracking_number(text)
    is_number = all(ch in ALPHABET for ch in number)
    full_number = number if is_number and len(number) == LENGTH else None
    # The first groups, read out over the phone.
    number_prefix = number if is_number and 4 <= len(number) < LENGTH else None
    by_number = Q(pk__in=[])
    if full_number:
        by_number = Q(tracking_number=full_number)
    elif number_prefix:
        by_number = Q(tracking_number__startswith=number_prefix)
    if worked is not None:
        queryset = queryset.filter(by_number | worked)
    if connection.vendor == "postgresql":
        ids = _candidate_ids(text, number=full_number, prefix=number_prefix)
        if ids is not None:
            return queryset.filter(IdAmong(F("pk"), ids)) if ids else queryset.none()
    match = Q(description__icontains=text) | by_number
    if connection.vendor == "postgresql" and len(text) < 3:
        # A common term too short for a trigram: check each case's own parties while walking the
        # queue in order, which stops at the first page of matches.
        match |= Q(PartyNameContains(F("pk"), text))
    else:
        names = Q(name__icontains=text)
        if connection.vendor == "postgresql":
            # pg_trgm's similarity (the % operator): a mistyped name still finds the case.
            names |= Q(TrigramSimilar(Upper("name"), text.upper()))
        match |= Q(pk__in=Party.objects.filter(names).values("dispute_id"))
    return queryset.filter(match)


def _candidate_ids(text: str, *, number: str | None, prefix: str | None) -> list[int] | None:
    """Every case matching `text` (PostgreSQL), or None when there are more than SEARCH_CANDIDATES."""
    params = {
        "text": text,
        "similar": len(text) >= 3,
        "number": number or "",
        "prefix": (prefix + "%") if prefix else "",
        "limit": SEARCH_CANDIDATES + 1,
    }
    with connection.cursor() as cursor:
        cursor.execute(CANDIDATES_SQL, params)
        rows = cursor.fetchall()
    if len(rows) > SEARCH_CANDIDATES:
        return None
    return sorted({row[0] for row in rows})


class _CaseCondition(Expression):
    """A condition on a case's primary key with one plain value beside it, written by `as_sql`."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, case_pk, value) -> None:
        super().__init__()
        self.case_pk, self.value = case_pk, value

    def get_source_expressions(self):
        return [self.case_pk]

    def set_source_expressions(self, exprs):
        (self.case_pk,) = exprs


class IdAmong(_CaseCondition):
    """`id = ANY(%s)` (PostgreSQL) with the ids as one array parameter.

    `pk__in` writes a placeholder and a parameter per id: thousands of them for a common
    name cost the web process more time than the query itself takes in the database.
    """

    def as_sql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.case_pk)
        return f"{sql} = ANY(%s)", [*params, list(self.value)]


class PartyNameContains(_CaseCondition):
    """EXISTS a party of this case whose name contains the text (PostgreSQL, checked case by case).

    `OFFSET 0` keeps PostgreSQL from turning the EXISTS into a hashed IN over
    every matching party of the table.
    """

    def as_sql(self, compiler, connection, **extra_context):
        pk_sql, pk_params = compiler.compile(self.case_pk)
        pattern = "%" + connection.ops.prep_for_like_query(self.value).upper() + "%"
        table = connection.ops.quote_name(Party._meta.db_table)
        # Only quoted identifiers and compiled SQL are interpolated; the text is a parameter.
        return (
            f"EXISTS (SELECT 1 FROM {table} WHERE {table}.dispute_id = {pk_sql} "  # noqa: S608  # nosec B608
            f"AND UPPER({table}.name::text) LIKE %s OFFSET 0)",
            [*pk_params, pattern],
        )


# --- The page of rows ---------------------------------------------------------------------------------


@dataclass
class QueueRow:
    """One line of the queue, with the applicant's name masked."""

    tracking_number: str
    tracking_number_display: str
    colour: str
    colour_label: str
    status: str
    status_label: str
    category: str
    category_name: str
    area_name: str
    applicant: str
    next_due_at: datetime | None
    overdue: bool
    time_left: str
    mediator: str
    # 包案领导's name (empty: nobody leads the case).
    leader: str = ""
    # A returned case: the department that sent it back and why (for those who work it; else empty).
    returned_by: str = ""
    return_reason: str = ""


@dataclass
class QueuePage:
    scope: str
    rows: list[QueueRow]
    next_cursor: str | None
    page_size: int
    filters: QueueFilter
    scopes: list[str] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        return self.filters.is_valid()


def page_size_from(value: Any) -> int:
    try:
        size = int(value)
    except (TypeError, ValueError):
        return DEFAULT_PAGE_SIZE
    return max(1, min(size, MAX_PAGE_SIZE))


def queue_page(
    *,
    user,
    scope: str | None,
    params,
    cursor: str | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
    now: datetime | None = None,
) -> QueuePage:
    """One page of a user's queue: rows, and the cursor of the next page (None on the last page).

    One query for the rows whatever the page size or depth (plus one to check
    an area filter), read as plain values (`_row_values`).
    """
    now = now or timezone.now()
    scopes = queue_scopes(user)
    if scope not in scopes:
        scope = scopes[0] if scopes else Scope.AREA
    base = queue_base(user=user, scope=scope)
    by_number = number_match((params or {}).get("q"))[0] if scopes else None
    if by_number is not None:
        # A tracking number finds its case in whatever tab it is typed: any case the user may see
        # (an assisting department's, a case already taken by a colleague, one led from above).
        base = base | disputes_visible_to(user).filter(by_number)
    filters = QueueFilter(params, queryset=base, user=user, now=now)
    qs = filters.qs
    if cursor:
        qs = after_cursor(qs, cursor)
    values = list(_row_values(qs.order_by(*QUEUE_ORDER))[: page_size + 1])
    more = len(values) > page_size
    values = values[:page_size]
    last = values[-1] if values else None
    rows = [queue_row(v, now=now) for v in values]
    if cases_worked_by(user) is None:
        # Those who work every case they see (dispatchers, supervisors) read why a case came back.
        add_return_reasons(rows, [v["id"] for v in values])
    return QueuePage(
        scope=scope,
        rows=rows,
        next_cursor=cursor_of(last["colour"], last["next_due_at"], last["id"]) if more else None,
        page_size=page_size,
        filters=filters,
        scopes=scopes,
    )


ROW_VALUES = (
    "id",
    "tracking_number",
    "colour",
    "status",
    "next_due_at",
    "category__code",
    "category__name",
    "category__name_en",
    "grid__name",
    "grid__name_en",
    "assigned_mediator__username",
    "assigned_mediator__staff__display_name",
    "leader__username",
    "leader__staff__display_name",
)


def _row_values(qs: QuerySet[Dispute]) -> QuerySet:
    """The queue columns as plain values, the applicant's name by a correlated subquery.

    Not model instances: five objects per row (case, category, grid, mediator,
    profile) and a prefetch cost more than the query itself (bench/case_queue.py).
    """
    applicant = Party.objects.filter(dispute_id=OuterRef("pk"), role=PartyRole.APPLICANT).order_by("id")
    return qs.annotate(applicant_name=Subquery(applicant.values("name")[:1])).values(*ROW_VALUES, "applicant_name")


def queue_row(v: dict, *, now: datetime) -> QueueRow:
    """One queue line from a `_row_values` row."""
    colour = Colour(v["colour"])
    due = v["next_due_at"]
    username = v["assigned_mediator__username"]
    return QueueRow(
        tracking_number=v["tracking_number"],
        tracking_number_display=format_tracking_number(v["tracking_number"]),
        colour=colour.code,
        colour_label=str(colour.label),
        status=v["status"],
        status_label=str(Status(v["status"]).label),
        category=v["category__code"],
        category_name=localized_name(v["category__name"], v["category__name_en"]),
        area_name=localized_name(v["grid__name"], v["grid__name_en"]),
        applicant=mask_name(v["applicant_name"]) if v["applicant_name"] else "",
        next_due_at=due,
        overdue=due is not None and due < now,
        time_left=time_left_text(due, now=now),
        mediator=(v["assigned_mediator__staff__display_name"] or username) if username else "",
        leader=(v["leader__staff__display_name"] or v["leader__username"]) if v["leader__username"] else "",
    )


def add_return_reasons(rows: list[QueueRow], ids: list[int]) -> None:
    """退回: fill in the latest return (department, reason) of each returned row, in one query for the page."""
    returned = {pk for row, pk in zip(rows, ids, strict=True) if row.status == Status.RETURNED}
    if not returned:
        return
    latest: dict[int, tuple[str, str]] = {}
    for dispute_id, reason, name, name_en in (
        RoutingReturn.objects.filter(dispute_id__in=sorted(returned))
        .order_by("dispute_id", "at", "id")
        .values_list("dispute_id", "reason", "department__name", "department__name_en")
    ):
        latest[dispute_id] = (localized_name(name, name_en), reason)
    for row, pk in zip(rows, ids, strict=True):
        if pk in latest:
            row.returned_by, row.return_reason = latest[pk]


def queue_row_for(case: Dispute, *, now: datetime | None = None) -> QueueRow:
    """The queue line of one case (e.g. the one just taken)."""
    return queue_row(_row_values(Dispute.objects.filter(pk=case.pk)).get(), now=now or timezone.now())


def time_left_text(due: datetime | None, *, now: datetime) -> str:
    if due is None:
        return _("No deadline running")
    # The case page's words (days, hours, minutes), so a deadline reads the same in both places.
    return time_left_words(due, now)


# --- 领取下一件: take the next case ------------------------------------------------------------------------


def take_next_candidates(*, user: RequestUser) -> QuerySet[Dispute]:
    """Dispatched, nobody's yet, led by the user's department, in the user's area: most urgent first."""
    profile = roles.staff_profile(user)
    if profile is None or not profile.department_id:
        return Dispute.objects.none()
    return (
        disputes_visible_to(user)
        .filter(
            within(profile.area.path),
            status=Status.DISPATCHED,
            lead_department_id=profile.department_id,
            assigned_mediator__isnull=True,
        )
        .order_by(*QUEUE_ORDER)
    )


# --- Who a bulk action may name ----------------------------------------------------------------------


def bulk_mediators(user: RequestUser | None) -> QuerySet[StaffProfile]:
    """Handlers a bulk assignment may name: mediators and department staff in the user's area or above it."""
    profile = roles.staff_profile(user)
    handlers = StaffProfile.objects.filter(
        role__in=sorted(roles.HANDLERS), user__is_active=True, department__isnull=False
    ).select_related("user", "department")
    if profile is not None and profile.role != roles.ADMIN:
        path = profile.area.path
        handlers = handlers.filter(within(path, field="area__path") | serving(path))
    return handlers.order_by("department__name", "display_name", "pk")


def bulk_departments(user: RequestUser | None) -> QuerySet[Department]:
    """Departments a bulk transfer may name: active, serving the user's area, above or below it."""
    profile = roles.staff_profile(user)
    departments = Department.objects.filter(is_active=True).select_related("area")
    if profile is not None and profile.role != roles.ADMIN:
        path = profile.area.path
        departments = departments.filter(within(path, field="area__path") | serving(path))
    return departments.order_by("area__path", "name")
