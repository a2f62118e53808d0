"""收件箱: the staff inbox, read from the outbox's staff rows (`core.models.Notification`, channel=staff).

Every staff notification the apps write (`core.notifications.notify_staff*`) is an
inbox item of its recipient: assignments, reminders, ladder steps, 督办 orders,
assistance invitations, reopened cases, transfers, returns, 包案, withdrawals,
petitions. This module is the reads and writes over them for one reader; pages and
the API are thin doors on it (core/inbox_views.py, core/inbox_api.py).

Costs, because the header shows the unread count on every staff page:

- `inbox_unread_count` is one query, a COUNT over at most UNREAD_CAP rows of the
  partial index `notification_unread` (recipient, unread staff rows): a reader with
  ten thousand unread items costs what one with a hundred does; the header shows "99+".
- `inbox_items` reads a page newest first along `notification_inbox` (recipient, -id)
  with a keyset (`before_id`), plus at most one query for the pages of the items
  that name a case but no link.

Groups (filters) follow the kind's prefix, so a kind another app adds later
("order_escalated", "withdrawal_decided") falls into its group without a change here.

Links: an item stores the page it leads to (`link`); older call sites store only
the case's id (`dispute_id`). Core imports no app, so the disputes app hands over,
when it starts, how to turn case ids into their pages (`use_case_links`, called
from `DisputesConfig.ready`); without it those items simply have no link.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models, router
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from core.models import Notification

# The header counts at most this many unread items (one more than it shows: "99+").
UNREAD_CAP = 100
PAGE_SIZE = 25
MAX_PAGE_SIZE = 100
# Ids a reader may mark read in one request.
MAX_IDS = 500
# The largest id PostgreSQL's bigint holds: ids from a request are checked against it.
MAX_ID = 2**63 - 1


class Group(models.TextChoices):
    """What an inbox item is about: the inbox's filters."""

    ASSIGNMENT = "assignment", _("Assignments")
    REMINDER = "reminder", _("Reminders")
    ESCALATION = "escalation", _("Escalations")
    SUPERVISION = "supervision", _("Supervision orders")
    ASSISTANCE = "assistance", _("Assistance invitations")
    REOPEN = "reopen", _("Reopened cases")
    TRANSFER = "transfer", _("Transfers")
    RETURN = "return", _("Returns")
    LEADER = "leader", _("Case leaders")
    WITHDRAWAL = "withdrawal", _("Withdrawals")
    PETITION = "petition", _("Petitions")
    JUDICIAL = "judicial", _("Judicial confirmation")
    OTHER = "other", _("Other")


# Kind prefixes of each group (a kind belongs to the group of the prefix it starts with; no
# prefix starts another group's, so every kind has exactly one group). "head_reminder" is the
# ladder's department-head rung, so an escalation; "order_*" are 督办 orders' later steps.
GROUP_PREFIXES: dict[Group, tuple[str, ...]] = {
    Group.ASSIGNMENT: ("assigned", "assignment"),
    Group.REMINDER: ("deadline_reminder", "reminder"),
    Group.ESCALATION: ("escalat", "head_reminder", "ladder"),
    Group.SUPERVISION: ("supervision", "order_"),
    Group.ASSISTANCE: ("assistance",),
    Group.REOPEN: ("reopen",),
    Group.TRANSFER: ("transfer",),
    Group.RETURN: ("return",),
    Group.LEADER: ("leader_",),
    Group.WITHDRAWAL: ("withdrawal",),
    Group.PETITION: ("petition_",),
    Group.JUDICIAL: ("judicial",),
}


def group_of(kind: str) -> Group:
    """The group a notification kind belongs to (OTHER when no prefix matches)."""
    for group, prefixes in GROUP_PREFIXES.items():
        if kind.startswith(prefixes):
            return group
    return Group.OTHER


