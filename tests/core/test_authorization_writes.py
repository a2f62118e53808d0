"""The authorisation matrix for writes (写操作权限矩阵): every staff write × every kind of user × inside/outside.

The read matrix (test_authorization_matrix.py) sends each POST endpoint an empty
body, so it proves who is let past the door but not who may do the thing. Here
each staff write — every action of the staff API and every action of the case
page — is sent a valid body on a fresh case in the state the action needs, once
per kind of user and per place (a case of township A, where the staff work, and
one of township B). Who may do it gets the action's own answer and something is
stored; everyone else is refused with 403 or 404 (an anonymous page visitor is
sent to sign in) and nothing is stored: not the case, its events, parties,
deadlines, agreement, sessions, assisting departments or callback attempts.

The checks are the services' (the API and the pages are thin), so this is also
the proof that the API and the pages refuse the same people.
`test_every_staff_write_has_a_row` fails when a POST endpoint or a case-page
action has no row here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from disputes.models import (
    Agreement,
    AgreementVersion,
    CallbackAttempt,
    CaseEvent,
    Deadline,
    Dispute,
    DisputeAssist,
    JudicialConfirmation,
    MediationSession,
    Party,
    WithdrawalRequest,
)
from disputes.rules.enums import DeadlineKind, PartyRole, Status
from disputes.staff.actions import PAGE_ACTIONS as ACTIONS
from grids.models import Role
from tests.core.test_authorization_matrix import ANON, DECISIONS, RESIDENT, ROLES, SUPERUSER, status_class, url_patterns
from tests.disputes.cases import case_in, with_agreement
from tests.factories import DepartmentFactory, PartyFactory, StaffFactory, UserFactory

M, DS, D, C, S, A = (
    Role.MEDIATOR.value,
    Role.DEPARTMENT_STAFF.value,
    Role.DISPATCHER.value,
    Role.CALLBACK_CALLER.value,
    Role.SUPERVISOR.value,
    Role.ADMIN.value,
)
# Administrators and superusers see every case: outside township A they may do what they may do inside it.
SEES_ALL = {A, SUPERUSER}
HANDLERS = {M, DS, A, SUPERUSER}  # the case's own mediator and its lead department's staff (and administrators)
CASE_STAFF = HANDLERS | {D, S}  # ... and the dispatchers and supervisors of its area
EVERY_STAFF = CASE_STAFF | {C}
DISPATCH = {D, S, A, SUPERUSER}
CALLERS = {C, S, A, SUPERUSER}
ADMINS = {A, SUPERUSER}
DECIDERS = {S, A, SUPERUSER}  # 撤回: a supervisor of the case's area, administrators

TRANSITIONS = "api/v1/cases/<str:tracking_number>/transitions/"
PAGE_ACTION = "work/case/<str:tracking_number>/do/<slug:action>/"
REASON = "当事人要求"


@dataclass(frozen=True)
class Write:
    """One write: where it is posted, the case's status before it, who may do it and a valid body."""

    route: str
    status: str
    allowed: frozenset[str]
    body: dict | Callable[[WriteWorld], dict] = field(default_factory=dict)
    action: str = ""  # the case page's action (the URL's <action>)
    method: str = "POST"
    ok: str = "200"
    # The door checks the role before it looks for the case (no 404 for a role that may never do it).
    role_first: bool = False
    paused: bool = False  # the case's clock is paused before the request
    duplicate: bool = False  # the case is linked as a possible duplicate of an earlier case of the same place
    # 参照起草: the URL names a closed case with an agreement in the same grid (disputes.similar).
    similar_source: bool = False
    withdrawal_pending: bool = False  # 撤回: the applicant's request awaits the supervisor
    # 协议版本 / 司法确认: the case's agreement is a "draft", "signed" (version 1, in effect since the report-back),
    # or "judicial" (signed, and an application awaits the court).
    agreement: str = ""

    @property
    def is_api(self) -> bool:
        return self.route.startswith("api/")

    def expected(self, role: str, where: str) -> tuple[str, ...]:
        """The acceptable answers of one cell."""
        if role == ANON:
            return ("403",) if self.is_api else ("302L",)
        if role in self.allowed and (where == "in" or role in SEES_ALL):
            return (self.ok,)
        if role == RESIDENT:
            return ("403",) if self.role_first else ("404",)
        if self.role_first and role not in self.allowed:
            return ("403",)
        return ("404",) if where == "out" and role not in SEES_ALL else ("403",)


