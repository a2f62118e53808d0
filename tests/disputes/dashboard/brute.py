"""Brute-force recomputation of the dashboard's counts, straight from the cases, in Python.

Written from the definitions in `disputes.statistics` without reusing the rollup SQL,
so a test comparing the two catches a mistake in either.
"""

from collections import defaultdict
from datetime import date, datetime

from django.db.models import F
from django.utils import timezone

from disputes.models import CaseEvent, Deadline, Dispute, RoutingReturn
from disputes.rules.enums import OPEN_STATUSES
from disputes.statistics import COUNT_FIELDS, HISTOGRAM_FIELDS, bucket_of

CONCLUDED = {"agreement", "resolved_otherwise", "litigation", "police"}
RESOLVED = {"agreement", "resolved_otherwise"}


def local_day(moment: datetime | None) -> date | None:
    return timezone.localtime(moment).date() if moment is not None else None


class BruteForce:
    """Loads every case once; `counts(prefix, start, end, key=...)` sums by the definitions."""

    def __init__(self) -> None:
        self.cases = list(Dispute.objects.all())
        self.late = set(
            Deadline.objects.filter(kind="resolve", cancelled_at__isnull=True, done_at__isnull=False)
            .filter(done_at__gt=F("due_at"))
            .values_list("dispute_id", flat=True)
        )
        by_id = {c.pk: c for c in self.cases}
        self.dispatches = [
            (by_id[e.dispute_id], e.at, str(e.data.get("department", "")))
            for e in CaseEvent.objects.filter(kind="transition", action__in=["dispatch", "transfer"])
        ]
        self.returns = [(by_id[r.dispute_id], r.at, str(r.department_id)) for r in RoutingReturn.objects.all()]

    @staticmethod
    def _dims(case) -> dict[str, str]:
        return {
            "all": "",
            "department": str(case.lead_department_id or ""),
            "category": str(case.category_id),
            "colour": str(case.colour),
            "channel": case.channel,
        }

    def counts(self, prefix: str, start: date, end: date, *, dimension: str = "all") -> dict[str, dict[str, int]]:
        """{dimension value: counts} for cases under `prefix`, events on local days [start, end)."""
        result: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(COUNT_FIELDS, 0))

        def inside(case, moment) -> bool:
            day = local_day(moment)
            return case.area_path.startswith(prefix) and day is not None and start <= day < end

        for c in self.cases:
            key = self._dims(c)[dimension]
            if inside(c, c.submitted_at):
                row = result[key]
                row["submitted"] += 1
                rules = {r.get("rule") for r in c.triage_reasons}
                row["repeat"] += bool(rules & {"repeat_dispute", "prior_incident_same_parties"})
            if inside(c, c.reported_at):
                row = result[key]
                if c.outcome in CONCLUDED:
                    row["concluded"] += 1
                    row["on_time"] += c.pk not in self.late
                    row["reopened"] += c.reopened_count > 0
                    row["agreement"] += c.outcome == "agreement"
                    row["litigation"] += c.outcome == "litigation"
                    row["police"] += c.outcome == "police"
                if c.outcome in RESOLVED:
                    row["resolved"] += 1
                    seconds = int(c.reported_at.timestamp()) - int(c.submitted_at.timestamp())
                    row["resolve_seconds"] += seconds
                    row[HISTOGRAM_FIELDS[bucket_of(seconds)]] += 1
                row["reached"] += c.callback_result in {"satisfied", "basically_satisfied", "dissatisfied"}
                row["satisfied"] += c.callback_result in {"satisfied", "basically_satisfied"}
                row["unreachable"] += c.callback_result == "unreachable"
            if inside(c, c.closed_at):
                row = result[key]
                row["closed"] += 1
                row["withdrawn"] += c.outcome == "withdrawn" and c.duplicate_of_id is None
        for case, at, department in self.dispatches:
            if inside(case, at):
                key = department if dimension == "department" else self._dims(case)[dimension]
                result[key]["dispatched"] += 1
        for case, at, department in self.returns:
            if inside(case, at):
                key = department if dimension == "department" else self._dims(case)[dimension]
                result[key]["returned"] += 1
        # Keys that only ever got zeros are not rows of the rollup either.
        return {k: v for k, v in result.items() if any(v.values())}

    def total(self, prefix: str, start: date, end: date) -> dict[str, int]:
        return self.counts(prefix, start, end).get("", dict.fromkeys(COUNT_FIELDS, 0))

    def resolve_days(self, prefix: str, start: date, end: date) -> list[float]:
        return sorted(
            (c.reported_at - c.submitted_at).total_seconds() / 86_400
            for c in self.cases
            if c.outcome in RESOLVED
            and c.area_path.startswith(prefix)
            and c.reported_at is not None
            and start <= local_day(c.reported_at) < end
        )

    def overdue(self, prefix: str, now: datetime, *, dimension: str = "all") -> dict[str, int]:
        """{dimension value: open cases under `prefix` whose nearest deadline is before `now`}."""
        result: dict[str, int] = defaultdict(int)
        for c in self.cases:
            if c.status in OPEN_STATUSES and c.next_due_at is not None and c.next_due_at < now:
                if c.area_path.startswith(prefix):
                    result[self._dims(c)[dimension]] += 1
        return dict(result)
