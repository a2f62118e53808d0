"""Every write to a petition (信访), one module per concern. Keyword-only, atomic; side effects run on commit.

`petition_transition` (`transitions`) is the one door through which a petition's
status changes. The package re-exports the public services so callers write
`from petitions import services` / `services.petition_register(...)`.
"""

from petitions.services.callbacks import petition_callback_record_attempt
from petitions.services.conversion import petition_to_dispute
from petitions.services.deadlines import deadline_open, deadlines_apply, deadlines_finish
from petitions.services.extension import petition_extend
from petitions.services.letters import petition_issue_letter
from petitions.services.registration import petition_register
from petitions.services.reveal import REVEALABLE_FIELDS, petitioner_reveal
from petitions.services.sweep import petition_deadlines_due, petition_deadlines_escalate, petition_deadlines_sweep
from petitions.services.transitions import DECISIONS, petition_decide, petition_reply, petition_transition

__all__ = [
    "DECISIONS",
    "REVEALABLE_FIELDS",
    "deadline_open",
    "deadlines_apply",
    "deadlines_finish",
    "petition_callback_record_attempt",
    "petition_deadlines_due",
    "petition_deadlines_escalate",
    "petition_deadlines_sweep",
    "petition_decide",
    "petition_extend",
    "petition_issue_letter",
    "petition_register",
    "petition_reply",
    "petition_to_dispute",
    "petition_transition",
    "petitioner_reveal",
]