def _held_at_iso(world: WriteWorld) -> dict:
    return {
        "held_at": (timezone.now() - timedelta(hours=1)).isoformat(),
        "place": "调解室",
        "attendees": "李四、王五",
    }


def _conversion_page(world: WriteWorld) -> dict:
    today = timezone.localdate().isoformat()
    return {
        "kind": "criminal",
        "police_case_number": "A3301062026120001",
        "occurred_on": today,
        "reported_on": today,
        "summary": "纠纷升级为故意伤害案件",
    }


def _held_at_page(world: WriteWorld) -> dict:
    held = timezone.localtime() - timedelta(hours=1)
    return {
        "session-held_at": held.strftime("%Y-%m-%dT%H:%M"),
        "session-place": "调解室",
        "session-attendees": "李四、王五",
    }


AGREEMENT = {
    "facts": "楼上住户卫生间漏水，导致楼下天花板发霉。",
    "points_in_dispute": "维修费用由谁承担。",
    "terms": "王五承担维修费用人民币两千元。",
    "performance_method": "一次性现金支付。",
}


def _transition(action: str, status: str, allowed: set[str], **body) -> tuple[str, Write]:
    return f"api:transition:{action}", Write(TRANSITIONS, status, frozenset(allowed), {"action": action, **body})


def _page(action: str, status: str, allowed: set[str], body=None, **kw) -> tuple[str, Write]:
    return f"page:{action}", Write(PAGE_ACTION, status, frozenset(allowed), body or {}, action=action, ok="303", **kw)


def _county(world: WriteWorld) -> int:
    return world.county_department.pk


COURT = "南昌市东湖区人民法院"
RULING = "(2026)赣0103民特123号"


def _today() -> str:
    return timezone.localdate().isoformat()


def _agreement_state(case: Dispute, state: str) -> None:
    """The agreement a write on it needs (Write.agreement)."""
    agreement = Agreement.objects.filter(dispute=case).first() or with_agreement(case)
    if state == "draft":
        return
    day = timezone.localdate(case.reported_at or timezone.now())
    text = {name: getattr(agreement, name) for name in ("facts", "points_in_dispute", "terms", "performance_method")}
    version = AgreementVersion.objects.create(
        agreement=agreement,
        version=1,
        frozen_at=timezone.now(),
        frozen_by="reported",
        signed_on=day,
        effective_on=day,
        **text,
    )
    Agreement.objects.filter(pk=agreement.pk).update(signed_version=version)
    if state == "judicial":
        JudicialConfirmation.objects.create(
            dispute=case, agreement_version=version, applied_on=day, court=COURT, area_path=case.area_path
        )


ORDER_ISSUERS = {S, A, SUPERUSER}  # 督办单: the supervisors of the case's area, and administrators
LEADERS = {S, A, SUPERUSER}  # 包案: the supervisors of the case's area, and administrators


def _county_leader(world: WriteWorld) -> int:
    """A supervisor of the county: in the area chain of a case of either township, so a valid 包案领导."""
    user = UserFactory(username="county-leader")
    if not hasattr(user, "staff"):
        StaffFactory(user=user, role=Role.SUPERVISOR, area=world.tree.county)
    return user.pk


