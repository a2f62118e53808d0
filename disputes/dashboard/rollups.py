"""汇总: builds the dashboard's rollup table with set-based SQL, never loading cases into Python.

How the table is kept up to date, and why beat rather than the transition service:

* `refresh_recent` (beat, every 5 minutes) rebuilds the last `RECENT_DAYS` (14)
  days, and the months they fall in. Callbacks are due within 7 days of the
  report-back and are counted on the report-back's day, so 14 days catches the
  verdicts of everything concluded lately; a handler's day of work shows on the
  dashboard within five minutes.
* Both also replace the NOW rows: how many open cases are past a deadline
  at this moment, per village and breakdown (the list itself is read live),
  and the states now (open cases past a resolve deadline: `open_overdue`).
* States (statistics.STATE_FIELDS) are never summed over days: day rows hold 0,
  each month row holds the state at the month's end (the month in progress: at
  the refresh), from the Deadline rows (`_states_sql`); the readers take the
  period's last month, or the NOW rows for a period not yet over.
* Every rebuild records its time with the rollups' version (`refreshed_at`, the
  dashboard's "数据截至").
* `rebuild_all` (beat, nightly, and `manage.py rebuild_rollups`) rebuilds
  everything from scratch. It costs well under a minute at a million cases and
  repairs what the window cannot see: a colour raised or a case reopened long
  after its own dates.

Incremental updates from `dispute_transition` were rejected: a case's counts
depend on fields that change outside it too (colour escalations and overrides,
callbacks, returns, the seed loader's bulk rows), every writer would have to
subtract the case's old contribution exactly, and one missed path would leave
the figures wrong for ever. A rebuild of whole days is idempotent and exact for
the days it covers; the price is a lag of up to five minutes (up to a day for
old-dated changes), which a monthly report does not notice.

Rows are written per local day (Asia/Shanghai) and village, then summed into
months for every level of the tree (city, county, township, village), each under
the area's exact path: a period of whole months reads one row per breakdown value
and month, however large the area. Day rows (only for the partial months at
either end of a custom range) stay per village and are read by path prefix.
Both steps run in one transaction, so readers see either the old or the new
rows, never a half-built table; concurrent rebuilds are serialised by a
PostgreSQL advisory lock (SQLite serialises writers anyway).
"""

# The SQL below is assembled from this module's constants (table and column names, enum
# values); every value that comes from outside (dates) is passed as a parameter.
# ruff: noqa: S608

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connections, router, transaction
from django.utils import timezone

from core import caching
from disputes.models import CallbackAttempt, DisputeRollup, Party
from disputes.rules.enums import OPEN_STATUSES, Outcome, PartyRole, Status
from disputes.statistics import COUNT_FIELDS, DAY_BUCKETS, DAY_SECONDS, HISTOGRAM_FIELDS, STATE_FIELDS
from grids.models import Area, AreaLevel

RECENT_DAYS = 14
ADVISORY_LOCK = 60_0608  # any constant, the same for every rebuild

CONCLUDED = (
    Outcome.AGREEMENT,
    Outcome.ORAL_AGREEMENT,
    Outcome.RESOLVED_OTHERWISE,
    Outcome.LITIGATION,
    Outcome.POLICE,
)
RESOLVED = (Outcome.AGREEMENT, Outcome.ORAL_AGREEMENT, Outcome.RESOLVED_OTHERWISE)
REACHED = ("satisfied", "basically_satisfied", "dissatisfied")
SATISFIED = ("satisfied", "basically_satisfied")
REPEAT_RULES = ("repeat_dispute", "prior_incident_same_parties")
DIMENSIONS = ("all", "department", "category", "colour", "channel")

