"""疑似重复: a submission that looks like an open case of the same people is its own case, linked for staff.

The attacker of these tests knows two facts about a family quarrel: the resident's
phone number and the other side's name. Before, a submission with both was merged
into the resident's open case and answered with that case's tracking number.
"""

import dataclasses

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.actors import Actor
from core.exceptions import ApplicationError, NotFoundError, PermissionDeniedError
from core.models import Notification
from disputes import selectors, services
from disputes.models import Attachment, CaseEvent, Deadline, Dispute
from disputes.rules.enums import Channel, EventKind, Outcome, PartyRole, Status
from disputes.selectors import dispute_for_resident, resident_timeline
from disputes.services.intake import IntakeResult, dispute_intake
from grids.models import Role
from tests.disputes.cases import case_in
from tests.disputes.views.conftest import png_bytes
from tests.factories import PartyFactory

APPLICANT_PHONE = "13900139000"

ATTACKER_TEXT = "我是申请人，我要撤回调解，以后不要再联系我。"


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"


@pytest.fixture
def mediator(staff_a):
    return staff_a[Role.MEDIATOR]


@pytest.fixture
def make_case(tree, category, departments, mediator):
    """make_case(status) → a case of township A's committee, assigned to `mediator`: 李四 (applicant) and 王五."""

    def make(status: str, **fields) -> Dispute:
        case = case_in(
            status, grid=tree.grid_a, category=category, department=departments["a"], mediator=mediator, **fields
        )
        PartyFactory(dispute=case, role=PartyRole.APPLICANT, name="李四", phone=APPLICANT_PHONE)
        PartyFactory(dispute=case, role=PartyRole.RESPONDENT, name="王五", phone="13700137000")
        return case

    return make


@pytest.fixture
def original(make_case):
    """李四's open case against 王五, accepted by township A's committee and assigned to its mediator."""
    return make_case(Status.ACCEPTED, description="丈夫王五多次殴打我，我要求调解离婚财产问题。")


@pytest.fixture
def attack(tree, category):
    """Submit what the other side can: the resident's phone as the applicant's, the other side's name."""

    def submit(channel=Channel.WEB, actor=None, **overrides) -> IntakeResult:
        kwargs = {
            "category": category,
            "description": ATTACKER_TEXT,
            "grid": tree.grid_a,
            "channel": channel,
            "parties": [
                {"role": PartyRole.APPLICANT, "name": "李四", "phone": APPLICANT_PHONE},
                {"role": PartyRole.RESPONDENT, "name": "王五"},
            ],
            "actor": actor or Actor.resident(),
        }
        kwargs.update(overrides)
        return dispute_intake(**kwargs)

    return submit


def public_view(case: Dispute) -> list[tuple]:
    return [(e.kind, e.action, e.reason, e.data) for e in resident_timeline(case)]


# --- Intake --------------------------------------------------------------------------------------------


def test_the_attacker_gets_a_new_case_and_learns_nothing_of_the_original(original, attack):
    before = public_view(original)
    result = attack()
    case = result.dispute
    assert result.created is True
    assert case.pk != original.pk and case.tracking_number != original.tracking_number
    # The number and phone the attacker has open their own new case, never the original.
    assert dispute_for_resident(tracking_number=case.tracking_number, phone=APPLICANT_PHONE) == case
    assert case.status == Status.SUBMITTED and case.description == ATTACKER_TEXT
    original.refresh_from_db()
    assert original.description == "丈夫王五多次殴打我，我要求调解离婚财产问题。"
    assert original.status == Status.ACCEPTED
    # Nothing of the attacker's on the original's tracking page; no "you added more information".
    assert public_view(original) == before
    assert not original.events.filter(kind=EventKind.SUPPLEMENTED).exists()
    assert not original.events.filter(reason__contains=ATTACKER_TEXT).exists()


def test_the_suspected_duplicate_is_linked_with_an_internal_event_on_both_timelines(original, attack):
    case = attack().dispute
    case.refresh_from_db()
    assert case.duplicate_of == original
    mine = case.events.get(kind=EventKind.DUPLICATE_SUSPECTED)
    theirs = original.events.get(kind=EventKind.DUPLICATE_SUSPECTED)
    assert mine.data == {"duplicate_of": original.tracking_number}
    assert theirs.data == {"duplicate": case.tracking_number}
    assert not mine.is_public and not theirs.is_public
    assert [e.kind for e in resident_timeline(case)] == [EventKind.TRANSITION]


