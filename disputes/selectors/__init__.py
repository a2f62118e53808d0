"""Reads with a rule in them, one module per concern. Every staff read starts from `disputes_visible_to`.

The package re-exports the public reads so callers write `from disputes.selectors import …`.
"""

from disputes.selectors.access import user_works_case
from disputes.selectors.callbacks import (
    attempts_this_round,
    callback_queue,
    callback_queue_after,
    callback_spot_check_sample,
    dispute_from_rating_token,
    queue_cursor,
    rating_refusal,
    resident_already_rated,
    spot_check_cases,
    unanswered_attempts,
)
from disputes.selectors.cases import (
    DISPATCH_ROLES,
    TriageReasonFilter,
    dispatch_queue,
    dispute_for_resident,
    dispute_get_for,
    disputes_visible_to,
    open311_requests_for,
    resident_timeline,
    sees_everything,
    staff_profile,
    triage_reasons_for,
)
from disputes.selectors.duplicates import (
    DuplicateLinks,
    duplicate_links,
    find_duplicate,
    linked_numbers,
    without_hidden_links,
)
from disputes.selectors.intake import dispute_by_source, idempotency_record
from disputes.selectors.queue import (
    QueueFilter,
    QueuePage,
    QueueRow,
    Scope,
    area_choices,
    bulk_departments,
    bulk_mediators,
    page_size_from,
    queue_base,
    queue_page,
    queue_row_for,
    queue_scopes,
    scope_label,
    take_next_candidates,
)
from disputes.selectors.routing import departments_serving, disputes_unrouted, diversion_rule_for

# disputes.selectors.similar is imported by its own name (its reads are the case page's panels only).

__all__ = [
    "QueueFilter",
    "QueuePage",
    "QueueRow",
    "Scope",
    "area_choices",
    "bulk_departments",
    "bulk_mediators",
    "page_size_from",
    "queue_base",
    "queue_page",
    "queue_row_for",
    "queue_scopes",
    "scope_label",
    "take_next_candidates",
    "DuplicateLinks",
    "attempts_this_round",
    "callback_queue",
    "callback_queue_after",
    "callback_spot_check_sample",
    "departments_serving",
    "dispute_by_source",
    "dispute_from_rating_token",
    "disputes_unrouted",
    "diversion_rule_for",
    "duplicate_links",
    "find_duplicate",
    "idempotency_record",
    "linked_numbers",
    "queue_cursor",
    "rating_refusal",
    "resident_already_rated",
    "spot_check_cases",
    "unanswered_attempts",
    "user_works_case",
    "without_hidden_links",
    "DISPATCH_ROLES",
    "TriageReasonFilter",
    "dispatch_queue",
    "dispute_for_resident",
    "dispute_get_for",
    "disputes_visible_to",
    "open311_requests_for",
    "resident_timeline",
    "sees_everything",
    "staff_profile",
    "triage_reasons_for",
]
