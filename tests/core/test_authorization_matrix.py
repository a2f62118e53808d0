"""The authorisation matrix (权限矩阵): every URL pattern × every role × a case inside and outside the user's area.

The patterns come from the URL configuration itself (`get_resolver()`), so a new
endpoint without a line in DECISIONS fails `test_every_url_pattern_has_a_decision`
with its route named. Each pattern is one test; inside it, one request per cell
(role × inside/outside), and every wrong cell is reported at once.

Status codes (one per cell, for GET unless the decision says POST):
  200  served                      302L  redirected to the sign-in page
  302  redirected elsewhere         303  POST accepted or refused with a message, back to the case
  400  form or body refused        401/403  refused     404  hidden (outside the area, or no such thing)
  405  method not allowed (a POST-only endpoint: the GET column of an action)
For POST-only endpoints the request is an empty POST (a reveal names the phone
field): those allowed in get a validation answer (400), or the action itself where
an empty body is a whole request (take the next case, reveal, sign out); those
not allowed get 403, or 404 outside their area.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest
from django.core import signing
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from core.actors import Actor
from disputes.callbacks import rating_token
from disputes.models import Attachment, CriminalConversion
from disputes.rules.enums import Status
from disputes.services.supervision import OrderSpec, orders_issue
from disputes.views import SUBMITTED_SALT
from grids.models import DepartmentKind, Role
from petitions import services as petition_services
from petitions.models import LetterKind
from petitions.rules import Form as PetitionForm
from tests.disputes.cases import case_in, with_agreement
from tests.factories import DepartmentFactory, PartyFactory, StaffFactory, UserFactory

ANON = "anonymous"
RESIDENT = "resident"  # signed in, no staff profile
SUPERUSER = "superuser"  # Django's is_superuser, no staff profile
ROLES = (
    ANON,
    RESIDENT,
    Role.MEDIATOR.value,
    Role.DEPARTMENT_STAFF.value,
    Role.DISPATCHER.value,
    Role.CALLBACK_CALLER.value,
    Role.SUPERVISOR.value,
    Role.ADMIN.value,
    SUPERUSER,
)
ADMIN_KEY = "admin/"  # the whole Django admin is one entry
# staticfiles_urlpatterns(), added with DEBUG only: public files, no decision to take.
STATIC_SERVE_MODULES = {"django.contrib.staticfiles.views", "django.views.static"}


def url_patterns() -> list[tuple[str, str]]:
    """(route, url name) of every pattern; the language-prefixed ones appear once, unprefixed."""
    found: list[tuple[str, str]] = []

    def walk(patterns, prefix: str, namespace: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
                route = prefix + str(p.pattern)
                if route.startswith(ADMIN_KEY):
                    found.append((ADMIN_KEY, "admin:index"))
                    continue
                walk(p.url_patterns, route, ns)
            elif isinstance(p, URLPattern):
                if p.callback.__module__ in STATIC_SERVE_MODULES:
                    continue  # DEBUG-only static files from staticfiles_urlpatterns()
                found.append((prefix + str(p.pattern), f"{namespace}{p.name}" if p.name else ""))

    walk(get_resolver().url_patterns, "", "")
    unique = dict.fromkeys(found)
    return list(unique)


@dataclass(frozen=True)
class Decision:
    """The expected status of each role, in ROLES order; "200/404" means inside / outside the user's area."""

    cells: str
    method: str = "GET"
    extra: dict = field(default_factory=dict)  # the POST body, or the GET's query

    def expected(self) -> dict[str, tuple[str, ...]]:
        codes = self.cells.split()
        assert len(codes) == len(ROLES), f"{self.cells!r}: one code per role in {ROLES}"
        return {role: tuple(code.split("/")) for role, code in zip(ROLES, codes, strict=True)}

    @property
    def scoped(self) -> bool:
        """Whether the answer depends on where the case (area, department) is."""
        return "/" in self.cells


D = Decision
REVEAL = {"field": "phone"}
MEASURE = {"measure": "submitted"}  # a drill-down names its count (the query string of a GET)
DIMENSION = {"dimension": "department", "value": ""}  # a breakdown value: cases not yet dispatched