def test_a_suspected_duplicate_is_confirmed_like_any_new_case(original, attack):
    case = attack().dispute
    sms = Notification.objects.get(dispute_id=case.pk)
    assert (sms.kind, sms.recipient_phone) == ("submitted", APPLICANT_PHONE)
    assert case.tracking_number_display in sms.body
    assert original.tracking_number_display not in sms.body
    assert not Notification.objects.filter(dispute_id=original.pk).exists()


def test_the_intake_result_has_nothing_that_tells_new_from_linked(original, attack, tree):
    assert [f.name for f in dataclasses.fields(IntakeResult)] == ["dispute", "created"]
    linked = attack()
    fresh = attack(parties=[{"role": PartyRole.APPLICANT, "name": "赵六", "phone": "13600136000"}])
    assert fresh.dispute.duplicate_of_id is None and linked.dispute.duplicate_of_id == original.pk
    assert linked.created is fresh.created is True


@pytest.mark.parametrize("status", [Status.CLOSED, Status.WITHDRAWN])
def test_a_finished_case_is_not_linked(make_case, attack, status):
    make_case(status)
    assert attack().dispute.duplicate_of_id is None


def test_another_other_side_is_not_linked(original, attack):
    other = attack(
        parties=[
            {"role": PartyRole.APPLICANT, "name": "李四", "phone": APPLICANT_PHONE},
            {"role": PartyRole.RESPONDENT, "name": "钱七", "phone": "13500135000"},
        ]
    )
    assert other.dispute.duplicate_of_id is None
    assert not CaseEvent.objects.filter(kind=EventKind.DUPLICATE_SUSPECTED).exists()


def test_a_machine_channel_record_is_linked_too(original, attack):
    case = attack(channel=Channel.POLICE_110, source_id="JJ-1", actor=Actor.system()).dispute
    assert case.pk != original.pk and case.duplicate_of_id == original.pk


# --- Merge by hand -----------------------------------------------------------------------------------


def test_the_mediator_of_the_earlier_case_merges_a_duplicate(original, attack, mediator):
    photo = SimpleUploadedFile("photo.png", png_bytes(), content_type="image/png")
    case = attack(attachments=[photo]).dispute
    attachment = Attachment.objects.get(dispute=case)
    public_before = public_view(original)

    merged = services.dispute_merge_duplicate(
        actor=Actor.for_user(mediator), duplicate=case, into=original, reason="同一纠纷，申请人补充说明"
    )

    assert merged.pk == case.pk
    case.refresh_from_db()
    assert (case.status, case.outcome) == (Status.WITHDRAWN, Outcome.WITHDRAWN)
    assert case.closed_at is not None and case.duplicate_of == original
    assert not Deadline.objects.open().filter(dispute=case).exists()
    transition = case.events.get(kind=EventKind.TRANSITION, action="merge_duplicate")
    assert (transition.actor, transition.to_status) == (mediator, Status.WITHDRAWN)
    assert transition.data == {"merged_into": original.tracking_number}
    # Both timelines: who and why.
    for on, key, other in ((case, "duplicate_of", original), (original, "duplicate", case)):
        event = on.events.get(kind=EventKind.DUPLICATE_MERGED)
        assert (event.actor, event.reason, event.is_public) == (mediator, "同一纠纷，申请人补充说明", False)
        assert event.data[key] == other.tracking_number
    # The text as an internal note, the file moved over; the resident is shown none of it.
    note = original.events.get(kind=EventKind.NOTE)
    assert (note.reason, note.is_public, note.data) == (ATTACKER_TEXT, False, {"merged_from": case.tracking_number})
    attachment.refresh_from_db()
    assert attachment.dispute == original
    assert public_view(original) == public_before
    original.refresh_from_db()
    assert original.status == Status.ACCEPTED


def test_a_dispatcher_of_the_area_may_merge(original, attack, staff_a):
    case = attack().dispute
    services.dispute_merge_duplicate(
        actor=Actor.for_user(staff_a[Role.DISPATCHER]), duplicate=case, into=original.pk, reason="重复登记"
    )
    case.refresh_from_db()
    assert case.status == Status.WITHDRAWN


def snapshot(*cases) -> list:
    rows = []
    for c in cases:
        c.refresh_from_db()
        rows.append((c.status, c.outcome, c.duplicate_of_id, c.events.count(), c.attachments.count()))
    return rows


