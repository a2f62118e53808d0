"""Generates realistic demo cases as plain row tuples, fast, in batches.

Each case walks the transition table of `disputes.rules.lifecycle` the way the
services would: every step is checked against TRANSITIONS (source state, target
state, the actor's role), and its side effects mirror `disputes.services`
(departments, the assigned mediator, deadlines opened, done and cancelled,
reported/closed dates). Colours and reasons come from `disputes.rules.triage`
itself, fed with generated facts; missed deadlines climb the escalation ladder
of `disputes.rules.clocks.next_step` (reminder, department head, the supervisors
up the area tree, the colour raised once). The automatic 督办单 of the supervisor
rungs are not generated: the timeline shows the rungs.

Time moves forward from the submission; a case stops where "now" cuts its
story, so old cases are mostly closed and recent ones are spread over every
open state. A few cases get stuck (久拖未决) and stay open past their deadlines.

The generator never touches the database: `load_context` reads the reference
data once, and `loader.BulkLoader` writes the rows.
"""

import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from itertools import accumulate
from operator import itemgetter

from django.conf import settings

from core.casework.effects import ALL
from demo import people, places, stories
from demo.rand import DemoRandom
from disputes.models import Category, DiversionRule, TriageKeyword, new_public_id
from disputes.rules import clocks, lifecycle, triage
from disputes.rules.effects import EFFECTS, SUBMIT
from disputes.rules.enums import Channel, Colour, DeadlineKind, EventKind, Outcome, PartyRole, WithdrawalVia
from disputes.rules.enums import Status as S
from disputes.rules.tracking import new_tracking_number
from disputes.services import service_level_for
from grids.models import Area, AreaLevel, Department, DepartmentKind, Role, StaffProfile

SPAN_DAYS = 730
DAY = 86_400
HOUR = 3_600
MINUTE = 60
CST = 8 * HOUR  # Asia/Shanghai has no daylight saving time: local = UTC + 8 h.

# Share of cases per channel: 110 transfers and walk-ins lead, as in the seeds.
CHANNEL_WEIGHTS: dict[str, float] = {
    Channel.WEB: 13,
    Channel.QR: 14,
    Channel.WALK_IN: 20,
    Channel.POLICE_110: 20,
    Channel.HOTLINE_12345: 15,
    Channel.GRID_REPORT: 16,
    Channel.PETITION: 2,
}
MACHINE_CHANNELS = frozenset({Channel.POLICE_110, Channel.HOTLINE_12345, Channel.PETITION, Channel.GRID_REPORT})
# Local hour of submission: office hours, with 110 calls into the evening and night.
HOUR_WEIGHTS = (1, 0.6, 0.4, 0.3, 0.3, 0.5, 1, 3, 7, 10, 10, 9, 6, 7, 9, 10, 9, 8, 7, 6, 5, 4, 3, 2)
HOURS = tuple(range(24))
# Targets for the triage outcome; the generator plants the facts that make the rules fire.
RED_SHARE = 0.05
YELLOW_SHARE = 0.20
# Cases that stop moving at some state: they become the overdue ones on the dashboard.
STUCK_SHARE = 0.03
# Only recent cases stall: a centre does not leave a case open for two years, so an older
# case that drew "stuck" runs its course like the others.
STUCK_WITHIN_DAYS = 120
STUCK_AT = (S.DISPATCHED, S.ACCEPTED, S.IN_MEDIATION, S.IN_MEDIATION, S.AWAITING_CALLBACK, S.RETURNED)
NORMAL_AMOUNT_CAP = 99_900  # below triage's large-amount threshold


def _cumulative(pairs: tuple[tuple[str, float], ...]) -> tuple[tuple[str, ...], tuple[float, ...]]:
    return tuple(p[0] for p in pairs), tuple(accumulate(p[1] for p in pairs))


# Reported outcomes: 96.5% resolved, near the seeds' 97-99.8%; red cases fail and go to court or police more.
OUTCOMES_USUAL = _cumulative(
    (
        (Outcome.AGREEMENT, 82),
        (Outcome.RESOLVED_OTHERWISE, 14.5),
        (Outcome.LITIGATION, 2.5),
        (Outcome.POLICE, 0.3),
        (Outcome.WITHDRAWN, 0.7),
    )
)
OUTCOMES_RED = _cumulative(
    (
        (Outcome.AGREEMENT, 65),
        (Outcome.RESOLVED_OTHERWISE, 15),
        (Outcome.LITIGATION, 10),
        (Outcome.POLICE, 8),
        (Outcome.WITHDRAWN, 2),
    )
)
LADDER_EVENTS = {
    clocks.REMIND: EventKind.DEADLINE_REMINDER,
    clocks.REMIND_HEAD: EventKind.DEADLINE_REMINDER,
    clocks.ESCALATE: EventKind.ESCALATED,
}

# Columns, in the order the rows below are built. `loader` maps them to db columns.
DISPUTE_FIELDS = (
    "id",
    "created_at",
    "updated_at",
    "tracking_number",
    "public_id",
    "category",
    "description",
    "occurred_at",
    "occurred_place",
    "grid",
    "area_path",
    "channel",
    "source_id",
    "amount",
    "people_involved",
    "colour",
    "triage_reasons",
    "colour_overridden",
    "status",
    "outcome",
    "lead_department",
    "routing_rule",
    "assigned_mediator",
    "submitted_at",
    "reported_at",
    "closed_at",
    "next_due_at",
    "reopened_count",
    "referral_reference",
    "callback_result",
    # The ranges a resident may choose instead of exact figures (migration 0014): the demo gives exact ones.
    "people_band",
    "amount_band",
)
PARTY_FIELDS = (
    "created_at",
    "updated_at",
    "dispute",
    "role",
    "name",
    "phone",
    "id_number",
    "address",
    "is_minor",
    "is_elderly",
    "is_disabled",
    "is_pregnant",
)
EVENT_FIELDS = (
    "dispute",
    "at",
    "actor",
    "actor_role",
    "kind",
    "action",
    "from_status",
    "to_status",
    "reason",
    "data",
    "is_public",
)
DEADLINE_FIELDS = (
    "created_at",
    "updated_at",
    "dispute",
    "kind",
    "due_at",
    "done_at",
    "cancelled_at",
    "paused_at",
    "paused_seconds",
    "escalation_level",
    "escalate_at",
)
ASSIST_FIELDS = ("created_at", "updated_at", "dispute", "department")
RETURN_FIELDS = ("dispute", "department", "rule", "reason", "at")
# 撤回: the applicant's request and the supervisor's approval behind every withdrawn case.
WITHDRAWAL_FIELDS = (
    "dispute",
    "via",
    "reason",
    "recorded_by",
    "requested_at",
    "state",
    "decided_by",
    "decided_at",
    "decision_remarks",
    "area_path",
)

