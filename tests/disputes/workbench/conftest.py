"""Fixtures shared by the workbench tests.

The case-page fixtures (a county bureau, township A's mediator, `make_case`) live in casepage.py.
"""

from tests.disputes.workbench.casepage import county_department, make_case, mediator  # noqa: F401