def _group_filter(group: Group) -> Q:
    if group == Group.OTHER:
        known = Q()
        for prefixes in GROUP_PREFIXES.values():
            for prefix in prefixes:
                known |= Q(kind__startswith=prefix)
        return ~known
    found = Q()
    for prefix in GROUP_PREFIXES[group]:
        found |= Q(kind__startswith=prefix)
    return found


# --- Links to the cases (filled in by the disputes app) -----------------------------------------

type CaseLinks = Callable[[set[int]], dict[int, str]]
_case_links: CaseLinks | None = None


def use_case_links(resolve: CaseLinks | None) -> None:
    """`resolve(dispute_ids)` → {id: the case's staff page}, in one query (DisputesConfig.ready; None forgets it)."""
    global _case_links
    _case_links = resolve


def is_local_path(link: str) -> bool:
    """Whether `link` is a path on this site (an item never leads elsewhere, whatever was stored)."""
    return (
        link.startswith("/")
        and not link.startswith(("//", "/\\"))
        and url_has_allowed_host_and_scheme(link, allowed_hosts=None, require_https=False)
    )


# --- Reads ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class InboxItem:
    id: int
    kind: str
    group: Group
    body: str
    created_at: datetime
    read_at: datetime | None
    link: str  # a local path, or "" when the item leads nowhere

    @property
    def unread(self) -> bool:
        return self.read_at is None

    @property
    def group_label(self) -> str:
        return str(self.group.label)


@dataclass(frozen=True)
class InboxPage:
    items: list[InboxItem]
    # The `before_id` of the next (older) page; None on the last page.
    next_before: int | None


@dataclass(frozen=True)
class InboxSummary:
    unread: int  # capped at UNREAD_CAP
    latest_id: int | None  # the reader's newest item, read or not
    new: int | None  # items newer than `since` (capped), when asked

    @property
    def unread_display(self) -> str:
        return unread_display(self.unread)

    @property
    def unread_label(self) -> str:
        return unread_label(self.unread)


def _signed_in(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.pk is not None)


def _own(user: Any) -> QuerySet[Notification]:
    # channel=staff as a literal condition: both partial indexes are defined with it.
    return Notification.objects.filter(recipient_user_id=user.pk, channel=Notification.Channel.STAFF)


def _own_unread(user: Any) -> QuerySet[Notification]:
    return _own(user).filter(read_at__isnull=True)


# Stands for the reader's id in the count's compiled parameters (no real user has it).
_READER = -7_000_001


@cache
def _unread_count_statement(alias: str) -> tuple[str, tuple[Any, ...]]:
    """The count's SQL, compiled by the ORM once per process and database.

    The header runs it on every staff page: building and compiling the queryset cost
    more than the index read itself (about 1 ms of the 2 ms budget under load). The
    statement is the ORM's own, for the database's vendor; only the reader's id changes.
    """
    rows = Notification.objects.filter(
        recipient_user_id=_READER, channel=Notification.Channel.STAFF, read_at__isnull=True
    ).order_by()
    sql, params = rows.values("pk")[:UNREAD_CAP].query.get_compiler(alias).as_sql()
    # COUNT over the LIMIT subquery: it stops at the cap whatever the reader's backlog.
    return "SELECT COUNT(*) FROM (" + sql + ") AS unread", tuple(params)  # noqa: S608  # nosec B608 - the ORM's compiled SQL; values are parameters


def inbox_unread_count(user: Any) -> int:
    """The reader's unread items, counted up to UNREAD_CAP: one query (none for an anonymous user)."""
    if not _signed_in(user):
        return 0
    alias = router.db_for_read(Notification) or DEFAULT_DB_ALIAS
    sql, params = _unread_count_statement(alias)
    with connections[alias].cursor() as cursor:
        cursor.execute(sql, [user.pk if p == _READER else p for p in params])
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def unread_display(count: int) -> str:
    """The badge's text: the number, or "99+" from UNREAD_CAP on."""
    return f"{UNREAD_CAP - 1}+" if count >= UNREAD_CAP else str(count)