_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_json_memo: dict[tuple, str] = {}


def _json_cached(data: dict) -> str:
    """Event data repeats a lot (same department, same outcome): encode each distinct dict once."""
    key = tuple((k, tuple(v) if isinstance(v, list) else v) for k, v in data.items())
    text = _json_memo.get(key)
    if text is None:
        if len(_json_memo) > 100_000:
            _json_memo.clear()
        text = _json_memo[key] = _json(data)
    return text


# --- What the generator needs to know about the city ---------------------------------------


@dataclass
class GridInfo:
    id: int
    path: str
    population: int
    address: str  # 南昌市西湖区南浦街道船山社区: for addresses and places
    county_code: str  # birthplace of most residents, for ID numbers
    # Where a returned or transferred case can go instead: township and county bodies.
    alternatives: tuple[int, ...]
    intake_user: tuple[int, str] | None  # who registers walk-ins: the township governance centre
    # Dispatchers, supervisors and callback callers whose area covers the grid: a staff
    # member acts only on cases in their jurisdiction. (None,) when there is nobody.
    overseers: dict[str, tuple[int | None, ...]]
    # How many levels of the tree over the grid have supervisors: the ladder climbs them.
    supervisor_tiers: int = 1


@dataclass
class CategoryInfo:
    id: int
    code: str
    name: str
    base_colour: int
    weight: float
    templates: tuple[str, ...]
    amount_templates: tuple[str, ...]  # the templates that mention an amount


@dataclass
class Route:
    rule: int
    lead: int
    assisting: tuple[int, ...]


@dataclass
class Context:
    grids: list[GridInfo]
    categories: list[CategoryInfo]
    routes: dict[tuple[int, int], Route]  # (grid index, category index) → route
    department_names: dict[int, str]
    handlers: dict[int, list[tuple[int, str]]]  # department → [(user id, role)]
    accept_within: dict[int, int]  # colour → seconds
    resolve_within: dict[int, int]
    callback_within: int
    keywords: dict[str, tuple[str, ...]]
    dispatch_within: dict[int, int] = field(default_factory=dict)  # colour → seconds
    headed: frozenset[int] = frozenset()  # departments with a head (the ladder's second rung)


OVERSEER_ROLES = (Role.DISPATCHER, Role.SUPERVISOR, Role.CALLBACK_CALLER)
TOWNSHIP_ALTERNATIVES = (DepartmentKind.GOVERNANCE_CENTRE, DepartmentKind.JUDICIAL_OFFICE)
COUNTY_ALTERNATIVES = (DepartmentKind.GOVERNANCE_CENTRE, DepartmentKind.COURT)


def load_context() -> Context:
    """Reads the reference data the cases refer to; raises if the city has no grids or categories."""
    areas = {a.path: a for a in Area.objects.only("id", "path", "name", "code", "level", "population")}
    steplen = Area.steplen
    departments = list(Department.objects.filter(is_active=True).only("id", "name", "kind", "area_id"))
    by_area_kind: dict[tuple[int, str], int] = {}
    for d in sorted(departments, key=lambda d: d.pk):
        by_area_kind.setdefault((d.area_id, d.kind), d.pk)

    handlers: dict[int, list[tuple[int, str]]] = {}
    overseers: list[tuple[str, str, int]] = []  # (role, area path, user id)
    for profile in StaffProfile.objects.filter(user__is_active=True).select_related("area").order_by("pk"):
        if profile.department_id and profile.role in lifecycle.HANDLERS:
            handlers.setdefault(profile.department_id, []).append((profile.user_id, profile.role))
        elif profile.role in OVERSEER_ROLES:
            overseers.append((profile.role, profile.area.path, profile.user_id))

    grids: list[GridInfo] = []
    for area in sorted(areas.values(), key=lambda a: a.path):
        if area.level != AreaLevel.GRID:
            continue
        chain = [areas[area.path[:i]] for i in range(steplen, len(area.path) + 1, steplen) if area.path[:i] in areas]
        township = next((a for a in chain if a.level == AreaLevel.TOWNSHIP), None)
        county = next((a for a in chain if a.level == AreaLevel.COUNTY), None)
        alternatives = [
            by_area_kind[(body.pk, kind)]
            for body, kinds in ((township, TOWNSHIP_ALTERNATIVES), (county, COUNTY_ALTERNATIVES))
            for kind in kinds
            if body is not None and (body.pk, kind) in by_area_kind
        ]
        centre = by_area_kind.get((township.pk, DepartmentKind.GOVERNANCE_CENTRE)) if township else None
        grids.append(
            GridInfo(
                id=area.pk,
                path=area.path,
                population=max(area.population, 1),
                # The grid's own name is internal; residents give the village and street.
                address="".join(a.name for a in chain[:-1]),
                county_code=county.code[:6] if county is not None else "",
                alternatives=tuple(alternatives),
                intake_user=handlers[centre][0] if centre in handlers else None,
                overseers={
                    role: tuple(u for r, path, u in overseers if r == role and area.path.startswith(path)) or (None,)
                    for role in OVERSEER_ROLES
                },
                supervisor_tiers=len(
                    {path for r, path, _u in overseers if r == Role.SUPERVISOR and area.path.startswith(path)}
                ),
            )
        )
    if not grids:
        raise ValueError("There are no grids: run seed_demo without --cases first.")

    weights = {spec.code: spec.weight for spec in places.CATEGORIES}
    categories = []
    for c in Category.objects.filter(is_active=True).order_by("sort_order", "code"):
        templates = stories.TEMPLATES.get(c.code, stories.FALLBACK_TEMPLATES)
        categories.append(
            CategoryInfo(
                id=c.pk,
                code=c.code,
                name=c.name,
                base_colour=c.base_colour,
                weight=weights.get(c.code, 1.0),
                templates=templates,
                amount_templates=tuple(t for t in templates if "{amount}" in t),
            )
        )
    if not categories:
        raise ValueError("There are no categories: run seed_demo without --cases first.")

    # Triage reads the admin's keyword list when there is one, as the service does.
    keywords: dict[str, list[str]] = {}
    for kind, word in TriageKeyword.objects.filter(is_active=True).values_list("kind", "word"):
        keywords.setdefault(kind, []).append(word)

    levels = {colour: service_level_for(colour) for colour in Colour.values}
    return Context(
        grids=grids,
        categories=categories,
        routes=_routes(grids, categories, steplen),
        department_names={d.pk: d.name for d in departments},
        handlers=handlers,
        accept_within={c: int(level.accept_within.total_seconds()) for c, level in levels.items()},
        resolve_within={c: int(level.resolve_within.total_seconds()) for c, level in levels.items()},
        callback_within=settings.CALLBACK_DUE_DAYS * DAY,
        dispatch_within={c: int(clocks.dispatch_window(level, c).total_seconds()) for c, level in levels.items()},
        headed=frozenset(
            StaffProfile.objects.filter(is_head=True, user__is_active=True, department__isnull=False).values_list(
                "department_id", flat=True
            )
        ),
        keywords={k: tuple(v) for k, v in keywords.items()} if keywords else dict(triage.DEFAULT_KEYWORDS),
    )


