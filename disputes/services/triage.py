"""分级: the facts triage reads about a case, triage again on new information, and a person's override.

The rules themselves are pure (`disputes.rules.triage`); this module gathers
their input from the database and stores their answer with its reasons.
"""

from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.actors import Actor
from core.exceptions import ApplicationError, PermissionDeniedError
from disputes import links
from disputes.models import Dispute, Party, TriageKeyword
from disputes.rules import triage as triage_rules
from disputes.rules.enums import Colour, EventKind, Outcome, PartyRole
from disputes.services.casefile import (
    DisputeRef,
    check_handler,
    dispute_pk,
    event_record,
    lock_visible,
    refuse_if_finished,
)
from disputes.services.deadlines import dispatch_clock_retime, dispute_refresh_next_due
from disputes.services.leader import leader_needed_notify
from grids import roles

REPEAT_WINDOW = timedelta(days=365)
_COLOUR_BY_CODE = {c.code: c for c in Colour}
OVERRIDE_ROLES = frozenset({roles.DISPATCHER, roles.SUPERVISOR, roles.ADMIN, roles.MEDIATOR, roles.DEPARTMENT_STAFF})


def triage_keywords() -> dict[str, tuple[str, ...]]:
    """Each kind's words: the built-in list, plus the admin's active rows, minus the words an inactive
    row switches off. (A centre adds its own synonyms without retyping the built-in list.)"""
    added: dict[str, list[str]] = {}
    removed: dict[str, set[str]] = {}
    for kind, word, active in TriageKeyword.objects.values_list("kind", "word", "is_active"):
        if active:
            added.setdefault(kind, []).append(word)
        else:
            removed.setdefault(kind, set()).add(word)
    return {
        kind: tuple(w for w in (*default, *added.get(kind, ())) if w not in removed.get(kind, set()))
        for kind, default in triage_rules.DEFAULT_KEYWORDS.items()
    }


def triage_facts(case: Dispute, *, now: datetime) -> triage_rules.TriageInput:
    """Gather what the triage rules need about a case: its own data and its parties' history."""
    parties = list(case.parties.all())
    phones = {p.phone for p in parties if p.phone}
    applicant_phones = {p.phone for p in parties if p.phone and p.role == PartyRole.APPLICANT}
    other_phones = {p.phone for p in parties if p.phone and p.role != PartyRole.APPLICANT}
    since = now - REPEAT_WINDOW
    earlier = (
        Party.objects.filter(phone__in=phones, dispute__submitted_at__gte=since)
        .exclude(dispute_id=case.pk)
        .values("dispute_id")
    )
    # Each history rule keeps the ids of the records it counted: a reader sees the reason only if
    # they may open one of them (disputes.selectors.TriageReasonFilter).
    same_phone_ids, same_phone = _ids_and_count(Dispute.objects.filter(pk__in=earlier)) if phones else ([], 0)
    same_pair_ids: list[int] = []
    same_pair = 0
    if applicant_phones and other_phones:
        with_applicant = Party.objects.filter(phone__in=applicant_phones).values("dispute_id")
        pair = (
            Party.objects.filter(
                phone__in=other_phones, dispute_id__in=with_applicant, dispute__submitted_at__gte=since
            )
            .exclude(dispute_id=case.pk)
            .values("dispute_id")
        )
        same_pair_ids, same_pair = _ids_and_count(Dispute.objects.filter(pk__in=pair))
    failed_ids, failed = (
        _ids_and_count(Dispute.objects.filter(pk__in=earlier, outcome=Outcome.LITIGATION)) if phones else ([], 0)
    )
    # 信访: petitions are recorded by the petitions app, which registers how to find them (disputes.links).
    petition_ids, petitions = links.open_petitions_for(
        phones=phones, id_numbers={p.id_number for p in parties if p.id_number}
    )
    return triage_rules.TriageInput(
        text=f"{case.description} {case.occurred_place}",
        category_code=case.category.code,
        category_base=case.category.base_colour,
        parties=tuple(
            triage_rules.PartyFacts(
                role=p.role,
                phone=p.phone,
                is_minor=p.is_minor,
                is_elderly=p.is_elderly,
                is_disabled=p.is_disabled,
                is_pregnant=p.is_pregnant,
            )
            for p in parties
        ),
        people_involved=case.people_involved,
        amount=case.amount,
        people_band=case.people_band,
        amount_band=case.amount_band,
        earlier_cases_same_phone=same_phone,
        earlier_cases_same_pair=same_pair,
        open_petitions=petitions,
        failed_mediations=failed,
        keywords=triage_keywords(),
        earlier_case_ids_same_phone=tuple(same_phone_ids),
        earlier_case_ids_same_pair=tuple(same_pair_ids),
        open_petition_ids=tuple(petition_ids),
        failed_mediation_ids=tuple(failed_ids),
    )


