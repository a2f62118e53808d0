"""统计口径: the figures the centres report, defined once.

Every figure here is a pure function of counts; the counts come from the
rollup table (`disputes.dashboard.rollups`) or, in the tests, from a brute-force
pass over the cases. Each count is attributed to the period by the date of its
own event, in local time (Asia/Shanghai):

* submitted, repeat, and the registered counts (registered, registered_resolved,
  registered_open) — the day the case was submitted (登记), by the case's state now;
* concluded, resolved, agreement, oral_agreement, litigation, police, on_time,
  reopened, days to resolve, and the callback counts (by case and by party) — the
  day of the report-back (反馈, `reported_at`);
* closed, withdrawn — the day the case was closed (`closed_at`);
* dispatched, returned — the day of the dispatch (派单) or return (退回) event.

A case is counted by its *current* state: a case reopened after its callback
leaves "concluded" until it is reported back again, and then counts once, on the
day of its latest report-back, with its latest callback verdict.

States are not events (`STATE_FIELDS`: open_overdue): they are read at the end
of the period (the end of its last month; now, for a period that has not ended),
never summed over days.

What each figure divides by is written once, in its function below (the
docstring) and in `DEFINITIONS`, which the 口径说明 page, the API and
docs/figures.md all read. The default resolution rate (化解率) is the centres'
受理口径: resolved among the disputes registered in the period, those still being
worked shown beside it as 在办; the figure by report-back (办结口径) is kept beside
it, labelled.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

EMPTY = "—"
DAY_SECONDS = 86_400

# Days-to-resolve histogram: bucket i holds cases with lower <= days < upper. The
# bounds follow the clocks (red 3 days, yellow 15, white 30) so the median is
# exact enough where it matters. The last bucket is open-ended.
DAY_BUCKETS: tuple[tuple[int, int | None], ...] = (
    (0, 1),
    (1, 2),
    (2, 3),
    (3, 5),
    (5, 7),
    (7, 10),
    (10, 15),
    (15, 20),
    (20, 30),
    (30, 45),
    (45, 60),
    (60, 90),
    (90, None),
)
HISTOGRAM_FIELDS = tuple(f"h{i}" for i in range(len(DAY_BUCKETS)))

# The counts of the rollup table, summed over an area and a period.
COUNT_FIELDS = (
    "submitted",
    "repeat",
    "concluded",
    "resolved",
    "agreement",
    "litigation",
    "police",
    "on_time",
    "reopened",
    "reached",
    "satisfied",
    "unreachable",
    "closed",
    "withdrawn",
    "dispatched",
    "returned",
    "resolve_seconds",
    *HISTOGRAM_FIELDS,
    "registered",
    "registered_resolved",
    "registered_open",
    "oral_agreement",
    "parties_reached",
    "parties_satisfied",
)
# States, not events: read at the end of the period, never summed over days (see rollups).
STATE_FIELDS = ("open_overdue",)


def bucket_of(seconds: int) -> int:
    """The histogram bucket of a case resolved in `seconds`."""
    for index, (_lower, upper) in enumerate(DAY_BUCKETS):
        if upper is None or seconds < upper * DAY_SECONDS:
            return index
    return len(DAY_BUCKETS) - 1  # pragma: no cover - the last bucket is open-ended


@dataclass(frozen=True)
class Rate:
    """A share with its parts. Shown as "97.5%", or "—" when nothing was counted (never 0% or an error)."""

    numerator: int
    denominator: int

    @property
    def value(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    @property
    def percent(self) -> Decimal | None:
        """Percentage rounded half-up to one decimal place."""
        if not self.denominator:
            return None
        return (Decimal(self.numerator) * 100 / Decimal(self.denominator)).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )

    def display(self) -> str:
        percent = self.percent
        return EMPTY if percent is None else f"{percent}%"

    def fraction(self) -> str:
        return f"{self.numerator} / {self.denominator}"

    def __str__(self) -> str:
        return self.display()


def number_text(value: float | None, places: int = 1) -> str:
    if value is None:
        return EMPTY
    quantum = Decimal(1).scaleb(-places)
    return str(Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP))


# --- The definitions --------------------------------------------------------------------------------


def resolution_rate(counts: dict) -> Rate:
    """化解率 (受理口径, the centres' default). Numerator: cases registered in the period that are now
    resolved (outcome agreement, oral agreement or resolved otherwise). Denominator: cases registered in
    the period (submission day), less those withdrawn by the parties and suspected duplicates merged
    into an earlier case. Cases still being worked stay in the denominator (在办, `in_progress`)."""
    return Rate(counts["registered_resolved"], counts["registered"])


def in_progress(counts: dict) -> int:
    """在办. Cases registered in the period that are still open (not yet reported back)."""
    return counts["registered_open"]


def resolution_rate_concluded(counts: dict) -> Rate:
    """化解率 (办结口径). Numerator: cases reported back in the period resolved (agreement, oral agreement
    or otherwise). Denominator: cases reported back in the period with any outcome but "withdrawn"."""
    return Rate(counts["resolved"], counts["concluded"])


def mediation_success_rate(counts: dict) -> Rate:
    """调解成功率. Numerator: cases reported back in the period with a mediation agreement, written or
    oral (People's Mediation Law art. 28). Denominator: cases reported back in the period (as 办结口径)."""
    return Rate(counts["agreement"] + counts["oral_agreement"], counts["concluded"])


def callback_satisfaction(counts: dict) -> Rate:
    """满意率 (by parties, as the seeds count: "回访当事人1012人"). Numerator: parties reached by the
    callback who were satisfied or basically satisfied (each party's latest answer). Denominator: parties
    reached. Counted in the period of the case's latest report-back."""
    return Rate(counts["parties_satisfied"], counts["parties_reached"])


def callback_satisfaction_cases(counts: dict) -> Rate:
    """满意率 by cases, shown beside it. Numerator: cases whose latest callback verdict is satisfied or
    basically satisfied. Denominator: cases with a verdict from a party reached; unreachable left out."""
    return Rate(counts["satisfied"], counts["reached"])


def on_time_rate(counts: dict) -> Rate:
    """按期办结率. Numerator: cases reported back in the period none of whose resolution deadlines (办结时限;
    cancelled ones by a transfer excepted) was met late. Denominator: cases reported back in the period
    plus the open cases past a resolution deadline at the end of the period (now, for a period that has
    not ended): an overdue case still open counts against the rate."""
    return Rate(counts["on_time"], counts["concluded"] + counts.get("open_overdue", 0))


def average_days_to_resolve(counts: dict) -> float | None:
    """平均化解天数. Numerator: the sum of (report-back − submission) over the resolved cases concluded in
    the period, in days. Denominator: those resolved cases. None when there are none."""
    if not counts["resolved"]:
        return None
    return counts["resolve_seconds"] / counts["resolved"] / DAY_SECONDS


def median_days_to_resolve(counts: dict) -> float | None:
    """化解天数中位数. The median of (report-back − submission) over the resolved cases concluded in the
    period, read from the days histogram (DAY_BUCKETS) with linear interpolation inside the bucket
    that holds the middle case; from the open-ended last bucket, its lower bound. None when empty."""
    histogram = [counts[name] for name in HISTOGRAM_FIELDS]
    total = sum(histogram)
    if not total:
        return None
    half = total / 2
    seen = 0
    for (lower, upper), count in zip(DAY_BUCKETS, histogram, strict=True):
        if count and seen + count >= half:
            if upper is None:
                return float(lower)
            return lower + (half - seen) / count * (upper - lower)
        seen += count
    return float(DAY_BUCKETS[-1][0])  # pragma: no cover - the loop always returns


def referred_to_police(counts: dict) -> int:
    """移送公安. Cases reported back in the period by referral to the police as a criminal matter
    (outcome "police"): a correct referral, not 民转刑 (which is counted from the register)."""
    return counts["police"]


def repeat_disputes(counts: dict) -> Rate:
    """重复纠纷. Numerator: cases submitted in the period whose parties had another case in the previous
    12 months (triage rules repeat_dispute or prior_incident_same_parties fired). Denominator: cases
    submitted in the period."""
    return Rate(counts["repeat"], counts["submitted"])


def reopened_share(counts: dict) -> Rate:
    """回访不满意重办. Numerator: cases concluded in the period that had been reopened at least once
    (a dissatisfied callback or a party coming back). Denominator: cases concluded in the period."""
    return Rate(counts["reopened"], counts["concluded"])


def return_rate(counts: dict) -> Rate:
    """退回率 (routing misses). Numerator: returns (退回) of cases by a department in the period.
    Denominator: dispatches and transfers of cases to that department in the period. Over an area
    rather than a department: all returns over all dispatches."""
    return Rate(counts["returned"], counts["dispatched"])


def cases_per_10k(counts: dict, population: int) -> float | None:
    """万人纠纷数. Numerator: cases submitted in the period × 10,000. Denominator: the area's
    population (Area.population). Not annualised: a month's figure is a month's cases."""
    if not population:
        return None
    return counts["submitted"] * 10_000 / population


@dataclass(frozen=True)
class Figures:
    """All the headline figures of one area and period, from its summed counts."""

    counts: dict
    population: int = 0
    # 超期: open cases past their nearest deadline at the last refresh (not a figure of the period).
    overdue: int = 0

    @classmethod
    def empty(cls, population: int = 0) -> Figures:
        return cls(dict.fromkeys(COUNT_FIELDS + STATE_FIELDS, 0), population)

    def __getitem__(self, name: str) -> int:
        return self.counts[name]

    @property
    def resolution_rate(self) -> Rate:
        return resolution_rate(self.counts)

    @property
    def mediation_success_rate(self) -> Rate:
        return mediation_success_rate(self.counts)

    @property
    def callback_satisfaction(self) -> Rate:
        return callback_satisfaction(self.counts)

    @property
    def on_time_rate(self) -> Rate:
        return on_time_rate(self.counts)

    @property
    def referred_to_police(self) -> int:
        return referred_to_police(self.counts)

    @property
    def resolution_rate_concluded(self) -> Rate:
        return resolution_rate_concluded(self.counts)

    @property
    def in_progress(self) -> int:
        return in_progress(self.counts)

    @property
    def callback_satisfaction_cases(self) -> Rate:
        return callback_satisfaction_cases(self.counts)

    @property
    def repeat_disputes(self) -> Rate:
        return repeat_disputes(self.counts)

    @property
    def reopened_share(self) -> Rate:
        return reopened_share(self.counts)

    @property
    def return_rate(self) -> Rate:
        return return_rate(self.counts)

    @property
    def average_days(self) -> float | None:
        return average_days_to_resolve(self.counts)

    @property
    def median_days(self) -> float | None:
        return median_days_to_resolve(self.counts)

    @property
    def per_10k(self) -> float | None:
        return cases_per_10k(self.counts, self.population)

    def average_days_display(self) -> str:
        return number_text(self.average_days)

    def median_days_display(self) -> str:
        return number_text(self.median_days)

    def per_10k_display(self) -> str:
        return number_text(self.per_10k, 2)


# Labels shown on the page and in the exports, in one place.
LABELS = {
    "submitted": _("Cases submitted"),
    "concluded": _("Cases concluded"),
    "resolved": _("Cases resolved"),
    "resolution_rate": _("Resolution rate"),
    "mediation_success_rate": _("Mediation success rate"),
    "callback_satisfaction": _("Callback satisfaction"),
    "on_time_rate": _("On-time rate"),
    "average_days": _("Average days to resolve"),
    "median_days": _("Median days to resolve"),
    "resolution_rate_concluded": _("Resolution rate (by report-back)"),
    "in_progress": _("Still being worked"),
    "callback_satisfaction_cases": _("Callback satisfaction (by cases)"),
    "referred_to_police": _("Referred to the police"),
    "repeat_disputes": _("Repeat disputes"),
    "reopened_share": _("Reopened after callback"),
    "return_rate": _("Return rate"),
    "per_10k": _("Cases per 10,000 residents"),
    "overdue": _("Overdue cases now"),
}


# --- 口径说明: every figure's definition, in one place ---------------------------------------------------


@dataclass(frozen=True)
class Definition:
    """One figure as the 口径说明 page, the API ("definition") and docs/figures.md state it."""

    key: str  # the Figures property (or count) it describes
    term: str  # the centres' own name for it
    label: Any  # LABELS[key]
    numerator: Any
    denominator: Any
    counted_by: Any  # the date that puts a case in the period
    example: Any = ""

    def text(self) -> str:
        """The definition in one sentence (the API's "definition" field); a count has no "÷"."""
        if self.denominator is A_COUNT:
            return str(COUNT_SENTENCE) % {"numerator": self.numerator, "counted_by": self.counted_by}
        return str(DEFINITION_SENTENCE) % {
            "numerator": self.numerator,
            "denominator": self.denominator,
            "counted_by": self.counted_by,
        }


DEFINITION_SENTENCE = _("%(numerator)s ÷ %(denominator)s; counted by %(counted_by)s.")
COUNT_SENTENCE = _("%(numerator)s; counted by %(counted_by)s.")
A_COUNT = _("— (a count)")
SUBMISSION_DAY = _("the day the case was submitted, by the case's state now")
REPORT_BACK_DAY = _("the day of the case's latest report-back")
REGISTERED = _(
    "cases submitted in the period, less those withdrawn by the parties and duplicates merged into an earlier case"
)
CONCLUDED = _("cases reported back in the period with any outcome but withdrawn")

DEFINITIONS: tuple[Definition, ...] = (
    Definition(
        "submitted",
        "登记数",
        LABELS["submitted"],
        _("cases submitted in the period, from every channel"),
        A_COUNT,
        _("the day the case was submitted"),
    ),
    Definition(
        "resolution_rate",
        "化解率（受理口径）",
        LABELS["resolution_rate"],
        _(
            "cases registered in the period that are now resolved: by a mediation agreement, written or oral, "
            "or otherwise"
        ),
        REGISTERED,
        SUBMISSION_DAY,
        _("Disputes registered 343, resolved 341: 341 ÷ 343 = 99.4%."),
    ),
    Definition(
        "in_progress",
        "在办",
        LABELS["in_progress"],
        _(
            "cases registered in the period still being worked (not yet reported back; a case reported back "
            "and awaiting its callback is concluded, not in progress)"
        ),
        A_COUNT,
        SUBMISSION_DAY,
    ),
    Definition(
        "resolution_rate_concluded",
        "化解率（办结口径）",
        LABELS["resolution_rate_concluded"],
        _("cases reported back in the period resolved: by a mediation agreement, written or oral, or otherwise"),
        CONCLUDED,
        REPORT_BACK_DAY,
    ),
    Definition(
        "mediation_success_rate",
        "调解成功率",
        LABELS["mediation_success_rate"],
        _("cases reported back in the period with a mediation agreement, written or oral"),
        CONCLUDED,
        REPORT_BACK_DAY,
    ),
    Definition(
        "callback_satisfaction",
        "满意率（按当事人）",
        LABELS["callback_satisfaction"],
        _(
            "parties reached by the callback who were satisfied or basically satisfied (each party's latest "
            "answer since the report-back)"
        ),
        _("parties reached by the callback"),
        REPORT_BACK_DAY,
        _("Parties called back: 1,012 people."),
    ),
    Definition(
        "callback_satisfaction_cases",
        "满意率（按案件）",
        LABELS["callback_satisfaction_cases"],
        _("cases whose latest callback verdict is satisfied or basically satisfied"),
        _("cases whose callback reached a party (unreachable ones left out)"),
        REPORT_BACK_DAY,
    ),
    Definition(
        "on_time_rate",
        "按期办结率",
        LABELS["on_time_rate"],
        _("cases reported back in the period without missing a resolution deadline"),
        _(
            "cases reported back in the period, plus the open cases past a resolution deadline at the end of the "
            "period (now, for a period not yet over)"
        ),
        _("the day of the report-back; open overdue cases at the end of the period"),
    ),
    Definition(
        "referred_to_police",
        "移送公安",
        LABELS["referred_to_police"],
        _("cases reported back in the period as referred to the police as a criminal matter (not 民转刑)"),
        A_COUNT,
        REPORT_BACK_DAY,
    ),
    Definition(
        "repeat_disputes",
        "重复纠纷",
        LABELS["repeat_disputes"],
        _("cases submitted in the period whose parties had another case in the previous 12 months"),
        _("cases submitted in the period"),
        _("the day the case was submitted"),
    ),
    Definition(
        "reopened_share",
        "回访不满意重办",
        LABELS["reopened_share"],
        _("cases reported back in the period that had been reopened at least once"),
        CONCLUDED,
        REPORT_BACK_DAY,
    ),
    Definition(
        "return_rate",
        "退回率",
        LABELS["return_rate"],
        _("returns (退回) of cases by a department in the period"),
        _("dispatches and transfers of cases to that department in the period"),
        _("the day of the dispatch or return"),
    ),
    Definition(
        "average_days",
        "平均化解天数",
        LABELS["average_days"],
        _("the days from submission to report-back, summed over the resolved cases reported back in the period"),
        _("those resolved cases"),
        REPORT_BACK_DAY,
    ),
    Definition(
        "median_days",
        "化解天数中位数",
        LABELS["median_days"],
        _("the median of the days from submission to report-back of the resolved cases reported back in the period"),
        _("— (a median)"),
        REPORT_BACK_DAY,
    ),
    Definition(
        "per_10k",
        "万人纠纷数",
        LABELS["per_10k"],
        _("cases submitted in the period × 10,000"),
        _("the area's population"),
        _("the day the case was submitted"),
    ),
    Definition(
        "overdue",
        "超期案件",
        LABELS["overdue"],
        _("open cases past their nearest deadline (any clock) at the last refresh"),
        A_COUNT,
        _("the last refresh (not a figure of the period)"),
    ),
)
DEFINITIONS_BY_KEY = {d.key: d for d in DEFINITIONS}


def definitions_markdown() -> str:
    """The table of docs/figures.md, in the active language (English for the file)."""
    header = (
        f"| {_('Figure')} | {_('Numerator')} | {_('Denominator')} | {_('Counted by')} | {_('Example')} |",
        "|---|---|---|---|---|",
    )
    rows = (
        f"| {d.term} ({d.label}) | {d.numerator} | {d.denominator} | {d.counted_by} | {d.example} |"
        for d in DEFINITIONS
    )
    return "\n".join((*header, *rows)) + "\n"