def _routes(grids: list[GridInfo], categories: list[CategoryInfo], steplen: int) -> dict[tuple[int, int], Route]:
    """The diversion list resolved for every (grid, category): the nearest rule up the tree."""
    assisting: dict[int, list[int]] = {}
    through = DiversionRule.assisting_departments.through
    for rule_id, department_id in through.objects.order_by("pk").values_list("diversionrule_id", "department_id"):
        assisting.setdefault(rule_id, []).append(department_id)
    rules = {
        (rule.area.path, rule.category_id): Route(rule.pk, rule.lead_department_id, tuple(assisting.get(rule.pk, ())))
        for rule in DiversionRule.objects.select_related("area").filter(lead_department__is_active=True)
    }
    routes = {}
    for g_index, grid in enumerate(grids):
        paths = [grid.path[:i] for i in range(len(grid.path), 0, -steplen)]
        for c_index, category in enumerate(categories):
            route = next((rules[(p, category.id)] for p in paths if (p, category.id) in rules), None)
            if route is not None:
                routes[(g_index, c_index)] = route
    return routes


# --- The generator ------------------------------------------------------------------------------


@dataclass
class Batch:
    disputes: list[tuple] = field(default_factory=list)
    parties: list[tuple] = field(default_factory=list)
    events: list[tuple] = field(default_factory=list)
    deadlines: list[tuple] = field(default_factory=list)
    assists: list[tuple] = field(default_factory=list)
    returns: list[tuple] = field(default_factory=list)
    withdrawals: list[tuple] = field(default_factory=list)


def generate_batch(generator: "CaseGenerator", seed_key: str, ids: list[int]) -> Batch:
    """The rows of cases `ids`, from their own seed: the same batch comes out whichever process makes it."""
    generator.rng = DemoRandom(seed_key)
    batch = Batch()
    for pk in ids:
        generator.add_case(pk, batch)
    return batch