# The measures, in table order (statistics.COUNT_FIELDS); every contribution row below yields them all.
MEASURES = COUNT_FIELDS
# The states (statistics.STATE_FIELDS): 0 in day rows, read at the end of a month in month rows and at the
# refresh in NOW rows; never summed over days.
STATES = STATE_FIELDS
# Every column a row is inserted with, after (grain, day, area_path, dimension, value).
COLUMNS = ", ".join(("grain", "day", "area_path", "dimension", "value", *MEASURES, *STATES, "overdue"))
ZERO_STATES = ", ".join("0" for _ in STATES)

TABLE = DisputeRollup._meta.db_table
DISPUTE = "disputes_dispute"
DEADLINE = "disputes_deadline"
EVENT = "disputes_caseevent"
RETURN = "disputes_routingreturn"
ATTEMPT = CallbackAttempt._meta.db_table
PARTY = Party._meta.db_table


@dataclass
class RebuildResult:
    day_rows: int
    month_rows: int
    seconds: float


def _quote(values) -> str:
    return ", ".join("'{}'".format(str(v).replace("'", "''")) for v in values)


class _Dialect:
    """The few expressions that differ between PostgreSQL and SQLite."""

    def __init__(self, vendor: str) -> None:
        self.vendor = vendor
        self.tz = settings.TIME_ZONE

    def local_day(self, column: str) -> str:
        if self.vendor == "postgresql":
            return f"(({column}) AT TIME ZONE '{self.tz}')::date"
        # SQLite keeps UTC text; the zone has a fixed offset (China has no daylight saving time).
        offset = datetime.now(ZoneInfo(self.tz)).utcoffset() or timedelta()
        hours = int(offset.total_seconds() // 3600)
        return f"date({column}, '{hours:+d} hours')"

    def month_start(self, column: str) -> str:
        if self.vendor == "postgresql":
            return f"date_trunc('month', {column})::date"
        return f"date({column}, 'start of month')"

    def epoch(self, column: str) -> str:
        """Whole seconds since the epoch (fractions dropped), the same on both."""
        if self.vendor == "postgresql":
            return f"CAST(EXTRACT(EPOCH FROM date_trunc('second', {column})) AS bigint)"
        return f"CAST(strftime('%%s', {column}) AS INTEGER)"

    def text(self, column: str) -> str:
        return f"CAST({column} AS text)" if self.vendor == "postgresql" else f"CAST({column} AS TEXT)"

    def json_int(self, column: str, key: str) -> str:
        if self.vendor == "postgresql":
            return f"CAST(({column} ->> '{key}') AS bigint)"
        return f"CAST(json_extract({column}, '$.{key}') AS INTEGER)"


def village_path_length() -> int:
    return Area.steplen * AreaLevel.VILLAGE


def _contributions(d: _Dialect, vendor: str) -> str:
    """One row per counted event, with the case's dimensions: the heart of the rollup.

    %(start)s and %(end)s bound the event times (UTC instants of local midnights).
    """
    n = village_path_length()
    area = f"substr(c.area_path, 1, {n})"
    dims = "c.category_id AS category, c.colour AS colour, c.channel AS channel"
    zero = dict.fromkeys(MEASURES, "0")

    def select(day_expr: str, dept_expr: str, measures: dict[str, str], source: str) -> str:
        values = {**zero, **measures}
        cols = ", ".join(f"{values[m]} AS {m}" for m in MEASURES)
        return f"SELECT {day_expr} AS day, {area} AS area, {dept_expr} AS dept, {dims}, {cols} FROM {source}"  # nosec B608

    resolved = f"c.outcome IN ({_quote(RESOLVED)})"
    seconds = f"({d.epoch('c.reported_at')} - {d.epoch('c.submitted_at')})"
    histogram = {}
    for index, (_lower, upper) in enumerate(DAY_BUCKETS):
        lower_ok = "1=1" if index == 0 else f"{seconds} >= {DAY_BUCKETS[index][0] * DAY_SECONDS}"
        upper_ok = "1=1" if upper is None else f"{seconds} < {upper * DAY_SECONDS}"
        if index == 0:
            lower_ok = "1=1"  # negative durations (clock skew) fall in the first bucket
        histogram[HISTOGRAM_FIELDS[index]] = f"CASE WHEN {resolved} AND {lower_ok} AND {upper_ok} THEN 1 ELSE 0 END"

    repeat = " OR ".join(f"{d.text('c.triage_reasons')} LIKE '%%{rule}%%'" for rule in REPEAT_RULES)
    late_deadline = (
        f"EXISTS (SELECT 1 FROM {DEADLINE} dl WHERE dl.dispute_id = c.id AND dl.kind = 'resolve' "  # nosec B608
        "AND dl.cancelled_at IS NULL AND dl.done_at > dl.due_at)"
    )
    # 受理口径: registered = submitted, less the withdrawn and the duplicates merged into an earlier case
    # (both closed with outcome "withdrawn"), by the case's state now.
    registered = f"(c.outcome <> '{Outcome.WITHDRAWN}' AND c.status <> '{Status.WITHDRAWN}')"
    submitted = select(
        d.local_day("c.submitted_at"),
        "c.lead_department_id",
        {
            "submitted": "1",
            "repeat": f"CASE WHEN {repeat} THEN 1 ELSE 0 END",
            "registered": f"CASE WHEN {registered} THEN 1 ELSE 0 END",
            "registered_resolved": f"CASE WHEN {registered} AND {resolved} THEN 1 ELSE 0 END",
            "registered_open": (
                f"CASE WHEN {registered} AND c.status IN ({_quote(sorted(OPEN_STATUSES))}) THEN 1 ELSE 0 END"
            ),
        },
        f"{DISPUTE} c WHERE c.submitted_at >= %(start)s AND c.submitted_at < %(end)s",
    )
    concluded = f"c.outcome IN ({_quote(CONCLUDED)})"
    reported = select(
        d.local_day("c.reported_at"),
        "c.lead_department_id",
        {
            "concluded": f"CASE WHEN {concluded} THEN 1 ELSE 0 END",
            "resolved": f"CASE WHEN {resolved} THEN 1 ELSE 0 END",
            "agreement": f"CASE WHEN c.outcome = '{Outcome.AGREEMENT}' THEN 1 ELSE 0 END",
            "oral_agreement": f"CASE WHEN c.outcome = '{Outcome.ORAL_AGREEMENT}' THEN 1 ELSE 0 END",
            "litigation": f"CASE WHEN c.outcome = '{Outcome.LITIGATION}' THEN 1 ELSE 0 END",
            "police": f"CASE WHEN c.outcome = '{Outcome.POLICE}' THEN 1 ELSE 0 END",
            "on_time": f"CASE WHEN {concluded} AND NOT {late_deadline} THEN 1 ELSE 0 END",
            "reopened": f"CASE WHEN {concluded} AND c.reopened_count > 0 THEN 1 ELSE 0 END",
            "reached": f"CASE WHEN c.callback_result IN ({_quote(REACHED)}) THEN 1 ELSE 0 END",
            "satisfied": f"CASE WHEN c.callback_result IN ({_quote(SATISFIED)}) THEN 1 ELSE 0 END",
            "unreachable": "CASE WHEN c.callback_result = 'unreachable' THEN 1 ELSE 0 END",
            "resolve_seconds": f"CASE WHEN {resolved} THEN {seconds} ELSE 0 END",
            **histogram,
        },
        f"{DISPUTE} c WHERE c.reported_at >= %(start)s AND c.reported_at < %(end)s "
        f"AND ({concluded} OR c.callback_result <> '')",
    )
    # 满意率 by parties: each party's latest attempt since the case's latest report-back, on that day. An
    # attempt that names no party (recorded before parties were told apart, or the resident's own rating)
    # is the first applicant's.
    applicant = f"(SELECT MIN(p.id) FROM {PARTY} p WHERE p.dispute_id = c.id AND p.role = '{PartyRole.APPLICANT}')"  # nosec B608
    latest = (
        f"(SELECT a.dispute_id, a.reached, a.satisfaction, ROW_NUMBER() OVER (PARTITION BY a.dispute_id, "  # nosec B608
        f"COALESCE(a.party_id, {applicant}, 0) ORDER BY a.at DESC, a.id DESC) AS rank FROM {ATTEMPT} a "
        f"JOIN {DISPUTE} c ON c.id = a.dispute_id WHERE c.reported_at >= %(start)s AND c.reported_at < %(end)s "
        "AND a.at >= c.reported_at)"
    )
    reached_party = f"la.reached AND la.satisfaction IN ({_quote(REACHED)})"
    parties = select(
        d.local_day("c.reported_at"),
        "c.lead_department_id",
        {
            "parties_reached": f"CASE WHEN {reached_party} THEN 1 ELSE 0 END",
            "parties_satisfied": f"CASE WHEN {reached_party} AND la.satisfaction IN ({_quote(SATISFIED)}) "
            "THEN 1 ELSE 0 END",
        },
        f"{latest} la JOIN {DISPUTE} c ON c.id = la.dispute_id WHERE la.rank = 1",
    )
    closed = select(
        d.local_day("c.closed_at"),
        "c.lead_department_id",
        {
            "closed": "1",
            # 撤回: withdrawn at the applicant's request; a suspected duplicate merged into its earlier case
            # (also closed as "withdrawn") is not a withdrawal and keeps its link (duplicate_of).
            "withdrawn": f"CASE WHEN c.outcome = '{Outcome.WITHDRAWN}' AND c.duplicate_of_id IS NULL THEN 1 ELSE 0 END",
        },
        f"{DISPUTE} c WHERE c.closed_at >= %(start)s AND c.closed_at < %(end)s",
    )
    dispatched = select(
        d.local_day("e.at"),
        d.json_int("e.data", "department"),
        {"dispatched": "1"},
        f"{EVENT} e JOIN {DISPUTE} c ON c.id = e.dispute_id WHERE e.at >= %(start)s AND e.at < %(end)s "
        "AND e.kind = 'transition' AND e.action IN ('dispatch', 'transfer')",
    )
    returned = select(
        d.local_day("r.at"),
        "r.department_id",
        {"returned": "1"},
        f"{RETURN} r JOIN {DISPUTE} c ON c.id = r.dispute_id WHERE r.at >= %(start)s AND r.at < %(end)s",
    )
    return " UNION ALL ".join((submitted, reported, parties, closed, dispatched, returned))


def _dimension_values(d: _Dialect) -> dict[str, str]:
    """Each breakdown's value column, as text ("" for the totals and for a case not yet dispatched)."""
    return {
        "all": "''",
        "department": f"COALESCE({d.text('dept')}, '')",
        "category": d.text("category"),
        "colour": d.text("colour"),
        "channel": "channel",
    }


def _insert_days_sql(d: _Dialect, vendor: str) -> str:
    """Groups the contributions per day × village × each breakdown and inserts them (grain = day)."""
    if vendor == "postgresql":
        return _insert_days_sql_grouping_sets(d)
    sums = ", ".join(f"SUM({m})" for m in MEASURES)
    fine_sums = ", ".join(f"SUM({m}) AS {m}" for m in MEASURES)
    value = _dimension_values(d)
    groups = " UNION ALL ".join(
        f"SELECT {DisputeRollup.Grain.DAY}, day, area, '{dim}', {value[dim]}, {sums}, {ZERO_STATES}, 0 FROM fine "  # nosec B608
        f"GROUP BY day, area{'' if dim == 'all' else ', ' + value[dim]}"
        for dim in DIMENSIONS
    )
    materialized = "MATERIALIZED " if vendor == "postgresql" else ""
    columns = COLUMNS
    return (
        f"WITH fine AS {materialized}(SELECT day, area, dept, category, colour, channel, {fine_sums} "  # nosec B608
        f"FROM ({_contributions(d, vendor)}) x GROUP BY day, area, dept, category, colour, channel) "
        f"INSERT INTO {TABLE} ({columns}) {groups}"
    )


# GROUPING(dept, category, colour, channel) is a bit mask of the columns *not* grouped on.
GROUPING_DIMENSIONS = {15: "all", 7: "department", 11: "category", 13: "colour", 14: "channel"}


def _insert_days_sql_grouping_sets(d: _Dialect) -> str:
    """PostgreSQL: the five groupings in one pass over the contributions (GROUPING SETS).

    Measured at a million cases: about twice as fast as grouping a materialised
    CTE five times, as SQLite (which has no GROUPING SETS) does.
    """
    sums = ", ".join(f"SUM({m})" for m in MEASURES)
    dimension = "CASE GROUPING(dept, category, colour, channel) {} END".format(
        " ".join(f"WHEN {mask} THEN '{name}'" for mask, name in GROUPING_DIMENSIONS.items())
    )
    # Columns left out of a grouping set are NULL, so the first non-NULL is the grouped one;
    # a NULL department (not yet dispatched) falls through to ''.
    value = "COALESCE(CAST(dept AS text), CAST(category AS text), CAST(colour AS text), channel, '')"
    columns = COLUMNS
    return (
        f"INSERT INTO {TABLE} ({columns}) SELECT {DisputeRollup.Grain.DAY}, day, area, {dimension}, {value}, "  # nosec B608
        f"{sums}, {ZERO_STATES}, 0 FROM ({_contributions(d, 'postgresql')}) x GROUP BY GROUPING SETS "
        "((day, area), (day, area, dept), (day, area, category), (day, area, colour), (day, area, channel))"
    )


def _insert_months_sql(d: _Dialect, vendor: str, months: int) -> str:
    """The villages' month rows: the day rows summed, and the states at each month's end (`_states_sql`)."""
    sums = ", ".join(f"SUM({m})" for m in (*MEASURES, *STATES))
    month = d.month_start("day")
    days = (
        f"SELECT {month} AS day, area_path, dimension, value, {', '.join(MEASURES)}, "  # nosec B608
        f"{', '.join(f'0 AS {name}' for name in STATES)} "
        f"FROM {TABLE} WHERE grain = {DisputeRollup.Grain.DAY} AND day >= %(first)s"
    )
    zeros = ", ".join(f"0 AS {m}" for m in MEASURES)
    states = (
        f"SELECT day, area AS area_path, dimension, value, {zeros}, {', '.join(STATES)} "  # nosec B608
        f"FROM ({_states_sql(d, vendor, months, 'month')}) s"
    )
    return (
        f"INSERT INTO {TABLE} ({COLUMNS}) SELECT {DisputeRollup.Grain.MONTH}, day, area_path, dimension, value, "  # nosec B608
        f"{sums}, 0 FROM ({days} UNION ALL {states}) m GROUP BY day, area_path, dimension, value"
    )


def _states_sql(d: _Dialect, vendor: str, moments: int, prefix: str) -> str:
    """The states at given moments, per village × each breakdown: rows (day, area, dimension, value, *STATES).

    The `moments` instants are parameters %(<prefix>_day_N)s and %(<prefix>_at_N)s (`_moments`): a month's
    first day and the month's end (now, for the month in progress), or today and now for the NOW rows.

    open_overdue (按期办结率's open part): cases with a resolve deadline (办结时限) due before the
    instant that was neither done (reported back) nor cancelled (transferred, returned, withdrawn,
    merged) before it, nor paused (waiting on a party) when it fell due. Read from the Deadline rows:
    a case's resolve clock runs exactly while it is being handled (accepted, in mediation, reopened),
    so its rows are its status history as far as this figure needs. The approximation: a deadline
    paused and resumed later has its due date moved on by the pause, so at an instant before the pause
    it reads as due later than it was (a case late before a pause counts as late from its moved date).
    """
    if not moments:
        return (
            "SELECT CAST(NULL AS date) AS day, NULL AS area, NULL AS dimension, NULL AS value, "
            + ", ".join(f"0 AS {s}" for s in STATES)
            + " WHERE 1 = 0"
        )
    n = village_path_length()
    if vendor == "postgresql":
        pair = "(CAST(%({p}_day_{i})s AS date), CAST(%({p}_at_{i})s AS timestamptz))"
    else:
        pair = "(%({p}_day_{i})s, %({p}_at_{i})s)"
    values = ", ".join(pair.format(p=prefix, i=i) for i in range(moments))
    late = (
        f"SELECT DISTINCT t.day, dl.dispute_id FROM t JOIN {DEADLINE} dl ON dl.kind = 'resolve' "  # nosec B608
        "AND dl.due_at < t.at AND (dl.done_at IS NULL OR dl.done_at >= t.at) "
        "AND (dl.cancelled_at IS NULL OR dl.cancelled_at >= t.at) "
        "AND (dl.paused_at IS NULL OR dl.paused_at > t.at OR dl.paused_at > dl.due_at) "
        # Only deadlines ever late can be late at an instant: the join reads those few.
        "WHERE (dl.done_at IS NULL OR dl.done_at > dl.due_at) "
        "AND (dl.cancelled_at IS NULL OR dl.cancelled_at > dl.due_at)"
    )
    value = _dimension_values(d)
    groups = " UNION ALL ".join(
        f"SELECT day, area, '{dim}' AS dimension, {value[dim]} AS value, SUM(n) AS open_overdue FROM o "  # nosec B608
        f"GROUP BY day, area{'' if dim == 'all' else ', ' + value[dim]}"
        for dim in DIMENSIONS
    )
    return (
        f"WITH t(day, at) AS (VALUES {values}), o AS (SELECT l.day, substr(c.area_path, 1, {n}) AS area, "  # nosec B608
        "c.lead_department_id AS dept, c.category_id AS category, c.colour AS colour, c.channel AS channel, "
        f"COUNT(*) AS n FROM ({late}) l JOIN {DISPUTE} c ON c.id = l.dispute_id GROUP BY 1, 2, 3, 4, 5, 6) "
        f"SELECT * FROM ({groups}) g"
    )


def _insert_upper_months_sql(length: int) -> str:
    """Month rows of the areas whose paths are `length` long, summed from the level just below.

    Month rows exist for every level from the city down to villages, each under the
    area's own exact path, so a city's year reads a dozen rows per breakdown value
    instead of every village's. Each level sums only the rows exactly one step
    longer (which already hold everything beneath them), so nothing counts twice;
    rows of cases filed straight at a higher level sit under that level's path and
    are read (summed) with it.
    """
    sums = ", ".join(f"SUM({m})" for m in (*MEASURES, *STATES))
    columns = COLUMNS
    step = length + Area.steplen
    return (
        f"INSERT INTO {TABLE} ({columns}) SELECT {DisputeRollup.Grain.MONTH}, day, substr(area_path, 1, {length}), "  # nosec B608
        f"dimension, value, {sums}, 0 FROM {TABLE} WHERE grain = {DisputeRollup.Grain.MONTH} AND day >= %(first)s "
        f"AND LENGTH(area_path) = {step} GROUP BY day, substr(area_path, 1, {length}), dimension, value"
    )


def _insert_now_sql(d: _Dialect, vendor: str) -> str:
    """The NOW rows: unfinished cases past their nearest deadline, per village × each breakdown, and the
    states now (open_overdue: past a resolve deadline, `_states_sql`).

    "Unfinished" is the open statuses (OPEN_STATUSES: not yet reported back), the same
    condition as the overdue list, which reads the queue's partial index.
    """
    n = village_path_length()
    value = _dimension_values(d)
    zeros = ", ".join("0" for _ in MEASURES)
    groups = " UNION ALL ".join(
        f"SELECT {DisputeRollup.Grain.NOW}, %(today)s, area, '{dim}', {value[dim]}, {zeros}, {ZERO_STATES}, "  # nosec B608
        f"SUM(n) FROM o GROUP BY area{'' if dim == 'all' else ', ' + value[dim]}"
        for dim in DIMENSIONS
    )
    states = (
        f"SELECT {DisputeRollup.Grain.NOW}, %(today)s, area, dimension, value, {zeros}, {', '.join(STATES)}, 0 "  # nosec B608
        f"FROM ({_states_sql(d, vendor, 1, 'now')}) s"
    )
    materialized = "MATERIALIZED " if vendor == "postgresql" else ""
    return (
        f"WITH o AS {materialized}(SELECT substr(area_path, 1, {n}) AS area, lead_department_id AS dept, "  # nosec B608
        "category_id AS category, colour, channel, COUNT(*) AS n "
        f"FROM {DISPUTE} WHERE status IN ({_quote(sorted(OPEN_STATUSES))}) AND next_due_at < %(now)s "
        "GROUP BY 1, 2, 3, 4, 5) "
        f"INSERT INTO {TABLE} ({COLUMNS}) {groups} UNION ALL {states}"
    )


def _moments(prefix: str, moments: list[tuple[date, datetime]], ops) -> dict[str, Any]:
    """The parameters of `_states_sql`'s instants."""
    params: dict[str, Any] = {}
    for i, (day, at) in enumerate(moments):
        params[f"{prefix}_day_{i}"] = ops.adapt_datefield_value(day)
        params[f"{prefix}_at_{i}"] = ops.adapt_datetimefield_value(at)
    return params


def _month_ends(cursor, first_month: date, now: datetime) -> list[tuple[date, datetime]]:
    """(month, its end) for each month from `first_month` to the current one: the instants at which the
    month rows read their states; the month in progress ends now. A full rebuild starts at the month of
    the earliest resolve deadline (no case was late before it)."""
    cursor.execute(f"SELECT MIN(due_at) FROM {DEADLINE} WHERE kind = 'resolve'")  # nosec B608
    earliest = cursor.fetchone()[0]
    if earliest is None:
        return []
    if isinstance(earliest, str):  # SQLite
        earliest = datetime.fromisoformat(earliest).replace(tzinfo=ZoneInfo("UTC"))
    month = max(first_month, timezone.localtime(earliest).date().replace(day=1))
    current = timezone.localdate(now).replace(day=1)
    result = []
    while month <= current:
        following = (month + timedelta(days=32)).replace(day=1)
        result.append((month, min(_local_midnight(following), now)))
        month = following
    return result


def _local_midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=ZoneInfo(settings.TIME_ZONE))


