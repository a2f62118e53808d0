"""Reads with a rule in them, one module per concern. Every staff read starts from `disputes_visible_to`.

The package re-exports the public reads so callers write `from disputes.selectors import …`.
"""

from disputes.selectors.cases import (
    DISPATCH_ROLES,
    TriageReasonFilter,
    dispatch_queue,
    dispute_for_resident,
    dispute_get_for,
    dispute_get_visible,
    disputes_visible_to,
    open311_requests_for,
    resident_timeline,
    sees_everything,
    staff_profile,
    triage_reasons_for,
)

__all__ = [
    "DISPATCH_ROLES",
    "TriageReasonFilter",
    "dispatch_queue",
    "dispute_for_resident",
    "dispute_get_for",
    "dispute_get_visible",
    "disputes_visible_to",
    "open311_requests_for",
    "resident_timeline",
    "sees_everything",
    "staff_profile",
    "triage_reasons_for",
]
