"""Reads about petitions with a rule in them. Every staff query starts from `petitions_visible_to`."""

from difflib import SequenceMatcher

from django.db import connection
from django.db.models import F, FilteredRelation, Prefetch, Q, QuerySet

from core.actors import Actor
from grids.models import Role
from petitions.models import Petition, PetitionCallbackAttempt, PetitionDeadline, Petitioner
from petitions.rules import OPEN_STATUSES, DeadlineKind, Status

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


def user_works_petition(user, petition: Petition) -> bool:
    """Whether `user` works this petition, and so may see its petitioners' phone, ID and address in clear.

    - an administrator (or a superuser without a profile);
    - the leader in charge (包案领导) when they have an account;
    - the staff of the receiving office (the petitions bureau that registered it)
      and of the handling department;
    - a dispatcher or supervisor whose area covers the petition's area;
    - a callback caller whose area covers it, once the written reply is given (they phone the petitioner).

    Everyone else who can see it (a mediator or another department's staff in the
    same area, a caller before the reply) sees the petitioners masked.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if petition.leader_user_id is not None and petition.leader_user_id == user.pk:
        return True
    profile = _staff_profile(user)
    if profile is None:
        return bool(user.is_superuser)
    if profile.role == Role.ADMIN or user.is_superuser:
        return True
    if profile.department_id and profile.department_id in (
        petition.receiving_office_id,
        petition.handling_department_id,
    ):
        return True
    covers = petition.area_path.startswith(profile.area.path)
    if profile.role in (Role.DISPATCHER, Role.SUPERVISOR):
        return covers
    if profile.role == Role.CALLBACK_CALLER:
        return covers and petition.replied_at is not None
    return False


def petition_callback_queue(user) -> QuerySet[Petition]:
    """回访: replied petitions awaiting their satisfaction callback that this user may call, the oldest due first.

    Joined to the one open CALLBACK deadline (`callback_due`); each row carries
    its petitioners and this round's attempts.
    """
    from disputes.callbacks import CALLBACK_ROLES

    if user is None or not user.is_authenticated or not user.is_active:
        return Petition.objects.none()
    if Actor.for_user(user).role not in CALLBACK_ROLES:
        return Petition.objects.none()
    open_callback = Q(
        deadlines__kind=DeadlineKind.CALLBACK, deadlines__done_at__isnull=True, deadlines__cancelled_at__isnull=True
    )
    return (
        petitions_visible_to(user)
        .filter(status=Status.REPLIED)
        .annotate(callback=FilteredRelation("deadlines", condition=open_callback))
        .filter(callback__due_at__isnull=False)
        .annotate(callback_due=F("callback__due_at"))
        .select_related("category", "area", "handling_department")
        .prefetch_related(
            Prefetch("petitioners", queryset=Petitioner.objects.order_by("pk")),
            Prefetch(
                "callback_attempts",
                queryset=PetitionCallbackAttempt.objects.select_related("caller").order_by("at", "pk"),
                to_attr="all_attempts",
            ),
        )
        .order_by("callback_due", "pk")
    )


def petition_callback_due(petition: Petition):
    """The open callback deadline's due moment, or None."""
    return (
        PetitionDeadline.objects.open()
        .filter(petition=petition, kind=DeadlineKind.CALLBACK)
        .values_list("due_at", flat=True)
        .first()
    )


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


def _open_petitions_of(*, phones: set[str], id_numbers: set[str]) -> QuerySet[Petition] | None:
    phones = {p for p in phones if p}
    id_numbers = {i for i in id_numbers if i}
    if not phones and not id_numbers:
        return None
    people = Q(pk__in=[])
    if phones:
        people |= Q(phone__in=phones)
    if id_numbers:
        people |= Q(id_number__in=id_numbers)
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