def _rebuild(since: date | None, *, using: str | None = None, now: datetime | None = None) -> RebuildResult:
    """Rebuild the day rows from `since` (None: all) and the month rows of the months from its month."""
    alias = using or router.db_for_write(DisputeRollup)
    connection = connections[alias]
    d = _Dialect(connection.vendor)
    started = time.monotonic()
    far_past = date(1970, 1, 2)
    day_from = since or far_past
    first_month = day_from.replace(day=1)
    end = timezone.now() + timedelta(days=400)  # anything dated ahead of the clock too
    ops = connection.ops
    now = now or timezone.now()
    params = {
        "now": ops.adapt_datetimefield_value(now),
        "today": ops.adapt_datefield_value(timezone.localdate(now)),
        "start": ops.adapt_datetimefield_value(_local_midnight(day_from) if since else _local_midnight(far_past)),
        "end": ops.adapt_datetimefield_value(end),
        "first": ops.adapt_datefield_value(first_month),
    }
    with transaction.atomic(using=alias), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK])
            # The groupings hash a few million rows: in memory, not spilled to disk.
            cursor.execute("SET LOCAL work_mem = '256MB'")
        if since is None:
            cursor.execute(f"DELETE FROM {TABLE}")  # nosec B608
        else:
            cursor.execute(
                f"DELETE FROM {TABLE} WHERE (grain = %s AND day >= %s) OR (grain = %s AND day >= %s) OR grain = %s",  # nosec B608
                [
                    DisputeRollup.Grain.DAY,
                    ops.adapt_datefield_value(day_from),
                    DisputeRollup.Grain.MONTH,
                    ops.adapt_datefield_value(first_month),
                    DisputeRollup.Grain.NOW,
                ],
            )
        cursor.execute(
            _insert_now_sql(d, connection.vendor),
            {**params, **_moments("now", [(timezone.localdate(now), now)], ops)},
        )
        cursor.execute(_insert_days_sql(d, connection.vendor), params)
        months = _month_ends(cursor, first_month, now)
        cursor.execute(
            _insert_months_sql(d, connection.vendor, len(months)), {**params, **_moments("month", months, ops)}
        )
        for level in range(AreaLevel.VILLAGE - 1, AreaLevel.CITY - 1, -1):
            cursor.execute(_insert_upper_months_sql(level * Area.steplen), params)
        # SQLite reports no row count for INSERT … WITH; count what this rebuild covers instead.
        cursor.execute(
            f"SELECT grain, COUNT(*) FROM {TABLE} WHERE (grain = %s AND day >= %s) OR (grain = %s AND day >= %s) "  # nosec B608
            "GROUP BY grain",
            [
                DisputeRollup.Grain.DAY,
                ops.adapt_datefield_value(day_from),
                DisputeRollup.Grain.MONTH,
                ops.adapt_datefield_value(first_month),
            ],
        )
        counted = dict(cursor.fetchall())
        day_rows = counted.get(DisputeRollup.Grain.DAY, 0)
        month_rows = counted.get(DisputeRollup.Grain.MONTH, 0)
    if connection.vendor == "postgresql" and since is None:
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {TABLE}")
    _bump_version()
    return RebuildResult(day_rows, month_rows, time.monotonic() - started)


