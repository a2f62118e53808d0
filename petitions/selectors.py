"""Reads about petitions with a rule in them. Every staff query starts from `petitions_visible_to`."""

from difflib import SequenceMatcher

from django.db import connection
from django.db.models import F, Q, QuerySet

from grids.models import Role
from petitions.models import Petition, Petitioner
from petitions.rules import OPEN_STATUSES

# Trigram similarity (pg_trgm) and difflib's ratio measure differently: difflib
# scores two unrelated Chinese sentences of the same length around 0.2-0.4 from
# shared function characters alone, so its threshold is higher.
TRIGRAM_SIMILAR_AT = 0.3
DIFFLIB_SIMILAR_AT = 0.5
# Candidates compared in Python on SQLite (same people, area and category: few).
_FALLBACK_CANDIDATES = 200


def _staff_profile(user):
    if user is None or not user.is_authenticated:
        return None
    return getattr(user, "staff", None)


def petitions_visible_to(user) -> QuerySet[Petition]:
    """Petitions this user may list, read and act on (mirrors `disputes_visible_to`).

    Admins and superusers see all; other staff see petitions in their area and
    below, and those received by or assigned to their department.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return Petition.objects.none()
    profile = _staff_profile(user)
    if profile is None:
        return Petition.objects.all() if user.is_superuser else Petition.objects.none()
    if profile.role == Role.ADMIN or user.is_superuser:
        return Petition.objects.all()
    visible = Q(area_path__startswith=profile.area.path)
    if profile.department_id:
        visible |= Q(receiving_office_id=profile.department_id) | Q(handling_department_id=profile.department_id)
    return Petition.objects.filter(visible)


def petition_list_for(user) -> QuerySet[Petition]:
    """The staff list: open petitions first, nearest deadline first; finished ones after, newest first."""
    return (
        petitions_visible_to(user)
        .select_related("category", "area", "handling_department")
        .order_by(
            F("closed_at").desc(nulls_first=True),
            F("next_due_at").asc(nulls_last=True),
            "-received_on",
            "-pk",
        )
    )


def open_petitions_count(*, phones: set[str], id_numbers: set[str]) -> int:
    """Open petitions (not closed, refused, referred or converted) by anyone with one of these phones or ID numbers.

    Dispute triage's `open_petition` rule fires on a non-zero answer.
    """
    phones = {p for p in phones if p}
    id_numbers = {i for i in id_numbers if i}
    if not phones and not id_numbers:
        return 0
    people = Q(pk__in=[])
    if phones:
        people |= Q(phone__in=phones)
    if id_numbers:
        people |= Q(id_number__in=id_numbers)
    petition_ids = Petitioner.objects.filter(people).values("petition_id")
    return Petition.objects.filter(pk__in=petition_ids, status__in=OPEN_STATUSES).count()


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
    phones = {p for p in phones if p}
    id_numbers = {i for i in id_numbers if i}
    if not phones and not id_numbers:
        return None
    people = Q(pk__in=[])
    if phones:
        people |= Q(phone__in=phones)
    if id_numbers:
        people |= Q(id_number__in=id_numbers)
    candidates = Petition.objects.filter(
        area_id=area_id,
        category_id=category_id,
        pk__in=Petitioner.objects.filter(people).values("petition_id"),
    )
    if exclude_pk is not None:
        candidates = candidates.exclude(pk=exclude_pk)
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import TrigramSimilarity

        return (
            candidates.annotate(similarity=TrigramSimilarity("matter", matter))
            .filter(similarity__gte=TRIGRAM_SIMILAR_AT)
            .order_by("-similarity", "-received_on", "-pk")
            .first()
        )
    best: tuple[float, Petition] | None = None
    for petition in candidates.order_by("-received_on", "-pk")[:_FALLBACK_CANDIDATES]:
        ratio = SequenceMatcher(None, petition.matter, matter, autojunk=False).ratio()
        if ratio >= DIFFLIB_SIMILAR_AT and (best is None or ratio > best[0]):
            best = (ratio, petition)
    return best[1] if best else None