def _ids_and_count(cases: QuerySet[Dispute]) -> tuple[list[int], int]:
    """The newest SOURCES_KEPT ids of these cases and how many there are (one query unless there are more)."""
    limit = triage_rules.SOURCES_KEPT
    ids = list(cases.order_by("-pk").values_list("pk", flat=True)[: limit + 1])
    if len(ids) <= limit:
        return ids, len(ids)
    return ids[:limit], cases.count()


def dispute_retriage(*, dispute: DisputeRef, actor: Actor, cause: str) -> Dispute:
    """New information re-runs triage. The colour may rise, never silently drop."""
    with transaction.atomic():
        case = Dispute.objects.select_for_update().select_related("category").get(pk=dispute_pk(dispute))
        now = timezone.now()
        result = triage_rules.triage(triage_facts(case, now=now))
        new_colour = triage_rules.combine(case.colour, result.colour)
        old_colour = case.colour
        reasons: list[dict[str, Any]] = result.reasons_as_dicts()
        # A staff override stays on the list of reasons until a person changes it again.
        reasons += [r for r in case.triage_reasons if r.get("rule") in ("staff_override", "escalated")]
        if new_colour < result.colour:
            # The colour stays above what the rules now find (e.g. a threat edited out of the
            # description): keep the earlier reasons that put it there, so it is still explained.
            reasons += [
                r
                for r in case.triage_reasons
                if r not in reasons and _COLOUR_BY_CODE.get(r.get("colour"), Colour.WHITE) < result.colour
            ]
        case.colour = new_colour
        case.triage_reasons = reasons
        # A case waiting for dispatch waits the new colour's window from its submission.
        if dispatch_clock_retime(dispute=case, old_colour=old_colour, now=now):
            dispute_refresh_next_due(dispute=case)
        case.save(update_fields=["colour", "triage_reasons", "next_due_at", "updated_at"])
        event_record(
            case,
            actor,
            EventKind.TRIAGE,
            now=now,
            data={
                "cause": cause,
                "from_colour": Colour(old_colour).code,
                "colour": Colour(new_colour).code,
                "reasons": reasons,
            },
        )
        if old_colour != Colour.RED:
            leader_needed_notify([case])  # 包案: a case turned red asks for its leader
    return case


def dispute_override_colour(*, dispute: DisputeRef, actor: Actor, colour: int, reason: str) -> Dispute:
    """A person sets the colour, with a reason; the change is an event on the timeline."""
    if not (reason or "").strip():
        raise ApplicationError(
            _("Please give a reason for this action."), code="reason_required", extra={"field": "reason"}
        )
    if colour not in Colour.values:
        raise ApplicationError(_("Unknown colour."), code="unknown_colour", extra={"field": "colour"})
    if actor.role not in OVERRIDE_ROLES:
        raise PermissionDeniedError(_("Your role may not take this action."), code="wrong_role")
    with transaction.atomic():
        case = lock_visible(dispute, actor)
        check_handler(case, actor, "override_colour")
        refuse_if_finished(case)
        old = case.colour
        case.colour = colour
        case.colour_overridden = True
        case.triage_reasons = [
            *[r for r in case.triage_reasons if r.get("rule") != "staff_override"],
            {"rule": "staff_override", "colour": Colour(colour).code, "params": {"reason": reason}},
        ]
        if dispatch_clock_retime(dispute=case, old_colour=old, now=timezone.now()):
            dispute_refresh_next_due(dispute=case)
        case.save(update_fields=["colour", "colour_overridden", "triage_reasons", "next_due_at", "updated_at"])
        event_record(
            case,
            actor,
            EventKind.COLOUR_OVERRIDE,
            reason=reason,
            data={"from_colour": Colour(old).code, "colour": Colour(colour).code},
        )
        if old != Colour.RED:
            leader_needed_notify([case])  # 包案: a case turned red asks for its leader
    return case