class CaseGenerator:
    """Makes the rows of one case at a time. `fmt` turns epoch seconds into the database's datetime text."""

    def __init__(self, context: Context, rng: DemoRandom, *, now: datetime, fmt: Callable[[int], str]) -> None:
        self.ctx = context
        self.upper = settings.LADDER_UPPER_GAP_FACTOR  # the ladder's gap between supervisor levels
        self.rng = rng
        self.now = int(now.timestamp())
        self.this_year = now.astimezone(UTC).year
        self.today_ordinal = now.astimezone(UTC).date().toordinal()
        self.fmt = fmt
        self.grid_range = tuple(range(len(context.grids)))
        self.grid_cum = list(accumulate(g.population for g in context.grids))
        self.category_range = tuple(range(len(context.categories)))
        self.category_cum = list(accumulate(c.weight for c in context.categories))
        self.channels = tuple(CHANNEL_WEIGHTS)
        self.channel_cum = list(accumulate(CHANNEL_WEIGHTS.values()))
        self.hour_cum = list(accumulate(HOUR_WEIGHTS))
        # Chance that a white-base case gets a yellow signal, so about YELLOW_SHARE end up yellow.
        total = self.category_cum[-1]
        yellow_base = sum(c.weight for c in context.categories if c.base_colour == Colour.YELLOW) / total
        white_base = sum(c.weight for c in context.categories if c.base_colour == Colour.WHITE) / total
        self.p_raise = max(0.0, (YELLOW_SHARE - (1 - RED_SHARE) * yellow_base) / white_base) if white_base else 0.0

    # --- one case ---

    def add_case(self, pk: int, batch: Batch) -> None:
        rng = self.rng
        ctx = self.ctx
        submitted = self._submitted_at()
        c_index = rng.weighted(self.category_range, self.category_cum)
        g_index = rng.weighted(self.grid_range, self.grid_cum)
        category = ctx.categories[c_index]
        grid = ctx.grids[g_index]
        channel = rng.weighted(self.channels, self.channel_cum)

        signal = self._signal(category)
        parties = self._parties(grid, vulnerable_flag=signal[1] if signal[0] == "vulnerable" else "")
        description, amount, people_involved = self._story(category, signal, parties, grid)
        result = triage.triage(
            triage.TriageInput(
                text=description,
                category_code=category.code,
                category_base=category.base_colour,
                parties=[triage.PartyFacts(p[0], p[2], p[5], p[6], p[7], p[8]) for p in parties],
                people_involved=people_involved,
                amount=Decimal(amount) if amount is not None else None,
                keywords=ctx.keywords,
            )
        )
        if channel == Channel.POLICE_110:
            occurred = submitted - rng.randrange(5 * MINUTE, HOUR)
        else:
            occurred = submitted - _skew(rng, HOUR, 20 * DAY)

        walk = _Walk(self, grid, ctx.routes.get((g_index, c_index)), result, channel, submitted, batch, pk)
        walk.run()

        # Most timestamps of a case appear several times (an event, the deadline it opens or
        # closes, the case's own dates): format each once.
        texts: dict[int, str] = {}
        raw_fmt = self.fmt

        def fmt(ts: int) -> str:
            text = texts.get(ts)
            if text is None:
                text = texts[ts] = raw_fmt(ts)
            return text

        created = fmt(submitted)
        for p in parties:
            batch.parties.append((created, created, pk, *p))
        for department in walk.assists:
            batch.assists.append((walk.assisted_at, walk.assisted_at, pk, department))
        walk.timeline.sort(key=itemgetter(0))  # stable: same-second events keep their order
        batch.events.extend((pk, fmt(e[0]), *e[1:]) for e in walk.timeline)
        open_due = []
        for kind, opened, due, done, cancelled, updated, level, escalate_at in walk.deadlines:
            if done is None and cancelled is None:
                open_due.append(due)
            batch.deadlines.append(
                (
                    fmt(opened),
                    fmt(updated),
                    pk,
                    kind,
                    fmt(due),
                    fmt(done) if done is not None else None,
                    fmt(cancelled) if cancelled is not None else None,
                    None,
                    0,
                    level,
                    fmt(escalate_at) if escalate_at is not None else None,
                )
            )
        batch.disputes.append(
            (
                pk,
                created,
                fmt(max(walk.t, walk.timeline[-1][0])),
                new_tracking_number(),
                new_public_id(),
                category.id,
                description,
                fmt(occurred),
                grid.address + rng.choice(people.STREETS) + f"{rng.randrange(1, 300)}号附近",
                grid.id,
                grid.path,
                channel,
                _source_id(channel, pk, submitted),
                amount,
                people_involved,
                walk.colour,
                _json(walk.reasons),
                False,
                walk.status,
                walk.outcome,
                walk.lead,
                walk.rule,
                walk.mediator,
                created,
                fmt(walk.reported) if walk.reported is not None else None,
                fmt(walk.closed) if walk.closed is not None else None,
                fmt(min(open_due)) if open_due else None,
                walk.reopened,
                walk.referral,
                walk.callback_result,
                "",
                "",
            )
        )

    def _submitted_at(self) -> int:
        """Over the last two years, with volume growing towards today, in local office hours mostly."""
        rng = self.rng
        u = rng.random()
        x = u if rng.random() < 0.5 else math.sqrt(u)
        base = self.now - SPAN_DAYS * DAY + int(x * SPAN_DAYS * DAY)
        local_midnight = (base + CST) // DAY * DAY - CST
        ts = local_midnight + rng.weighted(HOURS, self.hour_cum) * HOUR + rng.randrange(HOUR)
        if ts >= self.now:
            ts = self.now - rng.randrange(MINUTE, 6 * HOUR)
        return ts

    def _signal(self, category: CategoryInfo) -> tuple[str, str]:
        """What, if anything, makes this case more urgent than its category: (kind, detail)."""
        rng = self.rng
        r = rng.random()
        if r < RED_SHARE:
            kind = rng.weighted(("threat", "group_red", "amount_red"), (70, 90, 100))
            if kind == "amount_red" and not category.amount_templates:
                kind = "threat"
            return kind, ""
        if category.base_colour == Colour.WHITE and r < RED_SHARE + self.p_raise:
            kind = rng.weighted(("vulnerable", "group_yellow", "amount_yellow"), (50, 70, 100))
            if kind == "amount_yellow" and not category.amount_templates:
                kind = "vulnerable"
            if kind == "vulnerable":
                return kind, rng.choice(stories.VULNERABLE)[1]
            return kind, ""
        return "", ""

    def _parties(self, grid: GridInfo, *, vulnerable_flag: str) -> list[tuple]:
        """(role, name, phone, id number, address, minor, elderly, disabled, pregnant) per party."""
        rng = self.rng
        count = rng.weighted((1, 2, 3, 4), (12, 72, 92, 100))
        if vulnerable_flag == "is_minor":
            count = max(count, 3)  # the child is a third party, never the one who applies
        rows = []
        for index in range(count):
            if index == 0:
                role = PartyRole.APPLICANT
            elif index == 1:
                role = PartyRole.RESPONDENT
            elif vulnerable_flag == "is_minor" and index == count - 1:
                role = PartyRole.THIRD_PARTY
            else:
                role = rng.choice((PartyRole.THIRD_PARTY, PartyRole.APPLICANT))
            flags = dict.fromkeys(("is_minor", "is_elderly", "is_disabled", "is_pregnant"), False)
            # The vulnerability flags mean "at risk here" (they raise triage to yellow), so
            # they are set only on cases planned that way, on the last party listed.
            if vulnerable_flag and index == count - 1:
                flags[vulnerable_flag] = True
            female = flags["is_pregnant"] or rng.random() < 0.5
            if flags["is_minor"]:
                age = rng.randrange(3, 18)
            elif flags["is_elderly"]:
                age = rng.randrange(70, 92)
            elif flags["is_pregnant"]:
                age = rng.randrange(22, 40)
            else:
                age = int(rng.triangular(18, 80, 40))
            phone = ""
            if not flags["is_minor"] and rng.random() < (0.97 if index == 0 else 0.7):
                phone = people.mobile_number(rng)
            id_number = ""
            if rng.random() < 0.4:
                birth = datetime.fromordinal(self.today_ordinal - age * 365 - rng.randrange(365)).date()
                id_number = people.id_number(rng, birth=birth, female=female, birthplace=grid.county_code)
            address = ""
            if rng.random() < 0.6:
                address = grid.address + rng.choice(people.STREETS) + f"{rng.randrange(1, 300)}号"
            rows.append(
                (
                    role,
                    people.person_name(rng, female=female),
                    phone,
                    id_number,
                    address,
                    flags["is_minor"],
                    flags["is_elderly"],
                    flags["is_disabled"],
                    flags["is_pregnant"],
                )
            )
        return rows

    def _story(
        self, category: CategoryInfo, signal: tuple[str, str], parties: list[tuple], grid: GridInfo
    ) -> tuple[str, int | None, int]:
        """The description, the amount at stake and the number of people involved."""
        rng = self.rng
        kind = signal[0]
        if kind in ("amount_red", "amount_yellow"):
            template = rng.choice(category.amount_templates)
        else:
            template = rng.choice(category.templates)
        # People on the applicants' side; wage cases name the workers.
        n = len(parties)
        if kind == "group_red":
            n = rng.randrange(10, 80)
        elif kind == "group_yellow":
            n = rng.randrange(5, 10)
        elif category.code == "labour" and "{n}" in template:
            n = rng.randrange(3, 5)
        amount = None
        if "{amount}" in template:
            low, high = stories.AMOUNTS.get(category.code, (1_000, 50_000))
            if kind == "amount_red":
                low, high = 1_000_000, 5_000_000
            elif kind == "amount_yellow":
                low, high = 100_000, 999_000
            else:
                high = min(high, NORMAL_AMOUNT_CAP)
            amount = _log_uniform(rng, low, high)
            if category.code == "labour" and "{n}" in template and not kind.startswith("amount"):
                amount = min(amount * n, NORMAL_AMOUNT_CAP) if kind == "" else amount * n
            amount = int(round(amount, -2)) if amount >= 1_000 else amount
        respondent = parties[1][1] if len(parties) > 1 else people.person_name(rng, female=rng.random() < 0.3)
        vulnerable_word = next((word for word, flag in stories.VULNERABLE if flag == signal[1]), "")
        values = {
            "a": parties[0][1],
            "b": respondent,
            "amount": stories.format_amount(amount) if amount else "",
            "n": n,
            "months": rng.randrange(2, 13),
            "years": rng.randrange(1, 9),
            "year": self.this_year - rng.randrange(1, 6),
            "place": grid.address[-12:],
            "vulnerable": vulnerable_word,
        }
        text = template.format(**values)
        if kind == "threat":
            text += rng.choice(stories.THREATS).format(**values)
        elif kind in ("group_red", "group_yellow") and "{n}" not in template:
            text += stories.GROUP_SENTENCE.format(**values)
        elif kind == "vulnerable":
            text += stories.VULNERABLE_SENTENCE.format(**values)
        return text, amount, n

    # --- actors ---

    def handler(self, department: int | None) -> tuple[int | None, str]:
        """Someone who works the department's queue."""
        staff = self.ctx.handlers.get(department) if department is not None else None
        if not staff:
            return None, Role.DEPARTMENT_STAFF
        return self.rng.choice(staff)