# Bumped after every rebuild: what the dashboard keeps in the cache is keyed by it, so a refresh
# shows at once (disputes.staff.dashboard).
VERSION_KEY = "dashboard:rollups-version"


def version() -> str:
    """The rollups' current version: changes whenever a rebuild or refresh has written them."""
    return str(caching.get(VERSION_KEY) or "0")


def _bump_version() -> None:
    caching.set(VERSION_KEY, str(time.time_ns()), None)


def refreshed_at() -> datetime | None:
    """When the rollups were last rebuilt or refreshed (数据截至), aware; None if never (or the cache was
    emptied since: the next refresh, within five minutes, records it again). Read from the version,
    which is the refresh's time in nanoseconds."""
    stamp = caching.get(VERSION_KEY)
    try:
        nanoseconds = int(stamp)
    except (TypeError, ValueError):
        return None
    if nanoseconds <= 0:
        return None
    return datetime.fromtimestamp(nanoseconds / 1e9, tz=ZoneInfo("UTC"))


def rebuild_all(*, using: str | None = None, now: datetime | None = None) -> RebuildResult:
    """Every row from scratch (nightly, and `manage.py rebuild_rollups`)."""
    return _rebuild(None, using=using, now=now)


def refresh_recent(*, days: int = RECENT_DAYS, using: str | None = None, now: datetime | None = None) -> RebuildResult:
    """The last `days` local days (today included), their months and the NOW rows (beat, every 5 minutes)."""
    today = timezone.localdate(now) if now else timezone.localdate()
    return _rebuild(today - timedelta(days=days - 1), using=using, now=now)