# Columns:       anonymous resident mediator department_staff dispatcher callback_caller supervisor admin superuser
# The staff in a row all work in township A; "inside" is a case, area or department there, "outside"
# one in township B. Resident = a signed-in account without a staff profile. Role "admin" is the
# portal's administrator (a staff profile over the whole city); the Django admin site opens only to
# is_staff accounts (here: the superuser), so it stays closed to a portal administrator.
# Decisions worth knowing:
# - a resident's account sees no case anywhere: 404 on a case, empty lists on the list APIs (tested below);
# - outside the user's area a case, place or department is 404 (hidden), never 403 (which would confirm it);
# - the API refuses an anonymous caller with 403 (session authentication sends no 401 challenge);
# - POST-only actions answer an empty body with 400 (or a redirect) only where the user may act.
DECISIONS: dict[str, Decision] = {
    "healthz": D("200 200 200 200 200 200 200 200 200"),
    "i18n/setlang/": D("302 302 302 302 302 302 302 302 302"),
    "api/schema/": D("200 200 200 200 200 200 200 200 200"),
    "api/docs/": D("200 200 200 200 200 200 200 200 200"),
    "api/v1/dispatch-queue/": D("403 200 200 200 200 200 200 200 200"),
    "api/v1/cases/": D("403 200 200 200 200 200 200 200 200"),
    "api/v1/cases/<str:tracking_number>/": D("403 404 200/404 200/404 200/404 200/404 200/404 200 200"),
    "api/v1/cases/<str:tracking_number>/transitions/": D(
        "403 404 400/404 400/404 400/404 400/404 400/404 400 400", "POST"
    ),
    "api/v1/cases/<str:tracking_number>/colour/": D("403 404 400/404 400/404 400/404 400/404 400/404 400 400", "POST"),
    # 撤回: an empty body is refused (400) to whoever sees the case; who may record or decide is in the writes matrix.
    "api/v1/cases/<str:tracking_number>/withdrawal/": D(
        "403 404 400/404 400/404 400/404 400/404 400/404 400 400", "POST"
    ),
    "api/v1/cases/<str:tracking_number>/withdrawal/decision/": D(
        "403 404 400/404 400/404 400/404 400/404 400/404 400 400", "POST"
    ),
    # 包案: only a supervisor whose area covers the case (or an administrator) names its leader; the role first.
    "api/v1/cases/<str:tracking_number>/leader/": D("403 404 403/404 403/404 403/404 403/404 400/404 400 400", "POST"),
    "api/v1/cases/<str:tracking_number>/assistance/": D(
        "403 404 400/404 400/404 400/404 400/404 400/404 400 400", "POST"
    ),
    "api/v1/cases/<str:tracking_number>/notes/": D("403 404 400/404 400/404 400/404 400/404 400/404 400 400", "POST"),
    "api/v1/cases/<str:tracking_number>/clock/": D("403 404 400/404 400/404 400/404 400/404 400/404 400 400", "POST"),
    "api/v1/cases/<str:tracking_number>/parties/": D("403 404 400/404 400/404 400/404 400/404 400/404 400 400", "POST"),
    # 规模 (disputes.scale): an empty body changes nothing (400) for those who may change it; a callback
    # caller may not (403), as for adding a party.
    "api/v1/cases/<str:tracking_number>/scale/": D("403 404 400/404 400/404 400/404 403/404 400/404 400 400", "POST"),
    # The description (re-triaged): those who may correct the case's facts, as for its scale.
    "api/v1/cases/<str:tracking_number>/description/": D(
        "403 404 400/404 400/404 400/404 403/404 400/404 400 400", "POST"
    ),
    "api/v1/public/cases/": D("400 400 400 400 400 400 400 400 400", "POST"),
    "api/v1/public/track/": D("400 400 400 400 400 400 400 400 400", "POST"),
    "api/v1/public/categories/": D("200 200 200 200 200 200 200 200 200"),
    "api/v1/public/areas/": D("200 200 200 200 200 200 200 200 200"),
    "api/v1/channels/cases/": D("401 401 401 401 401 401 401 401 401"),
    "api/v1/queue/": D("403 403 200 200 200 200 200 200 200"),
    "api/v1/queue/take-next/": D("403 403 200 200 403 403 403 403 403", "POST"),
    "api/v1/queue/bulk/": D("403 403 403 403 400 403 400 400 400", "POST"),
    "api/v1/cases/<str:tracking_number>/duplicates/": D("403 404 200/404 200/404 200/404 200/404 200/404 200 200"),
    # 类案参考 / 当事人历史 (disputes.api.similar): read by whoever sees the case. Drafting from a similar case
    # names a source that must be a closed case with an agreement: here the case itself (not closed), so 404 for
    # everyone let past the door (who may draft is in test_authorization_writes.py).
    "api/v1/cases/<str:tracking_number>/similar/": D("403 404 200/404 200/404 200/404 200/404 200/404 200 200"),
    "api/v1/cases/<str:tracking_number>/party-history/": D("403 404 200/404 200/404 200/404 200/404 200/404 200 200"),
    "api/v1/cases/<str:tracking_number>/similar/<str:source_number>/draft/": D(
        "403 404 404 404 404 404 404 404 404", "POST"
    ),
    "api/v1/cases/<str:tracking_number>/sessions/": D("403 404 200/404 200/404 200/404 200/404 200/404 200 200"),
    "api/v1/cases/<str:tracking_number>/agreement/": D("403 404 200/404 200/404 200/404 200/404 200/404 200 200"),
    "api/v1/cases/<str:tracking_number>/agreement/performance/": D(
        "403 404 400/404 400/404 400/404 400/404 400/404 400 400", "POST"
    ),
    # 协议版本: printing for signature needs a draft (this case's agreement is reported back: 400 for its
    # handlers), the case workers only; signing, judicial confirmation: an empty body is refused (400) to whoever
    # sees the case (who may is in the writes matrix); the judicial state is read by whoever sees the case.
    "api/v1/cases/<str:tracking_number>/agreement/print/": D(
        "403 404 400/404 400/404 403/404 403/404 403/404 400 400", "POST"
    ),
    "api/v1/cases/<str:tracking_number>/agreement/sign/": D(
        "403 404 400/404 400/404 400/404 400/404 400/404 400 400", "POST"
    ),
    "api/v1/cases/<str:tracking_number>/judicial/": D("403 404 200/404 200/404 200/404 200/404 200/404 200 200"),
    "api/v1/cases/<str:tracking_number>/judicial/decision/": D(
        "403 404 400/404 400/404 400/404 400/404 400/404 400 400", "POST"
    ),
    "api/v1/cases/<str:tracking_number>/parties/<int:party_id>/reveal/": D(
        "403 404 200/404 200/404 200/404 200/404 200/404 200 200", "POST", extra=REVEAL
    ),
    "api/v1/callbacks/": D("403 403 403 403 403 200 200 200 200"),
    "api/v1/callbacks/<str:tracking_number>/attempts/": D("403 403 403 403 403 400/404 400/404 400 400", "POST"),
    "api/v1/spot-checks/sample/": D("403 403 403 403 403 403 400 400 400"),
    "api/v1/spot-checks/": D("403 403 403 403 403 403 400 400 400", "POST"),
    # 督办单 (disputes.api.supervision): issuing needs a reason (400 before the role is checked, as for the other
    # case actions; the role refusal is in test_authorization_writes.py). The order "in" is addressed to a person
    # outside the matrix, so of the roles only an administrator may sign it (the superuser, after, finds it signed:
    # 409); closing an unanswered order is 400 for its office's supervisor and administrators, 403 for the rest.
    "api/v1/cases/<str:tracking_number>/orders/": D("403 404 400/404 400/404 400/404 400/404 400/404 400 400", "POST"),
    "api/v1/orders/": D("403 200 200 200 200 200 200 200 200"),
    "api/v1/orders/<int:pk>/": D("403 404 200/404 200/404 200/404 200/404 200/404 200 200"),
    "api/v1/orders/<int:pk>/sign/": D("403 404 403/404 403/404 403/404 403/404 403/404 200 409", "POST"),
    "api/v1/orders/<int:pk>/reply/": D("403 404 400/404 400/404 400/404 400/404 400/404 400 400", "POST"),
    "api/v1/orders/<int:pk>/close/": D("403 404 403/404 403/404 403/404 403/404 400/404 400 400", "POST"),
    "open311/v2/^discovery\\.(?P<fmt>json|xml)$": D("200 200 200 200 200 200 200 200 200"),
    "open311/v2/^services\\.(?P<fmt>json|xml)$": D("200 200 200 200 200 200 200 200 200"),
    "open311/v2/^services/(?P<service_code>[-\\w]+)\\.(?P<fmt>json|xml)$": D("200 200 200 200 200 200 200 200 200"),
    # The public list of requests is off by default (OPEN311_PUBLIC_REQUESTS): 404 for anyone without a key.
    "open311/v2/^requests\\.(?P<fmt>json|xml)$": D("404 404 404 404 404 404 404 404 404"),
    "open311/v2/^requests/(?P<request_id>[-\\w ]+)\\.(?P<fmt>json|xml)$": D("404 404 404 404 404 404 404 404 404"),
    "admin/": D("302L 302L 302L 302L 302L 302L 302L 302L 200"),
    "accounts/login/": D("200 200 200 200 200 200 200 200 200"),
    "accounts/logout/": D("200 200 200 200 200 200 200 200 200", "POST"),
    "accounts/password_change/": D("302L 200 200 200 200 200 200 200 200"),
    "accounts/password_change/done/": D("302L 200 200 200 200 200 200 200 200"),
    "accounts/password_reset/": D("200 200 200 200 200 200 200 200 200"),
    "accounts/password_reset/done/": D("200 200 200 200 200 200 200 200 200"),
    "accounts/reset/<uidb64>/<token>/": D("200 200 200 200 200 200 200 200 200"),
    "accounts/reset/done/": D("200 200 200 200 200 200 200 200 200"),
    # Two-factor enrolment and verification (core/two_factor.py; off in this matrix): any signed-in
    # account may enrol; without a device, verification sends it to enrolment.
    "accounts/two-factor/": D("302L 200 200 200 200 200 200 200 200"),
    "accounts/two-factor/verify/": D("302L 302 302 302 302 302 302 302 302"),
    "": D("200 200 200 200 200 200 200 200 200"),
    "submit/": D("200 200 200 200 200 200 200 200 200"),
    "submitted/<str:token>/": D("200 200 200 200 200 200 200 200 200"),
    "track/": D("200 200 200 200 200 200 200 200 200"),
    "rate/<str:token>/": D("200 200 200 200 200 200 200 200 200"),
    "staff/walk-in/": D("302L 403 200 200 200 403 200 200 200"),
    "staff/walk-in/<str:tracking_number>/": D("302L 403 200/404 200/404 200/404 403 200/404 200 200"),
    "work/": D("302L 403 200 200 200 200 200 200 200"),
    "work/take-next/": D("302L 403 302 302 403 403 403 403 403", "POST"),
    "work/bulk/": D("302L 403 403 403 400 403 400 400 400", "POST"),
    "work/case/<str:tracking_number>/": D("302L 404 200/404 200/404 200/404 200/404 200/404 200 200"),
    "work/case/<str:tracking_number>/do/<slug:action>/": D(
        "302L 404 400/404 400/404 400/404 400/404 400/404 400 400", "POST"
    ),
    "work/case/<str:tracking_number>/scale/": D("302L 404 400/404 400/404 400/404 403/404 400/404 400 400", "POST"),
    "work/case/<str:tracking_number>/parties/<int:party_id>/reveal/": D(
        "302L 404 200/404 200/404 200/404 200/404 200/404 200 200", "POST", extra=REVEAL
    ),
    "work/case/<str:tracking_number>/attachments/<int:pk>/": D(
        "302L 404 200/404 200/404 200/404 200/404 200/404 200 200"
    ),
    "work/case/<str:tracking_number>/similar/<str:source_number>/draft/": D(
        "302L 404 404 404 404 404 404 404 404", "POST"
    ),
    "work/case/<str:tracking_number>/agreement/print/": D("302L 404 200/404 200/404 200/404 200/404 200/404 200 200"),
    "work/callbacks/": D("302L 403 403 403 403 200 200 200 200"),
    "work/callbacks/<str:tracking_number>/": D("302L 403 403 403 403 200/404 200/404 200 200"),
    "work/spot-checks/": D("302L 403 403 403 403 403 200 200 200"),
    "work/dashboard/": D("302L 403 403 403 403 403 200 200 200"),
    # 督办 pages: the list for every staff member (supervisors' "issued" box, everyone's "received"); one order, its
    # print view and its forms on the cases the reader may see (the same rules as the API's above).
    "work/orders/": D("302L 403 200 200 200 200 200 200 200"),
    "work/orders/<int:pk>/": D("302L 404 200/404 200/404 200/404 200/404 200/404 200 200"),
    "work/orders/<int:pk>/print/": D("302L 404 200/404 200/404 200/404 200/404 200/404 200 200"),
    "work/orders/<int:pk>/sign/": D("302L 404 403/404 403/404 403/404 403/404 403/404 303 409", "POST"),
    "work/orders/<int:pk>/reply/": D("302L 404 400/404 400/404 400/404 400/404 400/404 400 400", "POST"),
    "work/orders/<int:pk>/close/": D("302L 404 400/404 400/404 400/404 400/404 400/404 400 400", "POST"),
    "work/dashboard/<str:code>/": D("302L 403 403 403 403 403 200/404 200 200"),
    # 撤回: the period's withdrawn cases behind the dashboard's figure, as the dashboard itself.
    "work/dashboard/<str:code>/withdrawn/": D("302L 403 403 403 403 403 200/404 200 200"),
    # 撤回审批: the supervisors' list of pending requests; deciding one names a request (here nobody's: 404).
    "work/withdrawals/": D("302L 403 403 403 403 403 200 200 200"),
    "work/withdrawals/<int:pk>/decide/": D("302L 403 403 403 403 403 404 404 404", "POST"),
    "work/dashboard/<str:code>/export/<str:table>.<str:fmt>": D("302L 403 403 403 403 403 200/404 200 200"),
    # Issue 20's pages: the big screen (大屏), the definitions (口径说明), the case ledger (台账), the drill-down
    # case lists and the ranking notice (排名通报): as the dashboard, supervisors (their area and below) and
    # administrators. The notice is read with GET (its POST, when it is sent, is in the writes matrix).
    "work/dashboard/screen/": D("302L 403 403 403 403 403 200 200 200"),
    "work/dashboard/<str:code>/screen/": D("302L 403 403 403 403 403 200/404 200 200"),
    "work/dashboard/definitions/": D("302L 403 403 403 403 403 200 200 200"),
    "work/dashboard/<str:code>/ledger.<str:fmt>": D("302L 403 403 403 403 403 200/404 200 200"),
    "work/dashboard/<str:code>/cases/": D("302L 403 403 403 403 403 200/404 200 200", extra=MEASURE),
    "work/dashboard/<str:code>/by/": D("302L 403 403 403 403 403 200/404 200 200", extra=DIMENSION),
    "work/dashboard/<str:code>/notice/": D("302L 403 403 403 403 403 200/404 200 200"),
    # 民转刑 / 刑转命 register (disputes.staff.conversions): supervisors and administrators read it (their area and
    # below); a record of a case outside is 404. Recording one on a case: an empty form is refused (400) to a
    # supervisor whose area covers the case, or an administrator; the other roles 403, 404 outside.
    "work/conversions/": D("302L 403 403 403 403 403 200 200 200"),
    "work/conversions/area/<str:code>/": D("302L 403 403 403 403 403 200/404 200 200"),
    "work/conversions/<int:pk>/": D("302L 403 403 403 403 403 200/404 200 200"),
    "work/conversions/<int:pk>/print/": D("302L 403 403 403 403 403 200/404 200 200"),
    "work/case/<str:tracking_number>/conversion/": D(
        "302L 404 403/404 403/404 403/404 403/404 400/404 400 400", "POST"
    ),
    "areas/<int:pk>/children.json": D("200 200 200 200 200 200 200 200 200"),
    "places/": D("302L 404 200 200 200 200 200 200 200"),
    "places/<str:code>/poster/": D("302L 404 200/404 200/404 200/404 200/404 200/404 200 200"),
    "places/<str:code>/qr.svg": D("302L 404 200/404 200/404 200/404 200/404 200/404 200 200"),
    "departments/<int:pk>/poster/": D("302L 404 200/404 200/404 200/404 200/404 200/404 200 200"),
    "departments/<int:pk>/qr.svg": D("302L 404 200/404 200/404 200/404 200/404 200/404 200 200"),
    "petitions/": D("302L 403 200 200 200 200 200 200 200"),
    "petitions/<str:tracking_number>/": D("302L 404 200/404 200/404 200/404 200/404 200/404 200 200"),
    "petitions/<str:tracking_number>/letters/<int:pk>/print/": D(
        "302L 404 200/404 200/404 200/404 200/404 200/404 200 200"
    ),
    "api/v1/petitions/": D("403 200 200 200 200 200 200 200 200"),
    "api/v1/petitions/<str:tracking_number>/": D("403 404 200/404 200/404 200/404 200/404 200/404 200 200"),
    "api/v1/petitions/<str:tracking_number>/decision/": D(
        "403 404 400/404 400/404 400/404 400/404 400/404 400 400", "POST"
    ),
    "api/v1/petitions/<str:tracking_number>/extension/": D(
        "403 404 403/404 403/404 403/404 403/404 400/404 400 400", "POST"
    ),
    "api/v1/petitions/<str:tracking_number>/reply/": D(
        "403 404 400/404 400/404 400/404 400/404 400/404 400 400", "POST"
    ),
    "api/v1/petitions/<str:tracking_number>/letters/": D(
        "403 404 403/404 400/404 400/404 403/404 400/404 400 400", "POST"
    ),
    "api/v1/petitions/<str:tracking_number>/to-dispute/": D(
        "403 404 403/404 400/404 400/404 403/404 400/404 400 400", "POST"
    ),
    # Petitioners' data in clear: only those who work the petition (a caller before the reply does not).
    "petitions/<str:tracking_number>/petitioners/<int:pk>/reveal/": D(
        "302L 404 200/404 200/404 200/404 403/404 200/404 200 200", "POST", extra=REVEAL
    ),
    "api/v1/petitions/<str:tracking_number>/petitioners/<int:pk>/reveal/": D(
        "403 404 200/404 200/404 200/404 403/404 200/404 200 200", "POST", extra=REVEAL
    ),
    # 回访 of petitions: the callers' tab, one petition's callback page, and the API's record.
    "petitions/callbacks/": D("302L 403 403 403 403 200 200 200 200"),
    "petitions/<str:tracking_number>/callback/": D("302L 403 403 403 403 200/404 200/404 200 200"),
    "api/v1/petitions/<str:tracking_number>/callback-attempts/": D(
        "403 403 403 403 403 400/404 400/404 400 400", "POST"
    ),
    # 收件箱: every signed-in account has its own inbox (a resident's account an empty one). Opening an
    # item that is not the reader's is 404; an empty "mark read" form goes back with a message (303).
    "inbox/": D("302L 200 200 200 200 200 200 200 200"),
    "inbox/<int:pk>/open/": D("302L 404 404 404 404 404 404 404 404"),
    "inbox/read/": D("302L 303 303 303 303 303 303 303 303", "POST"),
    "api/v1/inbox/": D("403 200 200 200 200 200 200 200 200"),
    "api/v1/inbox/read/": D("403 400 400 400 400 400 400 400 400", "POST"),
    "api/v1/inbox/summary/": D("403 200 200 200 200 200 200 200 200"),
    # 仪表盘 API (disputes.dashboard.api): the dashboard's doors, supervisors (their area and below) and administrators.
    "api/v1/dashboard/areas/": D("403 403 403 403 403 403 200 200 200"),
    "api/v1/dashboard/areas/<str:code>/": D("403 403 403 403 403 403 200/404 200 200"),
    "api/v1/dashboard/areas/<str:code>/cases/": D("403 403 403 403 403 403 200/404 200 200", extra=MEASURE),
    "api/v1/dashboard/areas/<str:code>/children/": D("403 403 403 403 403 403 200/404 200 200"),
    "api/v1/dashboard/areas/<str:code>/tables/<str:key>/": D("403 403 403 403 403 403 200/404 200 200"),
    # 民转刑 register API (disputes.api.conversions): as its pages.
    "api/v1/conversions/": D("403 403 403 403 403 403 200 200 200"),
    "api/v1/conversions/counts/": D("403 403 403 403 403 403 200 200 200"),
    "api/v1/conversions/<int:pk>/": D("403 404 404 404 404 404 200/404 200 200"),
    "api/v1/conversions/<int:pk>/review/": D("403 404 404 404 404 404 400/404 400 400", "POST"),
}


