"""类案参考: how alike two cases are, and how well a past case's way of ending worked. Pure functions.

The selector (`disputes.selectors.similar`) reads a bounded set of closed candidate cases and hands
their plain facts here; nothing in this module touches the database.

Similarity of a candidate to the case being worked, each part in [0, 1]:

    similarity = 0.60 · text + 0.15 · area + 0.10 · amount + 0.15 · parties

- text: cosine of the two descriptions' character-bigram vectors, weighted by TF-IDF over
  the candidate set (plus the case itself), so the phrases every case of the category shares
  ("双方协商未果") count little and those of one kind of story ("装修噪音", "天花板漏水")
  much. Before that, the parties' own names are removed and every run of digits becomes
  one sign: names and sums are not what makes two stories alike.
- area: same grid 1, same village 0.75, same township 0.5, same county 0.25, else 0.
- amount: both without an amount 1; one without 0.5; else 1 minus the distance of their
  orders of magnitude over two (a tenth or ten times the sum: 0.5).
- parties: how many parties, with which roles, and how many people on the applicants'
  side (the nearer, the higher).

"What worked" (`worked`), in [0, 1]:

    worked = 0.35 · outcome + 0.20 · performed + 0.30 · callback + 0.15 · stayed closed

- outcome: resolved by agreement or otherwise 1, withdrawn 0.3, litigation or police 0;
- performed: performed 1, not performed 0, pending or no agreement 0.5 (unknown);
- callback: satisfied 1, basically satisfied 0.7, unreachable or none 0.5, dissatisfied 0;
- stayed closed: never reopened 1, reopened 0.

Ranking (`rank`): the "similar ones" are the candidates whose similarity is at least
SIMILAR_FLOOR (0.8) of the best one's, at most SHORTLIST (10) of the most similar, ordered by

    rank score = 0.6 · similarity / best similarity + 0.4 · worked

(ties: the more similar, then the newer) and the first `limit` (5) are shown. When fewer
than MIN_SHOWN (3) are that alike, the next most similar make up three, after them. A case that
ended well moves up among cases as alike as each other; it never displaces a clearly more
similar story, since it must first be within 80 % of the best similarity.
"""

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

WEIGHTS = {"text": 0.60, "area": 0.15, "amount": 0.10, "parties": 0.15}
WORKED_WEIGHTS = {"outcome": 0.35, "performed": 0.20, "callback": 0.30, "stayed_closed": 0.15}
AREA_CLOSENESS = (1.0, 0.75, 0.5, 0.25)  # same grid, village, township, county (levels up from the grid)
SIMILAR_FLOOR = 0.8
SHORTLIST = 10
MIN_SHOWN = 3
RANK_SIMILARITY = 0.6
RANK_WORKED = 0.4

OUTCOME_WORKED = {
    "agreement": 1.0,
    "oral_agreement": 1.0,
    "resolved_otherwise": 1.0,
    "withdrawn": 0.3,
    "litigation": 0.0,
    "police": 0.0,
}
PERFORMED_WORKED = {"performed": 1.0, "not_performed": 0.0}
CALLBACK_WORKED = {"satisfied": 1.0, "basically_satisfied": 0.7, "dissatisfied": 0.0}
UNKNOWN = 0.5

_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")
# A piece of text between punctuation: bigrams never straddle a comma.
_SEGMENT = re.compile(r"[\w#]+")


@dataclass(frozen=True)
class CaseFacts:
    """What similarity reads of one case."""

    pk: int
    description: str
    area_path: str
    amount: Decimal | float | None = None
    people_involved: int | None = None
    # The parties' roles ("applicant", "respondent", "third_party") and names (removed from the text).
    roles: tuple[str, ...] = ()
    names: tuple[str, ...] = ()
    category_id: int | None = None


@dataclass(frozen=True)
class Outcome:
    """What ranking by "what worked" reads of a closed case."""

    outcome: str = ""
    performance: str = ""  # the agreement's Performance value; "" without an agreement
    callback_result: str = ""
    reopened_count: int = 0


@dataclass
class Scored:
    pk: int
    similarity: float
    worked: float
    parts: dict[str, float] = field(default_factory=dict)
    rank_score: float = 0.0
    # Newer first on ties: a larger key is newer (the closing time's timestamp, or the pk).
    recency: float = 0.0


# Characters that carry no story (particles, pronouns, common verbs): left out of the single characters.
_FUNCTION_CHARS = frozenset("的了是在我你他她们就也都和与及因对把被有没不这那个一要说其")


def text_bigrams(text: str, names: Iterable[str] = ()) -> set[str]:
    """The character bigrams and story-bearing characters of a description, without the parties' names,
    digits folded into one sign."""
    text = unicodedata.normalize("NFKC", text or "").upper()
    for name in sorted({n for n in names if n and len(n) >= 2}, key=len, reverse=True):
        text = text.replace(name.upper(), " ")
    text = _DIGITS.sub("#", text)
    grams: set[str] = set()
    for segment in _SEGMENT.findall(text):
        grams.update(segment[i : i + 2] for i in range(len(segment) - 1))
        # Single characters too: residents retell a story in other words that share its key
        # characters (漏水 / 漏了, 工资 / 工钱) more often than its two-character pieces.
        grams.update(ch for ch in segment if ch not in _FUNCTION_CHARS)
    return grams


