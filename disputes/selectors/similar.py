"""类案参考 and 当事人历史: similar closed cases, and the same people's other cases, for one case and one reader.

Both read only cases the reader may see (`disputes.selectors.disputes_visible_to`); nothing here
filters jurisdiction by hand.

Similar cases (`similar_cases_for`): closed cases of the same category, found ring by ring
around the case's grid — the grid, its village, township, county, then the city — newest
first, until CANDIDATES (150) are in hand. That bounded set is scored in Python
(`disputes.rules.similarity`: TF-IDF of character bigrams, area, amount, party structure) and
ranked by what worked. The same code runs on SQLite and PostgreSQL; on PostgreSQL each ring is
one range scan of the partial index `dispute_closed_category_area` (migration 0015), so a case
costs a few indexed queries however many cases are stored. Cases of the same people are never
in it (they are the history panel), nor the case itself. If the category has fewer than
MIN_SHOWN closed cases within reach, the nearest closed cases of other categories fill in
after them ("same category first").

当事人历史 (`party_history_for`): every other case sharing a party's phone or ID-card number
(any status, newest first), only for a reader who works the case: to anyone else, linking a
person's cases would tell them whose case it is (the queue's search refuses the same).

What a row shows of the other case: its number, category, place, outcome, days taken
(submitted to reported back, or closed), whether its agreement was performed, the callback's
verdict and whether it came back (reopened). Of its agreement, only the terms and how they
were performed, as a skeleton (`rules.agreement_skeleton`: the other case's names, phones, ID
numbers, addresses, places, sums and dates replaced by placeholders) with any other long
number masked on top (`core.masking.mask_numbers`): its people are never shown.

Logging (`disputes.services.similar.log_shown`): one `PersonalDataAccess` row per case shown (action reveal, "what"
SIMILAR_WHAT or HISTORY_WHAT, the shown case's number, and the page and the case being
worked in `detail`), in one insert. The hourly reveal pace (`core.audit.check_reveal`) does
not apply: it limits values shown *in clear*, and these rows show no one's data in clear
(names are placeholders, numbers masked). Counting them would spend a mediator's 60 reveals
an hour in six to twelve case-page views and then block the phone reveal they need to work.
The rows are there so that who looked at which other cases can be traced afterwards.
"""

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from core.exceptions import NotFoundError
from core.masking import mask_numbers
from core.types import RequestUser
from disputes.models import Agreement, CaseEvent, Dispute, Party
from disputes.rules import similarity
from disputes.rules.agreement_skeleton import Person, skeleton
from disputes.rules.enums import EventKind, Status
from disputes.rules.tracking import normalise_tracking_number
from disputes.selectors.access import user_works_case
from disputes.selectors.cases import disputes_visible_to
from grids.models import Area

CANDIDATES = 150
OTHER_CATEGORY_CANDIDATES = 50
SHOWN = 5
HISTORY_SHOWN = 10
SIMILAR_WHAT = "dispute.similar"
HISTORY_WHAT = "dispute.party_history"

# The columns scoring reads: a candidate is never loaded whole.
_CANDIDATE_FIELDS = (
    "pk",
    "category_id",
    "description",
    "area_path",
    "amount",
    "people_involved",
    "closed_at",
)


@dataclass
class SimilarCase:
    """One similar closed case as a reader may be shown it."""

    case: Dispute
    similarity: float
    worked: float
    rank_score: float
    parts: dict[str, float]
    same_category: bool
    place: str
    days_taken: int | None
    agreement: Agreement | None
    terms: str | None
    performance_method: str | None

    @property
    def tracking_number(self) -> str:
        return self.case.tracking_number

    @property
    def performance(self) -> str:
        return self.agreement.performance if self.agreement is not None else ""

    @property
    def reopened(self) -> bool:
        return bool(self.case.reopened_count)


@dataclass
class HistoryCase:
    """One other case of the same people."""

    case: Dispute
    matched_by: list[str]  # "phone", "id_number"
    days_taken: int | None

    @property
    def tracking_number(self) -> str:
        return self.case.tracking_number


def _days(case: Dispute) -> int | None:
    end = case.reported_at or case.closed_at
    if end is None or case.submitted_at is None:
        return None
    return max((end - case.submitted_at).days, 0)


def _ring_prefixes(area_path: str) -> list[str]:
    """The case's grid path, then each ancestor's, up to the city: the rings searched outward."""
    step = Area.steplen
    return [area_path[:i] for i in range(len(area_path), 0, -step)]


def _same_people(case: Dispute, parties: list[Party]) -> Q | None:
    """Parties of other cases with one of this case's phones or ID-card numbers; None if it has neither."""
    phones = {p.phone for p in parties if p.phone}
    ids = {p.id_number for p in parties if p.id_number}
    if not phones and not ids:
        return None
    condition = Q(pk__in=[])
    if phones:
        condition |= Q(phone__in=phones)
    if ids:
        condition |= Q(id_number__in=ids)
    return condition