# --- The world every cell runs in -------------------------------------------------------------


@dataclass
class World:
    users: dict
    cases: dict  # "in" / "out" -> Dispute
    parties: dict
    attachments: dict
    tree: object
    departments: dict
    category: object
    petitions: dict  # "in" / "out" -> (Petition, PetitionLetter)
    orders: dict = field(default_factory=dict)  # "in" / "out" -> SupervisionOrder (督办单)
    conversions: dict = field(default_factory=dict)  # "in" / "out" -> CriminalConversion (民转刑)


@pytest.fixture
def world(tree, category, departments, staff_a, settings, tmp_path, django_user_model) -> World:
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    mediator = staff_a[Role.MEDIATOR]
    other_mediator = UserFactory(username="mediator-b")
    cases = {
        "in": case_in(
            Status.AWAITING_CALLBACK,
            grid=tree.grid_a,
            category=category,
            department=departments["a"],
            mediator=mediator,
        ),
        "out": case_in(
            Status.AWAITING_CALLBACK,
            grid=tree.grid_b,
            category=category,
            department=departments["b"],
            mediator=other_mediator,
        ),
    }
    parties, attachments = {}, {}
    for key, case in cases.items():
        with_agreement(case)
        parties[key] = PartyFactory(dispute=case)
        storage_name = key * 16
        stored = tmp_path / "private" / storage_name[:2] / storage_name
        stored.parent.mkdir(parents=True)
        stored.write_bytes(b"jpg")
        attachments[key] = Attachment.objects.create(
            dispute=case,
            storage_name=storage_name,
            original_name="photo.jpg",
            content_type="image/jpeg",
            size=3,
            sha256="0" * 64,
        )
    petitions = _petitions(tree, category, departments)
    users = {
        ANON: None,
        RESIDENT: UserFactory(username="resident-with-nothing"),
        SUPERUSER: django_user_model.objects.create_superuser("root", "root@example.org", "a-long-password-1"),
    }
    users.update({role.value: user for role, user in staff_a.items()})
    found = World(users, cases, parties, attachments, tree, departments, category, petitions)
    found.orders = _orders(tree, cases, departments)
    found.conversions = _conversions(cases)
    return found