def _skew(rng: DemoRandom, low: int, high: int) -> int:
    """Between low and high, small values more likely (delays are long-tailed)."""
    u = rng.random()
    return int(low + (high - low) * u * u)


def _log_uniform(rng: DemoRandom, low: int, high: int) -> int:
    """Amounts spread evenly over orders of magnitude: many small claims, few large ones."""
    return int(math.exp(rng.uniform(math.log(low), math.log(high))))


def _source_id(channel: str, pk: int, submitted: int) -> str:
    """The id the sending system gave the record: machine channels have one, forms do not."""
    day = time.strftime("%Y%m%d", time.gmtime(submitted + CST))
    match channel:
        case Channel.POLICE_110:
            return f"JQ{day}{pk:08d}"
        case Channel.HOTLINE_12345:
            return f"12345-{day}-{pk:08d}"
        case Channel.PETITION:
            return f"XF{day}{pk:08d}"
        case Channel.GRID_REPORT:
            return f"WG{pk:010d}"
    return ""


class _Walk:
    """One case's way through the transition table, with the services' side effects."""

    def __init__(
        self,
        gen: CaseGenerator,
        grid: GridInfo,
        route: Route | None,
        result: triage.TriageResult,
        channel: str,
        submitted: int,
        batch: Batch,
        pk: int,
    ) -> None:
        self.gen = gen
        self.ctx = gen.ctx
        self.rng = gen.rng
        self.grid = grid
        self.route = route
        self.triaged_colour = result.colour
        self.colour = result.colour
        self.reasons = result.reasons_as_dicts()
        self.channel = channel
        self.t = submitted
        self.batch = batch
        self.pk = pk
        # (at, actor, actor_role, kind, action, from_status, to_status, reason, data, is_public)
        self.timeline: list[tuple] = []
        self.status = ""
        self.outcome = ""
        self.lead: int | None = None
        self.rule: int | None = None
        self.mediator: int | None = None
        self.mediator_role = ""
        self.reported: int | None = None
        self.closed: int | None = None
        self.reopened = 0
        self.callback_result = ""
        self.referral = ""
        self.returns = 0
        self.transfers = 0
        # [kind, opened, due, done, cancelled, updated, escalation level, escalate_at]
        self.deadlines: list[list] = []
        self.assists: list[int] = []
        self.assisted_at = ""

    # --- the services' effects ---

    def _emit(
        self, action: str, role: str, actor: int | None, *, reason: str = "", data: dict | None = None, cache=True
    ) -> None:
        transition = lifecycle.TRANSITIONS[action]
        if self.status not in transition.sources or role not in transition.roles:
            raise AssertionError(f"demo walk broke the lifecycle: {action} by {role} from {self.status}")
        encoded = (_json_cached(data) if cache else _json(data)) if data else "{}"
        self.timeline.append(
            (
                self.t,
                actor,
                role,
                EventKind.TRANSITION,
                action,
                self.status,
                transition.target,
                reason,
                encoded,
                transition.public,
            )
        )
        self.status = transition.target

    def _deadlines(self, action: str) -> None:
        """The action's row of the effects table (disputes.rules.effects), as dispute_transition applies it."""
        row = SUBMIT if action == "submit" else EFFECTS[action]
        if row.finishes:
            self._finish(None if row.finishes == ALL else tuple(row.finishes))
        if row.cancels:
            self._finish(None if row.cancels == ALL else tuple(row.cancels), cancel=True)
        for kind in row.opens:
            self._open(kind, self._window(kind))

    def _window(self, kind: str) -> int:
        """How long a deadline the table opens runs, in seconds (the colour's service level, or the callback's)."""
        if kind == DeadlineKind.ACCEPT:
            return self.ctx.accept_within[self.colour]
        if kind == DeadlineKind.RESOLVE:
            return self.ctx.resolve_within[self.colour]
        if kind == DeadlineKind.DISPATCH:
            return self.ctx.dispatch_within[self.colour]
        return self.ctx.callback_within

    def _open(self, kind: str, seconds: int) -> None:
        # escalate_at starts at due_at: the sweeper's first rung (as services.deadline_open does).
        self.deadlines.append([kind, self.t, self.t + seconds, None, None, self.t, 0, self.t + seconds])

    def _finish(self, kinds: tuple[str, ...] | None, *, cancel: bool = False) -> None:
        for d in self.deadlines:
            if d[3] is None and d[4] is None and (kinds is None or d[0] in kinds):
                d[4 if cancel else 3] = self.t
                d[5] = self.t

    def _climb(self, until: int) -> None:
        """督办: the sweeper's rungs for every open deadline that fell due before `until`."""
        for d in self.deadlines:
            if d[3] is not None or d[4] is not None:
                continue
            while True:
                at = d[2] if d[6] == 0 else d[7]
                if at is None or at > until:
                    break
                due = datetime.fromtimestamp(d[2], tz=UTC)
                tiers = 0 if d[0] in clocks.NO_COLOUR_RUNG else self.grid.supervisor_tiers
                args = {"kind": d[0], "colour": self.colour, "due": due, "tiers": tiers, "upper_factor": self.gen.upper}
                step = clocks.next_step(level=d[6], **args)
                # No department or no head: the head's rung is passed over (as the sweep does).
                while step is not None and step.action == clocks.REMIND_HEAD and self.lead not in self.ctx.headed:
                    step = clocks.next_step(level=step.level, **args)
                if step is None:
                    d[7] = None
                    break
                d[6] = step.level
                d[7] = int(step.next_at.timestamp()) if step.next_at is not None else None
                d[5] = at
                data = {"deadline": d[0], "level": step.level}
                self.timeline.append(
                    (at, None, lifecycle.SYSTEM, LADDER_EVENTS[step.action], "", "", "", "", _json_cached(data), False)
                )
                # The colour goes up once per case, at the first supervisor rung of a handling clock.
                if step.raise_colour and not any(r.get("rule") == "escalated" for r in self.reasons):
                    raised = triage.raise_one_step(self.colour)
                    if raised != self.colour:
                        old, self.colour = self.colour, raised
                        self.reasons.append(
                            {"rule": "escalated", "colour": Colour(raised).code, "params": {"deadline": d[0]}}
                        )
                        colour = _json({**data, "from_colour": Colour(old).code, "colour": Colour(raised).code})
                        system = lifecycle.SYSTEM
                        self.timeline.append((at, None, system, EventKind.COLOUR_RAISED, "", "", "", "", colour, False))

    def _advance(self, seconds: int) -> bool:
        """Move the clock (escalating what falls due meanwhile); False when that would pass 'now'."""
        target = self.t + seconds
        if target > self.gen.now:
            self._climb(self.gen.now)
            return False
        self._climb(target)
        self.t = target
        return True

    def _dispatch(
        self, department: int, role: str, actor: int | None, *, transfer: bool = False, reason: str = ""
    ) -> None:
        data = {"department": department, "department_name": self.ctx.department_names.get(department, "")}
        by_rule = self.route is not None and department == self.route.lead and not transfer
        if transfer:
            data = {"from_department": self.lead, **data}
        elif by_rule and self.route.assisting and not self.assists:
            # 跟单式联合调解: the assisting departments of the diversion rule join the case.
            self.assists = list(self.route.assisting)
            self.assisted_at = self.gen.fmt(self.t)
            data["assisting"] = self.assists
        self.lead = department
        self.rule = self.route.rule if by_rule else None
        self.mediator = None
        action = "transfer" if transfer else "dispatch"
        self._deadlines(action)
        self._emit(action, role, actor, reason=reason, data=data)

    def _accept(self) -> None:
        actor, role = self.gen.handler(self.lead)
        self._deadlines("accept")
        data = None
        if self.mediator is None and actor is not None:
            self.mediator, self.mediator_role = actor, role
            data = {"mediator": actor}
        self._emit("accept", role, actor, data=data)

    def _return(self) -> None:
        actor, role = self._acting_handler()
        reason = self.rng.choice(stories.RETURN_REASONS)
        # 退回 is also counted per rule and department, for the misrouting figures.
        self.batch.returns.append((self.pk, self.lead, self.rule, reason, self.gen.fmt(self.t)))
        data = {"from_department": self.lead}
        self._deadlines("return")
        self.lead = None
        self.rule = None
        self.mediator = None
        self.returns += 1
        self._emit("return", role, actor, reason=reason, data=data)

    def _report_back(self) -> None:
        rng = self.rng
        actor, role = self._acting_handler()
        outcome = rng.weighted(*(OUTCOMES_RED if self.colour == Colour.RED else OUTCOMES_USUAL))
        self.outcome = outcome
        self.reported = self.t
        self.callback_result = ""
        self._deadlines("report_back")
        data = {"outcome": outcome}
        year = datetime.fromtimestamp(self.t, UTC).year
        if outcome == Outcome.LITIGATION:
            self.referral = f"（{year}）赣01民初{rng.randrange(100, 9999)}号"
            data["referral_reference"] = self.referral
        elif outcome == Outcome.POLICE:
            self.referral = f"洪公刑受字〔{year}〕{rng.randrange(10, 999)}号"
            data["referral_reference"] = self.referral
        self._emit("report_back", role, actor, reason=rng.choice(stories.REPORT_TEXTS[outcome]), data=data)
        # dispute_report_back schedules the callback in the same transaction.
        if self._advance(rng.randrange(0, 2)):
            self._deadlines("await_callback")
            self._emit("await_callback", lifecycle.SYSTEM, None)

    def _withdraw(self) -> None:
        """撤回 as disputes.services.withdrawal records it: the applicant's request (recorded by the mediator or
        a dispatcher from a call or visit, or sent from the tracking page), then a supervisor's approval."""
        rng = self.rng
        if self.mediator is not None and rng.random() < 0.5:
            actor, role = self.mediator, self.mediator_role
            via = rng.choice((WithdrawalVia.PHONE, WithdrawalVia.IN_PERSON, WithdrawalVia.WRITING))
        elif rng.random() < 0.7:
            actor, role, via = None, lifecycle.RESIDENT, WithdrawalVia.SMS_LINK
        else:
            actor, role = self._person(lifecycle.DISPATCHER), lifecycle.DISPATCHER
            via = rng.choice((WithdrawalVia.PHONE, WithdrawalVia.IN_PERSON))
        reason = rng.choice(stories.WITHDRAW_REASONS)
        # Asked an hour to a day before the supervisor approves it, never before what happened already.
        latest = max((e[0] for e in self.timeline if e[0] <= self.t), default=self.t)
        asked = max(latest, self.t - _skew(rng, HOUR, 24 * HOUR))
        self.timeline.append(
            (asked, actor, role, EventKind.WITHDRAWAL_REQUESTED, "", "", "", reason, _json({"via": via}), True)
        )
        supervisor = self._person(lifecycle.SUPERVISOR)
        fmt = self.gen.fmt
        self.batch.withdrawals.append(
            (
                self.pk,
                via,
                reason,
                actor if role != lifecycle.RESIDENT else None,
                fmt(asked),
                "approved",
                supervisor,
                fmt(self.t),
                "",
                self.grid.path,
            )
        )
        decided = _json_cached({"approved": True})
        self.timeline.append(
            (self.t, supervisor, lifecycle.SUPERVISOR, EventKind.WITHDRAWAL_DECIDED, "", "", "", "", decided, False)
        )
        self._deadlines("withdraw")
        self.closed = self.t
        self.outcome = Outcome.WITHDRAWN
        self._emit("withdraw", lifecycle.SUPERVISOR, supervisor, reason=reason)

    def _close(self, role: str, actor: int | None, how: str) -> None:
        self._deadlines("close")
        self.closed = self.t
        data = {"satisfaction": how} if how in ("satisfied", "basically_satisfied") else {"callback": how}
        self.callback_result = how if how != "supervisor" else ""
        self._emit("close", role, actor, reason=stories.CLOSE_TEXTS[how], data=data)

    def _reopen(self, role: str, actor: int | None) -> None:
        self._deadlines("reopen")
        self.reopened += 1
        self.closed = None
        self.outcome = ""
        self.referral = ""
        self.callback_result = "dissatisfied"
        self._emit(
            "reopen", role, actor, reason=self.rng.choice(stories.REOPEN_REASONS), data={"satisfaction": "dissatisfied"}
        )

    def _handler_step(self, action: str) -> None:
        actor, role = self._acting_handler()
        self._emit(action, role, actor)

    def _acting_handler(self) -> tuple[int | None, str]:
        if self.mediator is not None:
            return self.mediator, self.mediator_role
        return self.gen.handler(self.lead)

    def _alternative(self) -> int:
        options = [d for d in self.grid.alternatives if d != self.lead]
        if not options:
            return self.route.lead if self.route is not None else self.lead
        return self.rng.choice(options)

    def _person(self, role: str) -> int | None:
        """A dispatcher, supervisor or callback caller whose area covers this case."""
        return self.rng.choice(self.grid.overseers[role])

    def _sessions(self, start: int, end: int) -> None:
        """调解: one to three sessions between the start of mediation and its end."""
        rng = self.rng
        if end - start < 2 * HOUR or rng.random() < 0.3:
            return
        role = self.mediator_role or Role.MEDIATOR
        for _ in range(rng.randrange(1, 4)):
            data = {"place": rng.choice(stories.SESSION_PLACES), "participants": rng.randrange(2, 7)}
            at = rng.randrange(start + HOUR, end)
            self.timeline.append(
                (at, self.mediator, role, EventKind.SESSION, "", "", "", "", _json_cached(data), False)
            )

    # --- the story ---

    def run(self) -> None:
        gen, rng = self.gen, self.rng
        actor, role = None, lifecycle.RESIDENT
        if self.channel in MACHINE_CHANNELS:
            role = lifecycle.SYSTEM
        elif self.channel == Channel.WALK_IN and self.grid.intake_user is not None:
            actor, role = self.grid.intake_user
        # The first event has no from_status: a case starts at "submitted".
        data = _json_cached({"channel": self.channel})
        self.timeline.append((self.t, actor, role, EventKind.TRANSITION, "submit", "", S.SUBMITTED, "", data, True))
        self.status = S.SUBMITTED
        # The dispatch clock from the submission, with the colour triage gives it minutes later (the
        # service opens it with the category's colour and re-times it at triage: the same due date).
        self._deadlines("submit")
        stuck_at = rng.choice(STUCK_AT) if rng.random() < STUCK_SHARE else None
        if self.t < gen.now - STUCK_WITHIN_DAYS * DAY:
            stuck_at = None
        for _step in range(40):
            if self.status == stuck_at or not self._step(rng.random()):
                break
        self._climb(gen.now)

    def _step(self, r: float) -> bool:
        """Take the next action; False when the story ends here (final state, or 'now' reached)."""
        gen, rng, ctx = self.gen, self.rng, self.ctx
        status = self.status
        if status == S.SUBMITTED:
            if not self._advance(rng.randrange(5, 180)):
                return False
            data = {"colour": Colour(self.colour).code, "reasons": self.reasons[:]}
            self._emit("triage", lifecycle.SYSTEM, None, data=data, cache=False)
        elif status == S.TRIAGED:
            if r < 0.005:
                if self._advance(_skew(rng, 10 * MINUTE, 2 * DAY)):
                    self._withdraw()
                return False
            if self.route is None:
                return False  # nothing on the diversion list: waits for a dispatcher
            # Red cases wait for a person (RED_CASES_NEED_HUMAN_DISPATCH); a few others too.
            red = self.colour == Colour.RED
            if red or r < 0.06:
                delay = _skew(rng, 5 * MINUTE, 3 * HOUR if red else DAY)
                role = lifecycle.SUPERVISOR if red and rng.random() < 0.3 else lifecycle.DISPATCHER
                actor = self._person(role)
            else:
                delay, role, actor = rng.randrange(1, 30), lifecycle.SYSTEM, None
            if not self._advance(delay):
                return False
            self._dispatch(self.route.lead, role, actor)
        elif status == S.DISPATCHED:
            window = ctx.accept_within[self.colour]
            late = rng.random() < 0.05
            delay = int(window * (rng.uniform(1.0, 1.6) if late else rng.uniform(0.01, 0.7)))
            if not self._advance(max(delay, MINUTE)):
                return False
            if r < 0.93 or self.returns + self.transfers >= 2:
                self._accept()
            elif r < 0.965:
                self._return()
            elif r < 0.985:
                actor, role = gen.handler(self.lead)
                self.transfers += 1
                reason = rng.choice(stories.TRANSFER_REASONS)
                self._dispatch(self._alternative(), role, actor, transfer=True, reason=reason)
            else:
                self._withdraw()
        elif status == S.RETURNED:
            if not self._advance(_skew(rng, 20 * MINUTE, DAY)):
                return False
            if r < 0.95:
                role = lifecycle.SUPERVISOR if rng.random() < 0.2 else lifecycle.DISPATCHER
                self._dispatch(self._alternative(), role, self._person(role))
            else:
                self._withdraw()
        elif status == S.ACCEPTED:
            resolve_s = ctx.resolve_within[self.colour]
            if r < 0.86:
                if not self._advance(_skew(rng, 10 * MINUTE, min(3 * DAY, resolve_s // 4))):
                    return False
                self._handler_step("start_mediation")
            elif r < 0.96:
                # Settled at acceptance: the policy explained, the parties agreed on the spot.
                if not self._advance(_skew(rng, 30 * MINUTE, 2 * DAY)):
                    return False
                self._report_back()
            elif r < 0.98 and self.returns + self.transfers < 2:
                if not self._advance(_skew(rng, HOUR, DAY)):
                    return False
                self._return()
            else:
                if not self._advance(_skew(rng, HOUR, 5 * DAY)):
                    return False
                self._withdraw()
        elif status == S.IN_MEDIATION:
            resolve_s = ctx.resolve_within[self.colour]
            resolve = next((d for d in reversed(self.deadlines) if d[0] == DeadlineKind.RESOLVE), None)
            due = resolve[2] if resolve is not None else self.t + resolve_s
            if rng.random() < 0.05:  # finished late
                target = due + int(resolve_s * rng.uniform(0.0, 0.3))
            else:
                target = self.t + _skew(rng, HOUR, max(due - self.t, 2 * HOUR))
            self._sessions(self.t, min(target, gen.now))
            if not self._advance(max(target - self.t, MINUTE)):
                return False
            if r < 0.96 or self.transfers >= 1:
                self._report_back()
            elif r < 0.98:
                actor, role = self._acting_handler()
                self.transfers += 1
                reason = rng.choice(stories.TRANSFER_REASONS)
                self._dispatch(self._alternative(), role, actor, transfer=True, reason=reason)
            else:
                self._withdraw()
        elif status == S.AWAITING_CALLBACK:
            if r < 0.05:
                # Nobody answered within the window: closed on the due date.
                if not self._advance(ctx.callback_within + rng.randrange(MINUTE, HOUR)):
                    return False
                self._close(lifecycle.SYSTEM, None, "unreachable")
                return True
            late = rng.random() < 0.03
            delay = rng.randrange(7 * DAY, 12 * DAY) if late else _skew(rng, 2 * HOUR, 6 * DAY)
            if not self._advance(delay):
                return False
            if r < 0.08 and self.reopened < 2:
                self._reopen(lifecycle.CALLBACK_CALLER, self._person(lifecycle.CALLBACK_CALLER))
            elif r < 0.11:
                self._close(lifecycle.SUPERVISOR, self._person(lifecycle.SUPERVISOR), "supervisor")
            else:
                how = "satisfied" if rng.random() < 0.93 else "basically_satisfied"
                self._close(lifecycle.CALLBACK_CALLER, self._person(lifecycle.CALLBACK_CALLER), how)
        elif status == S.CLOSED:
            # Rarely, a party comes back after the case was closed.
            resolved = self.outcome in (Outcome.AGREEMENT, Outcome.ORAL_AGREEMENT, Outcome.RESOLVED_OTHERWISE)
            if r >= 0.008 or self.reopened >= 2 or not resolved:
                return False
            if not self._advance(_skew(rng, DAY, 30 * DAY)):
                return False
            if rng.random() < 0.7:
                self._reopen(lifecycle.RESIDENT, None)
            else:
                self._reopen(lifecycle.SUPERVISOR, self._person(lifecycle.SUPERVISOR))
        elif status == S.REOPENED:
            if not self._advance(_skew(rng, HOUR, 2 * DAY)):
                return False
            if r < 0.95:
                self._handler_step("resume")
            else:
                self._withdraw()
        else:  # withdrawn, or reported with the callback not yet scheduled
            return False
        return True