WRITES: dict[str, Write] = dict(
    [
        # --- The staff API: the closed loop's transitions (one door, dispute_transition) ---------------
        _transition("triage", Status.SUBMITTED, DISPATCH),
        (
            "api:transition:dispatch",
            Write(
                TRANSITIONS,
                Status.TRIAGED,
                frozenset(DISPATCH),
                lambda w: {"action": "dispatch", "department": _county(w)},
            ),
        ),
        _transition("accept", Status.DISPATCHED, HANDLERS),
        _transition("return", Status.DISPATCHED, HANDLERS, reason=REASON),
        (
            "api:transition:transfer",
            Write(
                TRANSITIONS,
                Status.ACCEPTED,
                frozenset(CASE_STAFF),
                lambda w: {"action": "transfer", "department": _county(w), "reason": REASON},
            ),
        ),
        _transition("start_mediation", Status.ACCEPTED, HANDLERS),
        _transition("report_back", Status.IN_MEDIATION, HANDLERS, outcome="resolved_otherwise"),
        _transition("await_callback", Status.REPORTED, ADMINS),
        _transition("close", Status.AWAITING_CALLBACK, CALLERS),
        _transition("reopen", Status.AWAITING_CALLBACK, CALLERS, reason=REASON),
        _transition("resume", Status.REOPENED, HANDLERS),
        # 撤回: nobody withdraws directly (withdrawal_needs_approval); the request and its approval below.
        _transition("withdraw", Status.ACCEPTED, set(), reason=REASON),
        (
            "api:withdrawal",
            Write(
                "api/v1/cases/<str:tracking_number>/withdrawal/",
                Status.ACCEPTED,
                frozenset(CASE_STAFF),
                {"via": "phone", "reason": REASON},
                ok="201",
            ),
        ),
        (
            "api:withdrawal:decision",
            Write(
                "api/v1/cases/<str:tracking_number>/withdrawal/decision/",
                Status.ACCEPTED,
                frozenset(DECIDERS),
                {"decision": "approve"},
                withdrawal_pending=True,
            ),
        ),
        # --- The staff API: the other actions on a case ---------------------------------------------------
        (
            "api:leader",
            Write(
                "api/v1/cases/<str:tracking_number>/leader/",
                Status.ACCEPTED,
                frozenset(LEADERS),
                lambda w: {"leader": _county_leader(w)},
            ),
        ),
        # 督办单: a supervisor of the case's area (or an administrator) orders the county's bureau (serving both).
        (
            "api:order",
            Write(
                "api/v1/cases/<str:tracking_number>/orders/",
                Status.ACCEPTED,
                frozenset(ORDER_ISSUERS),
                lambda w: {"to_department": _county(w), "reason": REASON},
                ok="201",
            ),
        ),
        (
            "api:colour",
            Write(
                "api/v1/cases/<str:tracking_number>/colour/",
                Status.ACCEPTED,
                frozenset(CASE_STAFF),
                {"colour": "red", "reason": REASON},
            ),
        ),
        (
            "api:assistance",
            Write(
                "api/v1/cases/<str:tracking_number>/assistance/",
                Status.ACCEPTED,
                frozenset(CASE_STAFF),
                lambda w: {"department": _county(w), "reason": REASON},
            ),
        ),
        (
            "api:description",
            Write(
                "api/v1/cases/<str:tracking_number>/description/",
                Status.ACCEPTED,
                frozenset(CASE_STAFF),
                {"description": "对方说要砍死我全家。"},
            ),
        ),
        (
            "api:notes",
            Write(
                "api/v1/cases/<str:tracking_number>/notes/",
                Status.ACCEPTED,
                frozenset(EVERY_STAFF),
                {"text": "已电话联系"},
            ),
        ),
        (
            "api:clock:pause",
            Write(
                "api/v1/cases/<str:tracking_number>/clock/",
                Status.ACCEPTED,
                frozenset(CASE_STAFF),
                {"action": "pause", "reason": "等待伤情鉴定"},
            ),
        ),
        (
            "api:clock:resume",
            Write(
                "api/v1/cases/<str:tracking_number>/clock/",
                Status.ACCEPTED,
                frozenset(CASE_STAFF),
                {"action": "resume"},
                paused=True,
            ),
        ),
        (
            "api:parties",
            Write(
                "api/v1/cases/<str:tracking_number>/parties/",
                Status.ACCEPTED,
                frozenset(CASE_STAFF),
                {"role": "respondent", "name": "王五", "phone": "13700137000"},
            ),
        ),
        (
            "api:parties:applicant",
            Write(
                "api/v1/cases/<str:tracking_number>/parties/",
                Status.ACCEPTED,
                frozenset(CASE_STAFF),
                {"role": "applicant", "name": "李梅", "phone": "13500135000", "reason": "申请人的配偶，共同申请"},
            ),
        ),
        (
            "api:scale",
            Write(
                "api/v1/cases/<str:tracking_number>/scale/",
                Status.ACCEPTED,
                frozenset(CASE_STAFF),
                {"people_band": "10-29", "amount": "280000"},
            ),
        ),
        (
            "api:sessions",
            Write(
                "api/v1/cases/<str:tracking_number>/sessions/",
                Status.ACCEPTED,
                frozenset(HANDLERS),
                _held_at_iso,
                ok="201",
            ),
        ),
        (
            "api:agreement",
            Write(
                "api/v1/cases/<str:tracking_number>/agreement/",
                Status.IN_MEDIATION,
                frozenset(HANDLERS),
                AGREEMENT,
                method="PUT",
                ok="201",
            ),
        ),
        (
            "api:agreement:performance",
            Write(
                "api/v1/cases/<str:tracking_number>/agreement/performance/",
                Status.AWAITING_CALLBACK,
                frozenset(HANDLERS),
                {"performance": "performed"},
            ),
        ),
        (
            "api:agreement:print",
            Write(
                "api/v1/cases/<str:tracking_number>/agreement/print/",
                Status.IN_MEDIATION,
                frozenset(HANDLERS),
                agreement="draft",
            ),
        ),
        (
            "api:agreement:sign",
            Write(
                "api/v1/cases/<str:tracking_number>/agreement/sign/",
                Status.IN_MEDIATION,
                frozenset(HANDLERS),
                lambda w: {"signed_on": _today()},
                agreement="draft",
            ),
        ),
        (
            "api:judicial",
            Write(
                "api/v1/cases/<str:tracking_number>/judicial/",
                Status.AWAITING_CALLBACK,
                frozenset(HANDLERS),
                lambda w: {"applied_on": _today(), "court": COURT},
                ok="201",
                agreement="signed",
            ),
        ),
        (
            "api:judicial:decision",
            Write(
                "api/v1/cases/<str:tracking_number>/judicial/decision/",
                Status.AWAITING_CALLBACK,
                frozenset(HANDLERS),
                lambda w: {"result": "confirmed", "ruling_number": RULING, "decided_on": _today()},
                agreement="judicial",
            ),
        ),
        (
            "api:duplicates:merge",
            Write(
                "api/v1/cases/<str:tracking_number>/duplicates/",
                Status.DISPATCHED,
                frozenset(CASE_STAFF),
                {"action": "merge", "reason": REASON},
                duplicate=True,
            ),
        ),
        (
            "api:duplicates:dismiss",
            Write(
                "api/v1/cases/<str:tracking_number>/duplicates/",
                Status.DISPATCHED,
                frozenset(CASE_STAFF),
                {"action": "dismiss", "reason": REASON},
                duplicate=True,
            ),
        ),
        (
            "api:callback-attempt",
            Write(
                "api/v1/callbacks/<str:tracking_number>/attempts/",
                Status.AWAITING_CALLBACK,
                frozenset(CALLERS),
                {"reached": False},
                ok="201",
                role_first=True,
            ),
        ),
        # --- The case page: each action's form, valid -----------------------------------------------------------
        _page("accept", Status.DISPATCHED, HANDLERS),
        _page("start_mediation", Status.ACCEPTED, HANDLERS),
        _page("resume", Status.REOPENED, HANDLERS),
        _page("session", Status.ACCEPTED, HANDLERS, _held_at_page),
        _page("agreement", Status.IN_MEDIATION, HANDLERS, {f"agreement-{k}": v for k, v in AGREEMENT.items()}),
        _page(
            "report_back",
            Status.IN_MEDIATION,
            HANDLERS,
            {"report_back-outcome": "resolved_otherwise", "report_back-reason": "双方和解"},
        ),
        _page("performance", Status.AWAITING_CALLBACK, HANDLERS, {"performance-performance": "performed"}),
        _page("print_for_signature", Status.IN_MEDIATION, HANDLERS, agreement="draft"),
        _page(
            "agreement_sign",
            Status.IN_MEDIATION,
            HANDLERS,
            lambda w: {"agreement_sign-signed_on": _today()},
            agreement="draft",
        ),
        _page(
            "judicial_apply",
            Status.AWAITING_CALLBACK,
            HANDLERS,
            lambda w: {"judicial_apply-applied_on": _today(), "judicial_apply-court": COURT},
            agreement="signed",
        ),
        _page(
            "judicial_decide",
            Status.AWAITING_CALLBACK,
            HANDLERS,
            lambda w: {
                "judicial_decide-result": "confirmed",
                "judicial_decide-ruling_number": RULING,
                "judicial_decide-decided_on": _today(),
            },
            agreement="judicial",
        ),
        _page("note", Status.ACCEPTED, EVERY_STAFF, {"note-text": "已电话联系"}),
        _page("description", Status.ACCEPTED, CASE_STAFF, {"description-description": "对方说要砍死我全家。"}),
        _page("assistance", Status.ACCEPTED, CASE_STAFF, lambda w: {"assistance-department": _county(w)}),
        _page("pause", Status.ACCEPTED, CASE_STAFF, {"pause-reason": "等待伤情鉴定", "pause-category": "appraisal"}),
        _page("resume_clock", Status.ACCEPTED, CASE_STAFF, paused=True),
        _page("colour", Status.ACCEPTED, CASE_STAFF, {"colour-colour": "1", "colour-reason": REASON}),
        _page("dispatch", Status.TRIAGED, DISPATCH, lambda w: {"dispatch-department": _county(w)}),
        _page(
            "transfer",
            Status.ACCEPTED,
            CASE_STAFF,
            lambda w: {"transfer-department": _county(w), "transfer-reason": REASON},
        ),
        _page("return", Status.DISPATCHED, HANDLERS, {"return-reason": REASON}),
        _page(
            "withdrawal_request",
            Status.ACCEPTED,
            CASE_STAFF,
            {"withdrawal_request-via": "in_person", "withdrawal_request-reason": REASON},
        ),
        _page(
            "withdrawal_decide",
            Status.ACCEPTED,
            DECIDERS,
            {"withdrawal_decide-decision": "approve"},
            withdrawal_pending=True,
        ),
        _page("merge_duplicate", Status.DISPATCHED, CASE_STAFF, {"merge_duplicate-reason": REASON}, duplicate=True),
        _page("dismiss_duplicate", Status.DISPATCHED, CASE_STAFF, {"dismiss_duplicate-reason": REASON}, duplicate=True),
        _page(
            "order",
            Status.ACCEPTED,
            ORDER_ISSUERS,
            lambda w: {
                "order-recipient": f"department:{_county(w)}",
                "order-reason": REASON,
                "order-reply_within_days": "3",
            },
        ),
        _page("leader", Status.ACCEPTED, LEADERS, lambda w: {"leader-leader": _county_leader(w)}),
        # The case page's scale form (disputes/staff/scale.py), posted on its own.
        (
            "page:scale",
            Write(
                "work/case/<str:tracking_number>/scale/",
                Status.ACCEPTED,
                frozenset(CASE_STAFF),
                {"scale-people_band": "10-29", "scale-amount": "280000"},
                ok="303",
            ),
        ),
        # 民转刑 (disputes.services.conversions): a supervisor whose area covers the case, or an administrator.
        (
            "page:conversion",
            Write(
                "work/case/<str:tracking_number>/conversion/",
                Status.ACCEPTED,
                frozenset(DECIDERS),
                _conversion_page,
                ok="303",
            ),
        ),
        # 参照起草 (disputes.similar): draft the agreement from a similar closed case's, API and page.
        (
            "api:draft-from-similar",
            Write(
                "api/v1/cases/<str:tracking_number>/similar/<str:source_number>/draft/",
                Status.IN_MEDIATION,
                frozenset(HANDLERS),
                ok="201",
                similar_source=True,
            ),
        ),
        (
            "page:draft-from-similar",
            Write(
                "work/case/<str:tracking_number>/similar/<str:source_number>/draft/",
                Status.IN_MEDIATION,
                frozenset(HANDLERS),
                ok="303",
                similar_source=True,
            ),
        ),
        # --- The callers' page ---------------------------------------------------------------------------------
        (
            "page:callback",
            Write(
                "work/callbacks/<str:tracking_number>/",
                Status.AWAITING_CALLBACK,
                frozenset(CALLERS),
                {"reached": "no"},
                ok="302",
                role_first=True,
            ),
        ),
    ]
)