def _conversions(cases) -> dict:
    """A 民转刑 record on each case (written directly: who may record one is in test_authorization_writes.py)."""
    day = cases["in"].created_at.date()
    return {
        where: CriminalConversion.objects.create(
            dispute=case,
            kind=CriminalConversion.Kind.CRIMINAL,
            area_path=case.area_path,
            police_case_number=f"A33010{index}",
            occurred_on=day,
            reported_on=day,
            summary="纠纷升级为故意伤害案件",
        )
        for index, (where, case) in enumerate(cases.items())
    }


def _orders(tree, cases, departments) -> dict:
    """A 督办单 on each case from its township's office: "in" to a person outside the matrix, "out" to B's committee."""
    recipient = UserFactory(username="order-recipient")
    StaffFactory(user=recipient, role=Role.MEDIATOR, area=tree.town_a, department=departments["a"])
    specs = [
        OrderSpec(case=cases["in"], issuing_area=tree.town_a, reason="超期未回访", to_user=recipient),
        OrderSpec(case=cases["out"], issuing_area=tree.town_b, reason="超期未回访", to_department=departments["b"]),
    ]
    made = orders_issue(specs=specs, actor=Actor.system())
    return {"in": made[0], "out": made[1]}


def _petitions(tree, category, departments) -> dict:
    """A petition (信访件) about village A and one about village B, each accepted and with a reminder letter."""
    bureau = DepartmentFactory(name="西湖区信访局", kind=DepartmentKind.PETITIONS_BUREAU, area=tree.county)
    clerk = UserFactory(username="petitions-clerk")
    StaffFactory(user=clerk, role=Role.DEPARTMENT_STAFF, area=tree.county, department=bureau)
    actor = Actor.for_user(clerk)
    found = {}
    for where, village, department in (("in", tree.village_a, "a"), ("out", tree.village_b, "b")):
        petition = petition_services.petition_register(
            actor=actor,
            form=PetitionForm.VISIT,
            matter="村里征地补偿款一直没有发放到位，多次找村委会都没有结果，请求尽快发放补偿款。",
            area=village,
            category=category,
            receiving_office=bureau,
            petitioners=[{"name": "王五", "phone": "13600136000", "id_number": "", "address": ""}],
            leader_name="李副区长",
        )
        petition = petition_services.petition_decide(
            petition=petition, actor=actor, decision="accept", handling_department=departments[department]
        )
        letter = petition_services.petition_issue_letter(petition=petition, actor=actor, kind=LetterKind.REMINDER)
        found[where] = (petition, letter)
    return found


