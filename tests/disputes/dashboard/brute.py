"""Brute-force recomputation of the dashboard's counts, straight from the cases, in Python.

Written from the definitions in `disputes.statistics` without reusing the rollup SQL,
so a test comparing the two catches a mistake in either.
"""

from collections import defaultdict
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import F
from django.utils import timezone

from disputes.models import CallbackAttempt, CaseEvent, Deadline, Dispute, Party, RoutingReturn
from disputes.rules.enums import OPEN_STATUSES
from disputes.statistics import COUNT_FIELDS, HISTOGRAM_FIELDS, STATE_FIELDS, bucket_of

CONCLUDED = {"agreement", "oral_agreement", "resolved_otherwise", "litigation", "police"}
RESOLVED = {"agreement", "oral_agreement", "resolved_otherwise"}
REACHED = {"satisfied", "basically_satisfied", "dissatisfied"}
SATISFIED = {"satisfied", "basically_satisfied"}
FIELDS = (*COUNT_FIELDS, *STATE_FIELDS)


def local_day(moment: datetime | None) -> date | None:
    return timezone.localtime(moment).date() if moment is not None else None


class BruteForce:
    """Loads every case once; `counts(prefix, start, end, key=...)` sums by the definitions.

    `now` is the moment the rollups were built at: the states of a period that has not ended are read then.
    """

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or timezone.now()
        self.cases = list(Dispute.objects.all())
        self.resolve_deadlines: dict[int, list[Deadline]] = defaultdict(list)
        for deadline in Deadline.objects.filter(kind="resolve"):
            self.resolve_deadlines[deadline.dispute_id].append(deadline)
        first_applicant: dict[int, int] = {}
        for party in Party.objects.filter(role="applicant").order_by("pk"):
            first_applicant.setdefault(party.dispute_id, party.pk)
        # Each case's attempts, as (party, attempt), the party an unnamed attempt stands for filled in.
        self.attempts: dict[int, list[tuple[int, CallbackAttempt]]] = defaultdict(list)
        for attempt in CallbackAttempt.objects.all():
            party = attempt.party_id or first_applicant.get(attempt.dispute_id) or 0
            self.attempts[attempt.dispute_id].append((party, attempt))
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
        result: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(FIELDS, 0))

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
                if c.outcome != "withdrawn" and c.status != "withdrawn":
                    row["registered"] += 1
                    row["registered_resolved"] += c.outcome in RESOLVED
                    row["registered_open"] += c.status in OPEN_STATUSES
            if inside(c, c.reported_at):
                row = result[key]
                if c.outcome in CONCLUDED:
                    row["concluded"] += 1
                    row["on_time"] += c.pk not in self.late
                    row["reopened"] += c.reopened_count > 0
                    row["agreement"] += c.outcome == "agreement"
                    row["oral_agreement"] += c.outcome == "oral_agreement"
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
                latest: dict[int, CallbackAttempt] = {}
                for party, attempt in self.attempts.get(c.pk, []):
                    if attempt.at >= c.reported_at:
                        kept = latest.get(party)
                        if kept is None or (attempt.at, attempt.pk) > (kept.at, kept.pk):
                            latest[party] = attempt
                for attempt in latest.values():
                    if attempt.reached and attempt.satisfaction in REACHED:
                        row["parties_reached"] += 1
                        row["parties_satisfied"] += attempt.satisfaction in SATISFIED
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
        at = self.state_moment(end)
        for c in self.cases:
            if c.area_path.startswith(prefix) and self.late_at(c, at):
                result[self._dims(c)[dimension]]["open_overdue"] += 1
        # Keys that only ever got zeros are not rows of the rollup either.
        return {k: v for k, v in result.items() if any(v.values())}

    def state_moment(self, end: date) -> datetime:
        """When a period ending (excluded) on `end` reads its states: now, if it has not ended; else the end
        of its last month."""
        if end > timezone.localdate(self.now):
            return self.now
        last = end - timedelta(days=1)
        following = (last.replace(day=1) + timedelta(days=32)).replace(day=1)
        return datetime.combine(following, datetime.min.time(), tzinfo=ZoneInfo(settings.TIME_ZONE))

    def late_at(self, case, at: datetime) -> bool:
        """Open and past a resolve deadline (办结时限) at `at`: a deadline due before then that was not done
        (reported back), cancelled or paused (waiting on a party, from before it fell due) by then."""
        for dl in self.resolve_deadlines.get(case.pk, []):
            if dl.due_at >= at:
                continue
            if dl.done_at is not None and dl.done_at < at:
                continue
            if dl.cancelled_at is not None and dl.cancelled_at < at:
                continue
            if dl.paused_at is not None and dl.paused_at <= at and dl.paused_at <= dl.due_at:
                continue
            return True
        return False

    def total(self, prefix: str, start: date, end: date) -> dict[str, int]:
        return self.counts(prefix, start, end).get("", dict.fromkeys(FIELDS, 0))

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