# POST endpoints of the read matrix left out here: the public doors (their own tests), signing out,
# revealing (a logged read, in the read matrix), the queue's take-next and bulk actions (no case in the
# URL; each case goes through the services above: tests/disputes/workbench/test_take_next.py and
# test_bulk.py), the supervisors' spot checks and the petitions' writes (tests/petitions).
NOT_CASE_WRITES = {
    "api/v1/public/cases/",
    "api/v1/public/track/",
    "accounts/logout/",
    "api/v1/cases/<str:tracking_number>/parties/<int:party_id>/reveal/",
    "work/case/<str:tracking_number>/parties/<int:party_id>/reveal/",
    "petitions/<str:tracking_number>/petitioners/<int:pk>/reveal/",
    "api/v1/petitions/<str:tracking_number>/petitioners/<int:pk>/reveal/",
    "api/v1/queue/take-next/",
    "api/v1/queue/bulk/",
    "work/take-next/",
    "work/bulk/",
    "api/v1/spot-checks/",
    "api/v1/petitions/<str:tracking_number>/decision/",
    "api/v1/petitions/<str:tracking_number>/extension/",
    "api/v1/petitions/<str:tracking_number>/reply/",
    "api/v1/petitions/<str:tracking_number>/letters/",
    "api/v1/petitions/<str:tracking_number>/to-dispute/",
    "api/v1/petitions/<str:tracking_number>/callback-attempts/",
    # 收件箱: a reader marks their own messages read (tests/core/test_inbox*.py: others' ids are ignored).
    "inbox/read/",
    "api/v1/inbox/read/",
    # 督办单 once issued: sign, reply, close name the order, not the case (tests/disputes/*/test_supervision*.py
    # and the read matrix's rows).
    "api/v1/orders/<int:pk>/sign/",
    "api/v1/orders/<int:pk>/reply/",
    "api/v1/orders/<int:pk>/close/",
    "work/orders/<int:pk>/sign/",
    "work/orders/<int:pk>/reply/",
    "work/orders/<int:pk>/close/",
    # 撤回审批 from the supervisors' list names a request, not a case (tests/disputes/workbench/test_withdrawals_page.py
    # and the read matrix's row).
    "work/withdrawals/<int:pk>/decide/",
    # 民转刑 review (复盘倒查) names the record, not the case: a supervisor above the case's place
    # (tests/disputes/conversions/test_service.py, and the read matrix's row).
    "api/v1/conversions/<int:pk>/review/",
}