CONVERSION_PAGES = ("disputes:conversion", "disputes:conversion_print")


def kwargs_for(name: str, route: str, world: World, where: str) -> dict:
    """URL arguments naming a thing inside ("in") or outside ("out") township A."""
    case = world.cases[where]
    area = world.tree.town_a if where == "in" else world.tree.town_b
    values = {
        "tracking_number": case.tracking_number,
        "party_id": world.parties[where].pk,
        "code": area.code,
        "token": case.pk,
        "action": "session",
        "table": "figures",
        "key": "figures",
        "fmt": "csv",
        "service_code": world.category.code,
        "request_id": case.tracking_number,
        "source_number": case.tracking_number,
        "uidb64": "MQ",
        "pk": None,
    }
    if name == "disputes:submitted":
        values["token"] = signing.dumps({"d": case.pk, "m": False}, salt=SUBMITTED_SALT, compress=True)
    elif name == "disputes:rate":
        values["token"] = rating_token(case)
    elif name == "password_reset_confirm":
        values["token"] = "set-password"
    if name.startswith(("petitions:", "api:petition-")):
        petition, letter = world.petitions[where]
        values["tracking_number"], values["pk"] = petition.tracking_number, letter.pk
        if name.endswith(("petitioner_reveal", "petitioner-reveal")):
            values["pk"] = petition.petitioners.first().pk
    elif name.startswith("api:conversion-") and name != "api:conversion-counts" or name in CONVERSION_PAGES:
        values["pk"] = world.conversions[where].pk
    elif name.startswith(("api:order-", "disputes:order_")) or name == "disputes:order":
        values["pk"] = world.orders[where].pk
    elif name == "disputes:withdrawal_decide":
        values["pk"] = 2**31 - 1  # a request that is nobody's
    elif name == "inbox_open":
        values["pk"] = 2**31 - 1  # an item that is nobody's here
    elif name == "disputes:case_attachment":
        values["pk"] = world.attachments[where].pk
    elif name.startswith("grids:department"):
        values["pk"] = world.departments["a" if where == "in" else "b"].pk
    elif name == "grids:area_children":
        values["pk"] = area.pk
    if name.startswith("open311:"):
        values["fmt"] = "json"
    pattern_args = [a for a in values if f"<{a}>" in route or f":{a}>" in route or f"?P<{a}>" in route]
    return {a: values[a] for a in pattern_args}