def _history_ids_subquery(case: Dispute, parties: list[Party]) -> QuerySet[Party, Any] | None:
    condition = _same_people(case, parties)
    if condition is None:
        return None
    return Party.objects.filter(condition).exclude(dispute_id=case.pk).values("dispute_id")


def _candidates(
    visible: QuerySet[Dispute],
    case: Dispute,
    *,
    same_category: bool,
    wanted: int,
    exclude_history: QuerySet[Party, Any] | None,
) -> list[dict[str, Any]]:
    """Closed visible cases ring by ring around the case's grid, newest first in each ring, up to `wanted`."""
    closed = visible.filter(status=Status.CLOSED).exclude(pk=case.pk)
    if same_category:
        closed = closed.filter(category_id=case.category_id)
    else:
        closed = closed.exclude(category_id=case.category_id)
    if exclude_history is not None:
        closed = closed.exclude(pk__in=exclude_history)
    found: list[dict[str, Any]] = []
    inner = ""
    for prefix in _ring_prefixes(case.area_path):
        ring = closed.filter(area_path__startswith=prefix)
        if inner:
            ring = ring.exclude(area_path__startswith=inner)
        found.extend(ring.order_by("-pk").values(*_CANDIDATE_FIELDS)[: wanted - len(found)])
        if len(found) >= wanted:
            break
        inner = prefix
    if len(found) < wanted:
        # Cases routed to the reader's department outside the city's tree, if any (rare).
        rest = closed.exclude(area_path__startswith=_ring_prefixes(case.area_path)[-1])
        found.extend(rest.order_by("-pk").values(*_CANDIDATE_FIELDS)[: wanted - len(found)])
    return found


def _facts(row: dict[str, Any], parties: list[tuple[str, str]]) -> similarity.CaseFacts:
    return similarity.CaseFacts(
        pk=row["pk"],
        description=row["description"] or "",
        area_path=row["area_path"] or "",
        amount=row["amount"],
        people_involved=row["people_involved"],
        roles=tuple(role for role, _name in parties),
        names=tuple(name for _role, name in parties),
        category_id=row["category_id"],
    )


def _people(parties: Any) -> list[Person]:
    return [Person(p.role, p.name or "", p.phone or "", p.id_number or "", p.address or "") for p in parties]


def _places(case: Dispute, areas: dict[int, list[str]]) -> list[str]:
    return [case.occurred_place, *areas.get(case.grid_id, [])]


def _area_names(grid_ids: set[int]) -> dict[int, list[str]]:
    """Each grid's own name and its ancestors' names below the city (for the place column and placeholders)."""
    grids = {a.pk: a for a in Area.objects.filter(pk__in=grid_ids)}
    paths = {a.path[:i] for a in grids.values() for i in range(Area.steplen * 2, len(a.path) + 1, Area.steplen)}
    names = dict(Area.objects.filter(path__in=paths).values_list("path", "name"))
    return {
        pk: [names[a.path[:i]] for i in range(len(a.path), Area.steplen, -Area.steplen) if a.path[:i] in names]
        for pk, a in grids.items()
    }


def similar_cases_for(*, user: RequestUser | None, case: Dispute, limit: int = SHOWN) -> list[SimilarCase]:
    """The 3–5 closed cases most like `case` that `user` may see, ranked by what worked (module docstring)."""
    visible = disputes_visible_to(user)
    parties = list(case.parties.all())
    history = _history_ids_subquery(case, parties)
    rows = _candidates(visible, case, same_category=True, wanted=CANDIDATES, exclude_history=history)
    if len(rows) < similarity.MIN_SHOWN:
        rows += _candidates(
            visible, case, same_category=False, wanted=OTHER_CATEGORY_CANDIDATES, exclude_history=history
        )
    if not rows:
        return []
    by_case: dict[int, list[tuple[str, str]]] = {}
    for dispute_id, role, name in Party.objects.filter(dispute_id__in=[r["pk"] for r in rows]).values_list(
        "dispute_id", "role", "name"
    ):
        by_case.setdefault(dispute_id, []).append((role, name))
    own = similarity.CaseFacts(
        pk=case.pk,
        description=case.description,
        area_path=case.area_path,
        amount=case.amount,
        people_involved=case.people_involved,
        roles=tuple(p.role for p in parties),
        names=tuple(p.name for p in parties),
        category_id=case.category_id,
    )
    facts = [_facts(r, by_case.get(r["pk"], [])) for r in rows]
    scored = similarity.similarities(own, facts, steplen=Area.steplen)
    same = {r["pk"]: r["category_id"] == case.category_id for r in rows}
    for s, row in zip(scored, rows, strict=True):
        # Same category first: another category's case only fills in after them.
        if not same[s.pk]:
            s.similarity *= 0.5
        s.recency = row["pk"]
    # The outcome columns, agreements and parties are read for the shortlist only.
    best = sorted(scored, key=lambda s: (-s.similarity, -s.recency))[: similarity.SHORTLIST]
    shortlisted = {
        c.pk: c for c in Dispute.objects.filter(pk__in=[s.pk for s in best]).select_related("category", "grid")
    }
    agreements = {a.dispute_id: a for a in Agreement.objects.filter(dispute_id__in=list(shortlisted))}
    outcomes = {
        pk: similarity.Outcome(
            outcome=c.outcome,
            performance=agreements[pk].performance if pk in agreements else "",
            callback_result=c.callback_result,
            reopened_count=c.reopened_count,
        )
        for pk, c in shortlisted.items()
    }
    chosen = similarity.rank(best, outcomes, limit=limit)
    chosen_ids = [s.pk for s in chosen]
    full_parties: dict[int, list[Party]] = {}
    for party in Party.objects.filter(dispute_id__in=[s.pk for s in chosen if s.pk in agreements]).order_by("pk"):
        full_parties.setdefault(party.dispute_id, []).append(party)
    areas = _area_names({shortlisted[pk].grid_id for pk in chosen_ids})
    shown = []
    for s in chosen:
        other = shortlisted[s.pk]
        agreement = agreements.get(s.pk)
        terms = method = None
        if agreement is not None:
            people = _people(full_parties.get(s.pk, []))
            places = _places(other, areas)
            terms = mask_numbers(skeleton(agreement.terms, people=people, places=places))
            method = mask_numbers(skeleton(agreement.performance_method, people=people, places=places))
        names = areas.get(other.grid_id, [])
        shown.append(
            SimilarCase(
                case=other,
                similarity=round(s.similarity, 3),
                worked=round(s.worked, 3),
                rank_score=round(s.rank_score, 3),
                parts={k: round(v, 3) for k, v in s.parts.items()},
                same_category=same[s.pk],
                place=" ".join(reversed(names[:3])),
                days_taken=_days(other),
                agreement=agreement,
                terms=terms,
                performance_method=method,
            )
        )
    return shown