def idf_weights(documents: Sequence[set[str]]) -> dict[str, float]:
    """Smoothed inverse document frequency of each bigram over `documents`."""
    count = len(documents)
    frequency: Counter[str] = Counter()
    for grams in documents:
        frequency.update(grams)
    return {gram: math.log((count + 1) / (df + 1)) + 1.0 for gram, df in frequency.items()}


def cosine(a: set[str], b: set[str], idf: dict[str, float]) -> float:
    """Cosine of two bigram sets as binary vectors weighted by `idf`."""
    if not a or not b:
        return 0.0
    dot = sum(idf.get(g, 1.0) ** 2 for g in a & b)
    if not dot:
        return 0.0
    norm_a = math.sqrt(sum(idf.get(g, 1.0) ** 2 for g in a))
    norm_b = math.sqrt(sum(idf.get(g, 1.0) ** 2 for g in b))
    return dot / (norm_a * norm_b)


def area_closeness(path: str, other: str, *, steplen: int = 4) -> float:
    """1 for the same grid, then 0.75, 0.5, 0.25 for each level up the two share; 0 beyond the county."""
    if not path or not other:
        return 0.0
    common = 0
    for a, b in zip(path, other, strict=False):
        if a != b:
            break
        common += 1
    levels_up = (len(path) - (common // steplen) * steplen) // steplen
    return AREA_CLOSENESS[levels_up] if levels_up < len(AREA_CLOSENESS) else 0.0


def amount_closeness(a: Decimal | float | None, b: Decimal | float | None) -> float:
    if a is None and b is None:
        return 1.0
    if a is None or b is None:
        return UNKNOWN
    distance = abs(math.log10(float(a) + 1) - math.log10(float(b) + 1))
    return max(0.0, 1.0 - distance / 2)


def _ratio(a: int, b: int) -> float:
    if a == b:
        return 1.0
    return min(a, b) / max(a, b) if max(a, b) > 0 else 1.0


def party_closeness(case: CaseFacts, other: CaseFacts) -> float:
    """Alike in number of parties (half), in roles (a quarter) and in people involved (a quarter)."""
    count = _ratio(len(case.roles), len(other.roles))
    mine, theirs = Counter(case.roles), Counter(other.roles)
    union = sum((mine | theirs).values())
    roles = sum((mine & theirs).values()) / union if union else 1.0
    people = (
        _ratio(case.people_involved or 0, other.people_involved or 0)
        if case.people_involved is not None and other.people_involved is not None
        else UNKNOWN
    )
    return 0.5 * count + 0.25 * roles + 0.25 * people


def worked(outcome: Outcome) -> float:
    """How well the case's way of ending worked (the module's docstring)."""
    parts = {
        "outcome": OUTCOME_WORKED.get(outcome.outcome, UNKNOWN),
        "performed": PERFORMED_WORKED.get(outcome.performance, UNKNOWN),
        "callback": CALLBACK_WORKED.get(outcome.callback_result, UNKNOWN),
        "stayed_closed": 0.0 if outcome.reopened_count else 1.0,
    }
    return sum(WORKED_WEIGHTS[k] * v for k, v in parts.items())


def similarities(case: CaseFacts, candidates: Sequence[CaseFacts], *, steplen: int = 4) -> list[Scored]:
    """Each candidate's similarity to `case` and its parts, in the candidates' order."""
    grams = [text_bigrams(c.description, c.names) for c in candidates]
    own = text_bigrams(case.description, case.names)
    # Squared weights and the case's own norm once, not per pair (this loop is most of the selector's CPU).
    squared = {g: w * w for g, w in idf_weights([own, *grams]).items()}
    own_norm = math.sqrt(sum(squared[g] for g in own))
    scored = []
    for candidate, candidate_grams in zip(candidates, grams, strict=True):
        dot = sum(squared[g] for g in own & candidate_grams)
        text = dot / (own_norm * math.sqrt(sum(squared[g] for g in candidate_grams))) if dot else 0.0
        parts = {
            "text": text,
            "area": area_closeness(case.area_path, candidate.area_path, steplen=steplen),
            "amount": amount_closeness(case.amount, candidate.amount),
            "parties": party_closeness(case, candidate),
        }
        similarity = sum(WEIGHTS[k] * v for k, v in parts.items())
        scored.append(Scored(pk=candidate.pk, similarity=similarity, worked=0.0, parts=parts))
    return scored


def rank(scored: Sequence[Scored], outcomes: dict[int, Outcome], *, limit: int = 5) -> list[Scored]:
    """The `limit` cases to show, best first: the similar ones ranked by what worked (module docstring)."""
    ordered = sorted(scored, key=lambda s: (-s.similarity, -s.recency))
    if not ordered or ordered[0].similarity <= 0:
        return []
    best = ordered[0].similarity
    shortlist = [s for s in ordered[:SHORTLIST] if s.similarity >= SIMILAR_FLOOR * best]
    # Fewer than three alike: the next most similar make up three, after them and in order of similarity.
    filler = ordered[len(shortlist) : MIN_SHOWN]
    for s in [*shortlist, *filler]:
        s.worked = worked(outcomes.get(s.pk, Outcome()))
        s.rank_score = RANK_SIMILARITY * s.similarity / best + RANK_WORKED * s.worked
    shortlist.sort(key=lambda s: (-s.rank_score, -s.similarity, -s.recency))
    return [*shortlist, *filler][:limit]