def status_class(response) -> str:
    code = response.status_code
    location = response.get("Location", "")
    if code == 302 and ("/accounts/login/" in location or "/admin/login/" in location):
        return "302L"
    return str(code)


def request_cell(client, world: World, name: str, route: str, decision: Decision, role: str, where: str) -> str:
    # Each cell from its own address, so the public doors' per-address limits never decide a cell.
    client.defaults["REMOTE_ADDR"] = f"10.1.{ROLES.index(role)}.{1 if where == 'in' else 2}"
    client.logout()
    user = world.users[role]
    if user is not None:
        client.force_login(user)
    if route == ADMIN_KEY:
        url = reverse("admin:index")
    else:
        url = reverse(name, kwargs=kwargs_for(name, route, world, where))
    if decision.method == "POST":
        if route.startswith("api/"):
            response = client.post(url, data=json.dumps(decision.extra), content_type="application/json")
        else:
            response = client.post(url, decision.extra)
    else:
        response = client.get(url, decision.extra)
    return status_class(response)


# --- The tests --------------------------------------------------------------------------------

PATTERNS = url_patterns()


def test_every_url_pattern_has_a_decision():
    routes = {route for route, _name in PATTERNS}
    missing = sorted(routes - DECISIONS.keys())
    stale = sorted(DECISIONS.keys() - routes)
    assert not missing, "URL patterns without an authorisation decision in DECISIONS: " + ", ".join(missing)
    assert not stale, "DECISIONS for URL patterns that no longer exist: " + ", ".join(stale)


