"""Every write to a case, one module per concern. Keyword-only, atomic; side effects run on commit.

`transitions.dispute_transition` is the one door through which a case's status changes.

- casefile: lock a case the actor may see, check its handler, refuse a finished one, write an event
- deadlines: open and finish deadlines, the queue's next due date, the escalation sweep (督办)
- transitions: the one door, each action's effect, the report-back (反馈)
- intake: store a submission (登记) from every door, the channels' idempotency
- triage: the facts triage reads, triage again, a person's override (分级)
- routing: route a new case by the diversion list and pick its mediator (分流)
- assignment: give a case to a handler (指派), ask another department to help (联合调解)
- parties: who may add a party, a party's fields, showing one in clear
- edits: the description, notes, pausing the clocks
- outcomes: the agreement (调解协议书), its versions and signing, its performance, an outcome's own effects
- judicial: the judicial confirmation (司法确认) of a signed agreement: the application and the court's ruling
- mediation: sessions (调解记录) and the report-back from the case page
- callbacks: the callback (回访) and spot checks (抽查)
- duplicates: merge or dismiss a suspected duplicate (疑似重复)
- scale: correct the people and money at stake (规模)
- similar: draft an agreement from a similar case's (参照起草), the log of what was shown
- actions: what a user may do on a case now (what the services above would accept)

This package re-exports the public functions, so callers write `from disputes import services`.
"""

from disputes.services.assignment import (
    ASSIGN_ROLES,
    ASSIGNABLE_STATUSES,
    ASSIST_ROLES,
    dispute_assign,
    dispute_request_assistance,
)
from disputes.services.callbacks import (
    callback_further_parties,
    callback_record_attempt,
    callback_record_resident_rating,
    spot_check_record,
)
from disputes.services.casefile import (
    check_department_serves,
    check_handler,
    check_jurisdiction,
    event_record,
    lock_visible,
    notify_applicants,
    refuse_if_finished,
)
from disputes.services.deadlines import (
    PAUSABLE,
    deadline_escalate,
    deadline_open,
    deadlines_due,
    deadlines_escalate,
    deadlines_finish,
    deadlines_sweep,
    dispute_refresh_next_due,
    service_level_for,
)
from disputes.services.duplicates import (
    MAX_REASON,
    dispute_dismiss_duplicate,
    dispute_merge_duplicate,
    duplicate_actions,
)
from disputes.services.edits import (
    CLOCK_ROLES,
    dispute_add_note,
    dispute_pause_clock,
    dispute_resume_clock,
    dispute_update_description,
)
from disputes.services.intake import (
    ChannelIntakeResult,
    IntakeResult,
    Submission,
    channel_intake,
    check_channel_key_area,
    dispute_intake,
    dispute_store,
    dispute_submit,
)
from disputes.services.judicial import (
    check_judicial_apply,
    check_judicial_decide,
    judicial_apply,
    judicial_decide,
    judicial_of,
    judicial_window,
    signed_version_of,
)
from disputes.services.mediation import SESSION_STATES, outcome_report, session_record
from disputes.services.outcomes import (
    AGREEMENT_EDIT_STATES,
    AGREEMENT_TEXT_FIELDS,
    CASE_WORK_ROLES,
    MAX_TEXT,
    PERFORMANCE_STATES,
    REFERRAL_MAX,
    VERSION_FIELDS,
    agreement_draft,
    agreement_print_for_signature,
    agreement_proposal,
    agreement_record_performance,
    agreement_save,
    agreement_sign,
    agreement_update,
    clean_referral_reference,
    judicial_due,
    outcome_apply,
)
from disputes.services.parties import (
    APPLICANT_CLOSED_STATUSES,
    PARTY_ROLES,
    REVEALABLE_FIELDS,
    check_party_adder,
    clean_party,
    dispute_add_party,
    party_reveal,
)
from disputes.services.routing import dispute_assign_mediator, dispute_route, routing_enqueue
from disputes.services.scale import check_scale_editor, dispute_set_scale
from disputes.services.similar import agreement_draft_from_similar, log_shown
from disputes.services.transitions import dispute_report_back, dispute_transition
from disputes.services.triage import (
    OVERRIDE_ROLES,
    dispute_override_colour,
    dispute_retriage,
    triage_facts,
    triage_keywords,
)

__all__ = [
    "AGREEMENT_EDIT_STATES",
    "AGREEMENT_TEXT_FIELDS",
    "APPLICANT_CLOSED_STATUSES",
    "ASSIGNABLE_STATUSES",
    "ASSIGN_ROLES",
    "ASSIST_ROLES",
    "CASE_WORK_ROLES",
    "CLOCK_ROLES",
    "MAX_REASON",
    "MAX_TEXT",
    "OVERRIDE_ROLES",
    "PARTY_ROLES",
    "PAUSABLE",
    "PERFORMANCE_STATES",
    "REFERRAL_MAX",
    "REVEALABLE_FIELDS",
    "SESSION_STATES",
    "VERSION_FIELDS",
    "ChannelIntakeResult",
    "IntakeResult",
    "Submission",
    "agreement_draft",
    "agreement_draft_from_similar",
    "agreement_print_for_signature",
    "agreement_proposal",
    "agreement_record_performance",
    "agreement_save",
    "agreement_sign",
    "agreement_update",
    "callback_further_parties",
    "callback_record_attempt",
    "callback_record_resident_rating",
    "channel_intake",
    "check_channel_key_area",
    "check_department_serves",
    "check_handler",
    "check_judicial_apply",
    "check_judicial_decide",
    "check_jurisdiction",
    "check_party_adder",
    "check_scale_editor",
    "clean_party",
    "clean_referral_reference",
    "deadline_escalate",
    "deadline_open",
    "deadlines_due",
    "deadlines_escalate",
    "deadlines_finish",
    "deadlines_sweep",
    "dispute_add_note",
    "dispute_add_party",
    "dispute_assign",
    "dispute_assign_mediator",
    "dispute_dismiss_duplicate",
    "dispute_intake",
    "dispute_merge_duplicate",
    "dispute_override_colour",
    "dispute_pause_clock",
    "dispute_refresh_next_due",
    "dispute_report_back",
    "dispute_request_assistance",
    "dispute_resume_clock",
    "dispute_retriage",
    "dispute_route",
    "dispute_set_scale",
    "dispute_store",
    "dispute_submit",
    "dispute_transition",
    "dispute_update_description",
    "duplicate_actions",
    "event_record",
    "judicial_apply",
    "judicial_decide",
    "judicial_due",
    "judicial_of",
    "judicial_window",
    "lock_visible",
    "log_shown",
    "notify_applicants",
    "outcome_apply",
    "outcome_report",
    "party_reveal",
    "refuse_if_finished",
    "routing_enqueue",
    "service_level_for",
    "session_record",
    "signed_version_of",
    "spot_check_record",
    "triage_facts",
    "triage_keywords",
]
