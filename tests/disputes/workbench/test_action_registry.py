"""The one registry of staff actions (disputes.staff.actions): every row has a door, every transition a row."""

import pytest
from django.urls import NoReverseMatch, reverse

from disputes.rules import lifecycle
from disputes.staff.actions import ACTIONS, PAGE_ACTIONS, TRANSITION_ACTIONS


def test_every_transition_of_the_table_has_a_row_in_table_order():
    assert list(TRANSITION_ACTIONS) == list(lifecycle.TRANSITIONS)
    assert all(ACTIONS[key].transition for key in TRANSITION_ACTIONS)


@pytest.mark.parametrize("key", list(ACTIONS))
def test_each_action_names_a_door_of_the_staff_api(key):
    name = ACTIONS[key].api
    try:
        reverse(f"api:{name}", kwargs={"tracking_number": "ABCD2345EFGH"})
    except NoReverseMatch:
        reverse(f"api:{name}")  # a door without the case in its address (the bulk actions)


def test_the_case_page_offers_the_rows_with_a_form_each_with_its_message():
    assert set(PAGE_ACTIONS) == {key for key, row in ACTIONS.items() if row.form is not None}
    assert all(str(row.done) for row in PAGE_ACTIONS.values())
    # The platform's steps and the callback's are not the case page's.
    assert not {"triage", "await_callback", "close", "reopen"} & set(PAGE_ACTIONS)