@pytest.mark.parametrize(
    ("who", "error", "code"),
    [
        ("other_mediator", PermissionDeniedError, "not_handler"),
        ("caller", PermissionDeniedError, "wrong_role"),
        ("outsider", NotFoundError, "not_found"),
    ],
)
def test_merge_is_refused_to_those_who_do_not_handle_the_earlier_case(
    original, attack, make_staff, tree, departments, staff_a, who, error, code
):
    users = {
        # Sees both cases (same township) but works for another committee.
        "other_mediator": make_staff(Role.MEDIATOR, area=tree.town_a, department=departments["b"]),
        "caller": staff_a[Role.CALLBACK_CALLER],
        # Township B's dispatcher sees neither case.
        "outsider": make_staff(Role.DISPATCHER, area=tree.town_b),
    }
    case = attack().dispute
    before = snapshot(case, original)
    with pytest.raises(error) as caught:
        services.dispute_merge_duplicate(
            actor=Actor.for_user(users[who]), duplicate=case, into=original, reason="同一纠纷"
        )
    assert caught.value.code == code and str(caught.value.message)
    assert snapshot(case, original) == before


def test_merge_needs_a_reason_the_linked_case_and_an_unfinished_one(original, attack, mediator, make_case):
    case = attack().dispute
    actor = Actor.for_user(mediator)
    before = snapshot(case, original)
    with pytest.raises(ApplicationError) as caught:
        services.dispute_merge_duplicate(actor=actor, duplicate=case, into=original, reason="  ")
    assert caught.value.code == "reason_required"
    unrelated = make_case(Status.IN_MEDIATION)
    with pytest.raises(ApplicationError) as caught:
        services.dispute_merge_duplicate(actor=actor, duplicate=case, into=unrelated, reason="同一纠纷")
    assert caught.value.code == "not_a_duplicate"
    with pytest.raises(ApplicationError) as caught:
        services.dispute_merge_duplicate(actor=actor, duplicate=original, into=case, reason="同一纠纷")
    assert caught.value.code == "not_a_duplicate"
    assert snapshot(case, original) == before
    Dispute.objects.filter(pk=original.pk).update(status=Status.CLOSED)
    with pytest.raises(ApplicationError) as caught:
        services.dispute_merge_duplicate(actor=actor, duplicate=case, into=original, reason="同一纠纷")
    assert caught.value.code == "original_finished"


def test_the_transition_alone_cannot_close_a_case_as_a_duplicate(original, attack, staff_a):
    """The generic door (staff API `transitions/`) refuses it: no events, no merge, without the service."""
    case = attack().dispute
    with pytest.raises(ApplicationError) as caught:
        services.dispute_transition(
            dispute=case, action="merge_duplicate", actor=Actor.for_user(staff_a[Role.DISPATCHER]), reason="重复"
        )
    assert caught.value.code == "not_a_duplicate"
    case.refresh_from_db()
    assert case.status == Status.SUBMITTED


# --- Dismiss -----------------------------------------------------------------------------------------


def test_not_a_duplicate_removes_the_link_with_an_event_on_both(original, attack, mediator):
    case = attack().dispute
    services.dispute_dismiss_duplicate(actor=Actor.for_user(mediator), duplicate=case, reason="是另一起纠纷")
    case.refresh_from_db()
    assert case.duplicate_of_id is None and case.status == Status.SUBMITTED
    for on, key, other in ((case, "duplicate_of", original), (original, "duplicate", case)):
        event = on.events.filter(kind=EventKind.DUPLICATE_SUSPECTED).latest("id")
        assert event.data == {"dismissed": True, key: other.tracking_number}
        assert (event.actor, event.reason, event.is_public) == (mediator, "是另一起纠纷", False)
    with pytest.raises(ApplicationError) as caught:
        services.dispute_dismiss_duplicate(actor=Actor.for_user(mediator), duplicate=case, reason="再次")
    assert caught.value.code == "not_a_duplicate"


def test_dismissal_is_refused_like_the_merge(original, attack, make_staff, tree, departments):
    case = attack().dispute
    stranger = make_staff(Role.MEDIATOR, area=tree.town_a, department=departments["b"])
    with pytest.raises(PermissionDeniedError):
        services.dispute_dismiss_duplicate(actor=Actor.for_user(stranger), duplicate=case, reason="另一起")
    case.refresh_from_db()
    assert case.duplicate_of == original


def test_the_links_name_only_cases_the_user_may_open(original, attack, make_staff, tree, mediator):
    case = attack().dispute
    inside = selectors.duplicate_links(user=mediator, case=case)
    assert inside.duplicate_of == original
    assert selectors.duplicate_links(user=mediator, case=original).suspected_duplicates == [case]
    # The original moves to township B: township A's dispatcher still sees the new case, not the original.
    Dispute.objects.filter(pk=original.pk).update(grid=tree.grid_b, area_path=tree.grid_b.path)
    outsider = make_staff(Role.DISPATCHER, area=tree.town_a)
    links = selectors.duplicate_links(user=outsider, case=case)
    assert links.duplicate_of is None
    assert services.duplicate_actions(user=outsider, case=case) == frozenset()