# --- The world -----------------------------------------------------------------------------------------


@dataclass
class WriteWorld:
    users: dict
    tree: object
    category: object
    departments: dict
    county_department: object
    other_mediator: object


@pytest.fixture
def write_world(tree, category, departments, staff_a, make_staff, django_user_model) -> WriteWorld:
    users = {
        ANON: None,
        RESIDENT: UserFactory(username="resident-with-nothing"),
        SUPERUSER: django_user_model.objects.create_superuser("root", "root@example.org", "a-long-password-1"),
    }
    users.update({role.value: user for role, user in staff_a.items()})
    county_department = DepartmentFactory(name="西湖区人力资源和社会保障局", area=tree.county)
    other_mediator = make_staff(Role.MEDIATOR, area=tree.town_b, department=departments["b"], username="mediator-b")
    return WriteWorld(users, tree, category, departments, county_department, other_mediator)


def make_case(world: WriteWorld, write: Write, where: str) -> Dispute:
    """A fresh case in the write's status: township A's committee and mediator ("in"), or township B's ("out")."""
    inside = where == "in"
    case = case_in(
        write.status,
        grid=world.tree.grid_a if inside else world.tree.grid_b,
        category=world.category,
        department=world.departments["a" if inside else "b"],
        mediator=world.users[M] if inside else world.other_mediator,
    )
    PartyFactory(dispute=case, role=PartyRole.APPLICANT, name="李四", phone="13900139000")
    if case.outcome == "agreement":
        with_agreement(case)
    if write.duplicate:
        case.duplicate_of = case_in(
            Status.ACCEPTED,
            grid=case.grid,
            category=world.category,
            department=case.lead_department,
            mediator=case.assigned_mediator,
        )
        case.save(update_fields=["duplicate_of", "updated_at"])
    if write.similar_source:
        source = case_in(
            Status.CLOSED,
            grid=case.grid,
            category=world.category,
            department=case.lead_department,
            mediator=case.assigned_mediator,
        )
        with_agreement(source)
        case.similar_source = source
    if write.agreement:
        _agreement_state(case, write.agreement)
    if write.withdrawal_pending:
        WithdrawalRequest.objects.create(dispute=case, via="phone", reason=REASON, area_path=case.area_path)
    if write.paused:
        Deadline.objects.filter(dispute=case, kind__in=[DeadlineKind.ACCEPT, DeadlineKind.RESOLVE]).update(
            paused_at=timezone.now() - timedelta(hours=2)
        )
    return case


