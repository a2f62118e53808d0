"""The petition app on the casework kernel: the effects table, the one getter, the bulk sweep, the links."""

from datetime import datetime, timedelta

import pytest
import time_machine

from core.actors import Actor
from core.casework.effects import ALL
from core.exceptions import NotFoundError
from disputes import links
from grids.models import Role
from petitions import rules, services
from petitions.models import PetitionDeadline
from petitions.rules import EFFECTS, TRANSITIONS, DeadlineKind, Status
from petitions.selectors import open_petitions_for, petition_get_for, petitions_visible_to

from .conftest import PETITIONER

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=rules.TZ)


# --- The tables, without the database ----------------------------------------------------------------


def test_the_effects_name_only_actions_of_the_table_and_kinds_of_deadline():
    assert set(EFFECTS) <= set(TRANSITIONS)
    for effect in EFFECTS.values():
        for kinds in (effect.opens, effect.finishes, effect.cancels):
            assert kinds == ALL or set(kinds) <= set(DeadlineKind.values)


def test_every_deadline_kind_is_opened_by_some_action_or_by_registration():
    opened = {kind for kind in DeadlineKind.values if EFFECTS.opened_by(kind)}
    assert opened | {DeadlineKind.DECIDE_ACCEPTANCE} == set(DeadlineKind.values)


def test_an_action_that_ends_the_petition_leaves_no_clock_running():
    for action, transition in TRANSITIONS.items():
        if transition.target in rules.FINAL_STATUSES:
            effect = EFFECTS[action]
            assert not effect.opens
            # Finished or cancelled: everything still open, or the one clock the decision answers.
            assert ALL in (effect.finishes, effect.cancels) or effect.finishes == (DeadlineKind.DECIDE_ACCEPTANCE,)


def test_the_administrator_may_take_every_action():
    assert all(rules.ADMIN in t.roles for t in TRANSITIONS.values())


# --- The services apply the effects table ------------------------------------------------------------------


def open_kinds(petition) -> set[str]:
    return set(PetitionDeadline.objects.open().filter(petition=petition).values_list("kind", flat=True))


def test_the_services_open_and_close_the_clocks_the_effects_table_names(register, clerk, departments, staff_a):
    petition = register()
    assert open_kinds(petition) == {DeadlineKind.DECIDE_ACCEPTANCE}
    petition = services.petition_decide(
        petition=petition, actor=Actor.for_user(clerk), decision="accept", handling_department=departments["a"]
    )
    assert open_kinds(petition) == set(EFFECTS["accept"].opens)
    petition = services.petition_reply(
        petition=petition, actor=Actor.for_user(staff_a[Role.DEPARTMENT_STAFF]), text="已答复。"
    )
    assert open_kinds(petition) == set(EFFECTS["reply"].opens)
    petition = services.petition_transition(petition=petition, action="request_review", actor=Actor.for_user(clerk))
    assert open_kinds(petition) == set(EFFECTS["request_review"].opens)
    cancelled = PetitionDeadline.objects.get(petition=petition, kind=DeadlineKind.CALLBACK)
    assert cancelled.cancelled_at is not None and cancelled.done_at is None
    petition = services.petition_transition(petition=petition, action="close", actor=Actor.for_user(clerk))
    assert petition.status == Status.CLOSED and open_kinds(petition) == set()


# --- The one getter --------------------------------------------------------------------------------------


def test_the_getter_takes_a_tracking_number_a_pk_or_a_petition(register, clerk):
    petition = register()
    for ref in (petition.tracking_number, petition.tracking_number_display, petition.pk, petition):
        assert petition_get_for(clerk, ref).pk == petition.pk
    assert petition_get_for(clerk, petition, lock=True, related=("area",)).pk == petition.pk
    # The platform itself (None) reads any petition.
    assert petition_get_for(None, petition.pk).pk == petition.pk


def test_the_getter_answers_not_found_outside_jurisdiction_as_for_a_missing_number(register, make_staff, tree):
    petition = register()
    outsider = make_staff(Role.DISPATCHER, area=tree.town_b)
    assert not petitions_visible_to(outsider).filter(pk=petition.pk).exists()
    with pytest.raises(NotFoundError) as outside:
        petition_get_for(outsider, petition.tracking_number)
    with pytest.raises(NotFoundError) as missing:
        petition_get_for(outsider, "0000000000000000")
    assert str(outside.value.message) == str(missing.value.message)


# --- The bulk sweep ------------------------------------------------------------------------------------------


def test_the_sweep_writes_a_batch_in_a_fixed_number_of_statements(register, django_assert_max_num_queries):
    with time_machine.travel(NOW, tick=False):
        for i in range(12):
            register(petitioners=[{"name": f"村民{i}", "phone": f"135000000{i:02d}"}], matter=f"事项{i}" * 20)
    with time_machine.travel(NOW + timedelta(days=14), tick=False):
        # List, lock petitions and deadlines, the office's staff (once), events, notifications, rungs.
        with django_assert_max_num_queries(14):
            assert services.petition_deadlines_sweep() == 12
    assert PetitionDeadline.objects.filter(escalation_level=1).count() == 12


# --- Petitions hand disputes their reads ------------------------------------------------------------------


def test_petitions_register_their_reads_with_disputes(register, clerk):
    assert links.petitions_registered()
    petition = register()
    assert open_petitions_for(phones={PETITIONER["phone"]}, id_numbers=set()) == ([petition.pk], 1)
    assert links.open_petitions_for(phones={PETITIONER["phone"]}, id_numbers=set()) == ([petition.pk], 1)
    assert links.petition_ids_visible_to(clerk, [petition.pk]) == {petition.pk}