@pytest.mark.parametrize(("route", "name"), PATTERNS, ids=[r or "<root>" for r, _n in PATTERNS])
def test_authorization_matrix(client, world, route, name):
    decision = DECISIONS.get(route)
    if decision is None:
        pytest.fail(f"no decision for {route!r} ({name}): add it to DECISIONS")
    wrong = []
    places = ("in", "out") if decision.scoped else ("in",)
    for role, codes in decision.expected().items():
        wanted = codes if len(codes) == len(places) else codes * len(places)
        for where, want in zip(places, wanted, strict=True):
            got = request_cell(client, world, name, route, decision, role, where)
            if got != want:
                wrong.append(f"{role}/{where}: expected {want}, got {got}")
    assert not wrong, f"{decision.method} {route}: " + "; ".join(wrong)


@pytest.mark.parametrize("url_name", ["api:case-list", "api:dispatch-queue"])
def test_an_account_without_a_staff_profile_lists_no_cases(client, world, url_name):
    """The 200s of the resident column above: the list answers, and it is empty."""
    client.force_login(world.users[RESIDENT])

    body = client.get(reverse(url_name)).json()

    rows = body["results"] if isinstance(body, dict) else body
    assert rows == []
    # The same list for the supervisor of township A is not empty, so the check can fail.
    client.force_login(world.users[Role.SUPERVISOR.value])
    body = client.get(reverse("api:case-list")).json()
    assert (body["results"] if isinstance(body, dict) else body) != []


def test_the_petition_list_shows_only_the_users_area(client, world):
    numbers = [petition.tracking_number_display for petition, _letter in world.petitions.values()]
    client.force_login(world.users[Role.SUPERVISOR.value])
    page = client.get(reverse("petitions:list")).content.decode()
    assert numbers[0] in page and numbers[1] not in page


def test_the_matrix_covers_every_role_and_place():
    cells = sum(len(ROLES) * (2 if DECISIONS[route].scoped else 1) for route, _name in PATTERNS)
    assert len(PATTERNS) == len(DECISIONS)
    assert cells > 600  # a number to quote; it grows with every endpoint