def unread_label(count: int) -> str:
    """The badge's accessible name: "3 条未读消息"."""
    if count >= UNREAD_CAP:
        return gettext("More than %(count)s unread messages") % {"count": UNREAD_CAP - 1}
    return ngettext("%(count)s unread message", "%(count)s unread messages", count) % {"count": count}


def _items(rows: Iterable[Notification]) -> list[InboxItem]:
    rows = list(rows)
    wanted = {r.dispute_id for r in rows if not r.link and r.dispute_id is not None}
    links = _case_links(wanted) if wanted and _case_links is not None else {}
    found = []
    for r in rows:
        link = r.link or (links.get(r.dispute_id, "") if r.dispute_id is not None else "")
        found.append(
            InboxItem(
                id=r.pk,
                kind=r.kind,
                group=group_of(r.kind),
                body=r.body,
                created_at=r.created_at,
                read_at=r.read_at,
                link=link if is_local_path(link) else "",
            )
        )
    return found


def inbox_items(
    user: Any,
    *,
    unread_only: bool = False,
    group: Group | str | None = None,
    before_id: int | None = None,
    limit: int = PAGE_SIZE,
) -> InboxPage:
    """A page of the reader's items, newest first, older than `before_id` when given.

    One query for the page (limit + 1 rows, to know whether there is another), and one
    more only when some items name a case without a link.
    """
    if not _signed_in(user):
        return InboxPage([], None)
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    rows = _own_unread(user) if unread_only else _own(user)
    if group:
        rows = rows.filter(_group_filter(Group(group)))
    if before_id is not None:
        rows = rows.filter(pk__lt=before_id)
    fetched = list(
        rows.order_by("-pk").only("pk", "kind", "body", "created_at", "read_at", "link", "dispute_id")[: limit + 1]
    )
    more = len(fetched) > limit
    fetched = fetched[:limit]
    return InboxPage(_items(fetched), fetched[-1].pk if more and fetched else None)


def inbox_summary(user: Any, *, since: int | None = None) -> InboxSummary:
    """What the header's poll needs: the unread count, the newest item's id, and how many are newer than `since`.

    Two index reads (three with `since`); all small, whatever the reader's history.
    """
    if not _signed_in(user):
        return InboxSummary(0, None, None if since is None else 0)
    latest = _own(user).order_by("-pk").values_list("pk", flat=True).first()
    new = None
    if since is not None:
        new = (
            0 if latest is None or latest <= since else _own(user).filter(pk__gt=since).order_by()[:UNREAD_CAP].count()
        )
    return InboxSummary(inbox_unread_count(user), latest, new)


# --- Writes --------------------------------------------------------------------------------------


def inbox_mark_read(user: Any, *, ids: Iterable[int] | None = None, all: bool = False) -> int:
    """Mark the reader's own items read: those in `ids`, or every unread one with `all`. Returns how many changed.

    Another reader's ids are ignored (not an error: the answer is the same as for an id that
    does not exist). Items already read keep their first reading time, so marking twice
    changes nothing.
    """
    if not _signed_in(user):
        return 0
    rows = _own_unread(user)
    if not all:
        wanted = {i for i in (ids or ()) if 0 < i <= MAX_ID}
        if not wanted:
            return 0
        rows = rows.filter(pk__in=wanted)
    now = timezone.now()
    return rows.update(read_at=now, updated_at=now)


def inbox_open(user: Any, *, item_id: int) -> InboxItem | None:
    """The reader's item `item_id`, marked read: the page "open" leads to. None when it is not theirs."""
    if not _signed_in(user) or not 0 < item_id <= MAX_ID:
        return None
    row = (
        _own(user).filter(pk=item_id).only("pk", "kind", "body", "created_at", "read_at", "link", "dispute_id").first()
    )
    if row is None:
        return None
    if row.read_at is None:
        row.read_at = timezone.now()
        _own(user).filter(pk=row.pk, read_at__isnull=True).update(read_at=row.read_at, updated_at=row.read_at)
    return _items([row])[0]
