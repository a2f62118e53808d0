"""The same people's other petitions: repeat detection (重复信访) and the open petitions dispute triage asks about."""

from difflib import SequenceMatcher

from django.db import connection
from django.db.models import Q, QuerySet

from disputes.rules.triage import SOURCES_KEPT
from petitions.models import Petition, Petitioner
from petitions.rules import OPEN_STATUSES

# Trigram similarity (pg_trgm) and difflib's ratio measure differently: difflib
# scores two unrelated Chinese sentences of the same length around 0.2-0.4 from
# shared function characters alone, so its threshold is higher.
TRIGRAM_SIMILAR_AT = 0.3
DIFFLIB_SIMILAR_AT = 0.5
# Candidates compared in Python on SQLite (same people, area and category: few).
FALLBACK_CANDIDATES = 200


def _same_people(*, phones: set[str], id_numbers: set[str]) -> Q | None:
    """Petitioners with one of these phones or ID-card numbers; None when there is nobody to look for."""
    phones = {p for p in phones if p}
    id_numbers = {i for i in id_numbers if i}
    if not phones and not id_numbers:
        return None
    people = Q(pk__in=[])
    if phones:
        people |= Q(phone__in=phones)
    if id_numbers:
        people |= Q(id_number__in=id_numbers)
    return people


def _open_petitions_of(*, phones: set[str], id_numbers: set[str]) -> QuerySet[Petition] | None:
    people = _same_people(phones=phones, id_numbers=id_numbers)
    if people is None:
        return None
    petition_ids = Petitioner.objects.filter(people).values("petition_id")
    return Petition.objects.filter(pk__in=petition_ids, status__in=OPEN_STATUSES)


def open_petitions_count(*, phones: set[str], id_numbers: set[str]) -> int:
    """Open petitions (not closed, refused, referred or converted) by anyone with one of these phones or ID numbers.

    Dispute triage's `open_petition` rule fires on a non-zero answer.
    """
    petitions = _open_petitions_of(phones=phones, id_numbers=id_numbers)
    return 0 if petitions is None else petitions.count()


def open_petition_ids(*, phones: set[str], id_numbers: set[str], limit: int) -> tuple[list[int], int]:
    """The ids of those open petitions (newest first, at most `limit`) and how many there are in all.

    Dispute triage keeps the ids on its `open_petition` reason, so that the reason is
    shown only to a reader who may open one of them (`petitions_visible_to`).
    """
    petitions = _open_petitions_of(phones=phones, id_numbers=id_numbers)
    if petitions is None:
        return [], 0
    ids = list(petitions.order_by("-pk").values_list("pk", flat=True)[: limit + 1])
    if len(ids) <= limit:
        return ids, len(ids)
    return ids[:limit], petitions.count()


def open_petitions_for(*, phones: set[str], id_numbers: set[str]) -> tuple[list[int], int]:
    """What dispute triage asks (`disputes.links`): the open petitions' ids, as many as a triage reason keeps."""
    return open_petition_ids(phones=phones, id_numbers=id_numbers, limit=SOURCES_KEPT)


def find_earlier_petition(
    *,
    area_id: int,
    category_id: int,
    matter: str,
    phones: set[str],
    id_numbers: set[str],
    exclude_pk: int | None = None,
) -> Petition | None:
    """重复信访: the most similar earlier petition by the same person on the same matter, or None.

    Same person: a petitioner with one of these ID-card numbers or phones.
    Same matter: the same area and category and a similar text — trigram
    similarity ≥ 0.3 on PostgreSQL (pg_trgm, in the database), difflib's ratio
    ≥ 0.5 on SQLite.
    """
    people = _same_people(phones=phones, id_numbers=id_numbers)
    if people is None:
        return None
    candidates = Petition.objects.filter(
        area_id=area_id,
        category_id=category_id,
        pk__in=Petitioner.objects.filter(people).values("petition_id"),
    )
    if exclude_pk is not None:
        candidates = candidates.exclude(pk=exclude_pk)
    if connection.vendor == "postgresql":
        # Imported here: django.contrib.postgres needs the PostgreSQL driver, absent on a SQLite-only install.
        from django.contrib.postgres.search import TrigramSimilarity

        return (
            candidates.annotate(similarity=TrigramSimilarity("matter", matter))
            .filter(similarity__gte=TRIGRAM_SIMILAR_AT)
            .order_by("-similarity", "-received_on", "-pk")
            .first()
        )
    best: tuple[float, Petition] | None = None
    for petition in candidates.order_by("-received_on", "-pk")[:FALLBACK_CANDIDATES]:
        ratio = SequenceMatcher(None, petition.matter, matter, autojunk=False).ratio()
        if ratio >= DIFFLIB_SIMILAR_AT and (best is None or ratio > best[0]):
            best = (ratio, petition)
    return best[1] if best else None