def stored(case: Dispute) -> tuple:
    """Everything a write on this case could store, and the tables' sizes (a row stored elsewhere)."""
    row = Dispute.objects.filter(pk=case.pk).values().first()
    return (
        row,
        list(CaseEvent.objects.filter(dispute=case).values_list("pk", flat=True)),
        list(Party.objects.filter(dispute=case).values_list("pk", "role", "name", "phone")),
        list(Deadline.objects.filter(dispute=case).values_list("pk", "due_at", "done_at", "cancelled_at", "paused_at")),
        list(Agreement.objects.filter(dispute=case).values()),
        list(DisputeAssist.objects.filter(dispute=case).values_list("department_id", flat=True)),
        list(MediationSession.objects.filter(dispute=case).values_list("pk", flat=True)),
        list(CallbackAttempt.objects.filter(dispute=case).values_list("pk", flat=True)),
        list(WithdrawalRequest.objects.filter(dispute=case).values_list("pk", "state")),
        list(AgreementVersion.objects.filter(agreement__dispute=case).values()),
        list(JudicialConfirmation.objects.filter(dispute=case).values()),
        Dispute.objects.count(),
        CaseEvent.objects.count(),
        Party.objects.count(),
    )


def request_write(client, world: WriteWorld, name: str, write: Write, case: Dispute, role: str, where: str) -> str:
    client.defaults["REMOTE_ADDR"] = f"10.2.{ROLES.index(role)}.{1 if where == 'in' else 2}"
    client.logout()
    user = world.users[role]
    if user is not None:
        client.force_login(user)
    kwargs = {"tracking_number": case.tracking_number}
    if write.action:
        kwargs["action"] = write.action
    if write.similar_source:
        kwargs["source_number"] = case.similar_source.tracking_number
    url = reverse(name, kwargs=kwargs)
    body = write.body(world) if callable(write.body) else write.body
    if write.is_api:
        send = client.put if write.method == "PUT" else client.post
        response = send(url, data=json.dumps(body), content_type="application/json")
    else:
        response = client.post(url, body)
    return status_class(response)


