"""Reads about petitions with a rule in them, one module per concern. Every staff read starts from
`petitions_visible_to`; one petition is looked up for a user only through `petition_get_for`.

The package re-exports the public reads so callers write `from petitions.selectors import …`.
"""

from petitions.selectors.callbacks import (
    petition_callback_due,
    petition_callback_queue,
    unanswered_call_times,
    unanswered_calls,
)
from petitions.selectors.lists import petition_list_for, petitions_filtered
from petitions.selectors.repeats import (
    find_earlier_petition,
    open_petition_ids,
    open_petitions_count,
    open_petitions_for,
)
from petitions.selectors.visibility import PAGE_RELATED, petition_get_for, petitions_visible_to, user_works_petition

__all__ = [
    "PAGE_RELATED",
    "find_earlier_petition",
    "open_petition_ids",
    "open_petitions_count",
    "open_petitions_for",
    "petition_callback_due",
    "petition_callback_queue",
    "petition_get_for",
    "petition_list_for",
    "petitions_filtered",
    "petitions_visible_to",
    "unanswered_call_times",
    "unanswered_calls",
    "user_works_petition",
]