def party_history_for(
    *, user: RequestUser | None, case: Dispute, limit: int = HISTORY_SHOWN
) -> list[HistoryCase] | None:
    """Other cases of the same people (phone or ID-card number) that `user` may see, newest first.

    None when `user` does not work `case` (the panel is not theirs; see the module docstring).
    """
    if not user_works_case(user, case):
        return None
    parties = list(case.parties.all())
    condition = _same_people(case, parties)
    if condition is None:
        return []
    matching = Party.objects.filter(condition).exclude(dispute_id=case.pk)
    cases = list(
        disputes_visible_to(user)
        .filter(pk__in=matching.values("dispute_id"))
        .select_related("category")
        .order_by("-submitted_at", "-pk")[:limit]
    )
    if not cases:
        return []
    phones = {p.phone for p in parties if p.phone}
    ids = {p.id_number for p in parties if p.id_number}
    matched: dict[int, set[str]] = {}
    for dispute_id, phone, id_number in matching.filter(dispute_id__in=[c.pk for c in cases]).values_list(
        "dispute_id", "phone", "id_number"
    ):
        found = matched.setdefault(dispute_id, set())
        if phone and phone in phones:
            found.add("phone")
        if id_number and id_number in ids:
            found.add("id_number")
    return [HistoryCase(case=c, matched_by=sorted(matched.get(c.pk, ())), days_taken=_days(c)) for c in cases]


# --- 参照起草: drafting the agreement from a similar case's -----------------------------------------

DRAFTED_FROM = "drafted_from"


def agreement_source_for(*, user: RequestUser | None, number: str) -> tuple[Dispute, Agreement]:
    """A closed case `user` may see and its agreement, to draft from; NotFoundError otherwise."""
    source = (
        disputes_visible_to(user)
        .filter(tracking_number=normalise_tracking_number(number), status=Status.CLOSED)
        .select_related("grid")
        .first()
    )
    agreement = Agreement.objects.filter(dispute=source).first() if source is not None else None
    if source is None or agreement is None:
        raise NotFoundError(_("No closed case with an agreement by that number."), code="no_source_agreement")
    return source, agreement


def agreement_skeleton_from(source: Dispute, agreement: Agreement) -> dict[str, str]:
    """The source agreement's points, terms and performance method with its particulars as placeholders."""
    people = _people(source.parties.order_by("pk"))
    places = _places(source, _area_names({source.grid_id}))
    return {
        name: skeleton(getattr(agreement, name), people=people, places=places)
        for name in ("points_in_dispute", "terms", "performance_method")
    }


def drafted_from_numbers(*, user: RequestUser | None, case: Dispute) -> frozenset[str]:
    """The source cases named by this case's "drafted from" events that `user` may open."""
    numbers = {
        (data or {}).get(DRAFTED_FROM)
        for data in CaseEvent.objects.filter(dispute=case, kind=EventKind.AGREEMENT).values_list("data", flat=True)
    } - {None}
    if not numbers:
        return frozenset()
    return frozenset(
        disputes_visible_to(user).filter(tracking_number__in=numbers).values_list("tracking_number", flat=True)
    )