# --- The tests ----------------------------------------------------------------------------------------------

PATTERN_NAMES = dict(url_patterns())


@pytest.mark.parametrize("key", list(WRITES), ids=list(WRITES))
def test_write_matrix(client, write_world, key):
    write = WRITES[key]
    name = PATTERN_NAMES[write.route]
    wrong = []
    for role in ROLES:
        for where in ("in", "out"):
            case = make_case(write_world, write, where)
            before = stored(case)
            got = request_write(client, write_world, name, write, case, role, where)
            want = write.expected(role, where)
            changed = stored(case) != before
            if got not in want:
                wrong.append(f"{role}/{where}: expected {'/'.join(want)}, got {got}")
            elif got in ("403", "404", "302L") and changed:
                wrong.append(f"{role}/{where}: refused with {got} but something was stored")
            elif got == write.ok and not changed:
                wrong.append(f"{role}/{where}: answered {got} but nothing was stored")
    assert not wrong, f"{write.method} {write.route} {write.action or ''}: " + "; ".join(wrong)


def test_every_staff_write_has_a_row():
    """Each POST endpoint of the read matrix is a row here or named as not a staff write on a case;
    each action of the case page has a row."""
    posted = {route for route, decision in DECISIONS.items() if decision.method == "POST"}
    covered = {write.route for write in WRITES.values()}
    missing = sorted(posted - covered - NOT_CASE_WRITES - {PAGE_ACTION})
    assert not missing, "POST endpoints without a row in WRITES: " + ", ".join(missing)
    page_actions = {write.action for write in WRITES.values() if write.route == PAGE_ACTION}
    assert not sorted(set(ACTIONS) - page_actions), "case-page actions without a row in WRITES"
    transitions = {
        write.body["action"] for write in WRITES.values() if write.route == TRANSITIONS and isinstance(write.body, dict)
    }
    transitions |= {"dispatch", "transfer"} | page_actions  # merge_duplicate: its own service, on the page
    from disputes.rules.lifecycle import TRANSITIONS as TABLE

    assert sorted(set(TABLE) - transitions) == [], "transitions without a row in WRITES"


def test_the_write_matrix_size():
    """The number of cells (users × places × writes): a figure to quote; it grows with every write."""
    cells = len(WRITES) * len(ROLES) * 2
    assert cells == 66 * 9 * 2
