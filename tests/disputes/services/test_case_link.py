"""The link an inbox item stores to a case page: the site's own path, whatever language wrote it."""

import pytest
from django.utils import translation

from disputes.services import casefile
from tests.disputes.cases import case_in

pytestmark = pytest.mark.django_db


def test_a_stored_link_carries_no_language_prefix(tree, category):
    case = case_in("triaged", grid=tree.grid_a, category=category)
    casefile._case_link_pattern.cache_clear()
    with translation.override("en"):  # the first link of the process written in English
        english = casefile.case_link(case)
    chinese = casefile.case_link(case)
    assert english == chinese == f"/work/case/{case.tracking_number}/"
