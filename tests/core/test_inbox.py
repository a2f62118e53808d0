"""收件箱: the staff inbox's reads and writes (core.inbox) and the SMS copy of staff messages."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from django.utils import translation

from core import inbox, notifications
from core.inbox import Group
from core.models import Notification
from disputes.apps import case_links
from disputes.rules.enums import Status
from grids.models import Role
from tests.disputes.cases import case_in
from tests.factories import StaffFactory, UserFactory

pytestmark = pytest.mark.django_db


def staff_item(user, kind="assigned", body="新案件已分派给您。", **fields) -> Notification:
    return Notification.objects.create(
        channel=Notification.Channel.STAFF, recipient_user=user, kind=kind, body=body, **fields
    )


def many_items(user, n: int, kind: str = "deadline_reminder") -> None:
    Notification.objects.bulk_create(
        Notification(channel=Notification.Channel.STAFF, recipient_user=user, kind=kind, body=f"提醒 {i}")
        for i in range(n)
    )


# --- The unread count -------------------------------------------------------------------------


def test_unread_count_is_capped_and_shown_as_99_plus(django_assert_num_queries):
    reader = UserFactory()
    many_items(reader, 150)
    with django_assert_num_queries(1):
        count = inbox.inbox_unread_count(reader)
    assert count == inbox.UNREAD_CAP == 100
    assert inbox.unread_display(count) == "99+"
    assert inbox.unread_display(99) == "99"
    with translation.override("en"):
        assert inbox.unread_label(3) == "3 unread messages"
        assert inbox.unread_label(1) == "1 unread message"
        assert inbox.unread_label(count) == "More than 99 unread messages"
    with translation.override("zh-hans"):
        assert inbox.unread_label(3) == "3 条未读消息"


def test_unread_count_counts_only_the_readers_own_unread_staff_rows(django_assert_num_queries):
    reader, other = UserFactory(), UserFactory()
    staff_item(reader)
    staff_item(reader, read_at=staff_item(reader).created_at)  # one read
    staff_item(other)
    # An SMS to the same person's phone is not an inbox item, even with the user set.
    Notification.objects.create(
        channel=Notification.Channel.SMS, recipient_user=reader, recipient_phone="13800138000", kind="x", body="b"
    )
    assert inbox.inbox_unread_count(reader) == 2
    assert inbox.inbox_unread_count(other) == 1
    with django_assert_num_queries(0):
        assert inbox.inbox_unread_count(AnonymousUser()) == 0
        assert inbox.inbox_unread_count(None) == 0


@pytest.mark.postgres  # the plan is PostgreSQL's (REQUIRE_SERVICES=1 fails it rather than skip)
def test_unread_count_uses_the_partial_unread_index():
    from django.db import connection

    reader = UserFactory()
    many_items(reader, 5)
    sql, params = inbox._unread_count_statement("default")
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")  # a tiny test table would be read whole anyway
        cursor.execute("EXPLAIN " + sql, [reader.pk if p == inbox._READER else p for p in params])
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("SET enable_seqscan = on")
    assert "notification_unread" in plan


# --- The list ---------------------------------------------------------------------------------


def test_items_are_newest_first_and_paged_by_id(django_assert_num_queries):
    reader = UserFactory()
    made = [staff_item(reader, body=f"第{i}条") for i in range(5)]
    staff_item(UserFactory(), body="别人的")
    with django_assert_num_queries(1):
        first = inbox.inbox_items(reader, limit=2)
    assert [i.id for i in first.items] == [made[4].pk, made[3].pk]
    assert first.next_before == made[3].pk
    second = inbox.inbox_items(reader, limit=2, before_id=first.next_before)
    assert [i.id for i in second.items] == [made[2].pk, made[1].pk]
    last = inbox.inbox_items(reader, limit=2, before_id=second.next_before)
    assert [i.id for i in last.items] == [made[0].pk]
    assert last.next_before is None
    assert inbox.inbox_items(AnonymousUser()).items == []


def test_unread_only_leaves_out_what_was_read():
    reader = UserFactory()
    unread = staff_item(reader)
    read = staff_item(reader)
    inbox.inbox_mark_read(reader, ids=[read.pk])
    page = inbox.inbox_items(reader, unread_only=True)
    assert [i.id for i in page.items] == [unread.pk]
    assert page.items[0].unread
    assert {i.id for i in inbox.inbox_items(reader).items} == {read.pk, unread.pk}


KINDS = {
    "assigned": Group.ASSIGNMENT,
    "deadline_reminder": Group.REMINDER,
    "head_reminder": Group.ESCALATION,
    "escalated": Group.ESCALATION,
    "supervision_order": Group.SUPERVISION,
    "order_escalated": Group.SUPERVISION,
    "order_signed": Group.SUPERVISION,
    "order_replied": Group.SUPERVISION,
    "assistance": Group.ASSISTANCE,
    "reopened": Group.REOPEN,
    "transfer": Group.TRANSFER,
    "return": Group.RETURN,
    "leader_set": Group.LEADER,
    "leader_needed": Group.LEADER,
    "withdrawal_requested": Group.WITHDRAWAL,
    "withdrawal_decided": Group.WITHDRAWAL,
    "petition_reminder_letter": Group.PETITION,
    "petition_callback_dissatisfied": Group.PETITION,
    "judicial_applied": Group.JUDICIAL,
    "something_new": Group.OTHER,
}


@pytest.mark.parametrize(("kind", "group"), KINDS.items())
def test_a_kind_falls_in_its_group_by_prefix(kind, group):
    assert inbox.group_of(kind) == group


def test_no_group_prefix_starts_another_groups_prefix():
    """Otherwise a kind could belong to two groups, and the filter and the label would disagree."""
    owners = [(prefix, group) for group, prefixes in inbox.GROUP_PREFIXES.items() for prefix in prefixes]
    for prefix, group in owners:
        for other, other_group in owners:
            if other_group != group:
                assert not other.startswith(prefix), (prefix, other)


def test_the_group_filter_in_the_query_agrees_with_group_of():
    reader = UserFactory()
    for kind in KINDS:
        staff_item(reader, kind=kind)
    for group in Group:
        listed = {i.kind for i in inbox.inbox_items(reader, group=group, limit=100).items}
        assert listed == {kind for kind, g in KINDS.items() if g == group}, group


# --- Links ------------------------------------------------------------------------------------


def test_items_naming_a_case_lead_to_its_page_in_one_more_query(tree, category, django_assert_num_queries):
    reader = UserFactory()
    cases = [case_in(Status.ACCEPTED, grid=tree.grid_a, category=category) for _ in range(3)]
    for case in cases:
        staff_item(reader, dispute_id=case.pk)
    stored = staff_item(reader, kind="petition_reminder_letter", link="/petitions/X1/")
    staff_item(reader, kind="other", link="https://elsewhere.example/phish")
    staff_item(reader, kind="other", link="//elsewhere.example/")
    with django_assert_num_queries(2):
        items = inbox.inbox_items(reader).items
    links = {i.id: i.link for i in items}
    assert links[stored.pk] == "/petitions/X1/"
    for case in cases:
        item = next(i for i in items if i.link.endswith(f"/{case.tracking_number}/"))
        assert item.link == reverse("disputes:case", kwargs={"tracking_number": case.tracking_number})
    # A stored link to another site is never offered.
    assert sum(1 for link in links.values() if not link) == 2


def test_without_the_disputes_hook_a_case_item_has_no_link(tree, category):
    reader = UserFactory()
    case = case_in(Status.ACCEPTED, grid=tree.grid_a, category=category)
    staff_item(reader, dispute_id=case.pk)
    inbox.use_case_links(None)
    try:
        assert inbox.inbox_items(reader).items[0].link == ""
    finally:
        inbox.use_case_links(case_links)
    assert inbox.inbox_items(reader).items[0].link.endswith(f"/{case.tracking_number}/")


def test_is_local_path():
    assert inbox.is_local_path("/work/case/ABC/")
    for link in ("", "work/", "//evil.example/", "/\\evil.example", "https://evil.example/", "javascript:alert(1)"):
        assert not inbox.is_local_path(link), link


# --- Marking read -----------------------------------------------------------------------------


def test_mark_read_touches_only_the_readers_own_items_and_is_idempotent():
    reader, other = UserFactory(), UserFactory()
    mine = staff_item(reader)
    theirs = staff_item(other)
    assert inbox.inbox_mark_read(reader, ids=[mine.pk, theirs.pk]) == 1
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.read_at is not None and theirs.read_at is None
    first_read = mine.read_at
    # Again: nothing changes, the first reading time stays.
    assert inbox.inbox_mark_read(reader, ids=[mine.pk]) == 0
    mine.refresh_from_db()
    assert mine.read_at == first_read
    assert inbox.inbox_mark_read(reader, ids=[]) == 0
    assert inbox.inbox_mark_read(reader, ids=[2**70]) == 0  # beyond any id: ignored, no database error
    assert inbox.inbox_mark_read(AnonymousUser(), all=True) == 0


def test_mark_all_read_leaves_other_readers_alone():
    reader, other = UserFactory(), UserFactory()
    many_items(reader, 4)
    many_items(other, 2)
    assert inbox.inbox_mark_read(reader, all=True) == 4
    assert inbox.inbox_unread_count(reader) == 0
    assert inbox.inbox_unread_count(other) == 2
    assert inbox.inbox_mark_read(reader, all=True) == 0


def test_open_marks_read_and_gives_the_link_only_to_its_reader(tree, category):
    reader, other = UserFactory(), UserFactory()
    case = case_in(Status.ACCEPTED, grid=tree.grid_a, category=category)
    item = staff_item(reader, dispute_id=case.pk)
    assert inbox.inbox_open(other, item_id=item.pk) is None
    item.refresh_from_db()
    assert item.read_at is None
    opened = inbox.inbox_open(reader, item_id=item.pk)
    assert opened is not None and opened.link.endswith(f"/{case.tracking_number}/")
    assert opened.read_at is not None
    assert inbox.inbox_unread_count(reader) == 0
    assert inbox.inbox_open(reader, item_id=2**70) is None


# --- The summary the header polls ---------------------------------------------------------------


def test_summary_gives_the_newest_id_and_the_items_since(django_assert_num_queries):
    reader = UserFactory()
    first = staff_item(reader)
    with django_assert_num_queries(2):
        summary = inbox.inbox_summary(reader)
    assert (summary.unread, summary.latest_id, summary.new) == (1, first.pk, None)
    assert inbox.inbox_summary(reader, since=first.pk).new == 0
    second = staff_item(reader)
    later = inbox.inbox_summary(reader, since=first.pk)
    assert (later.unread, later.latest_id, later.new) == (2, second.pk, 1)


# --- The SMS copy (STAFF_NOTIFY_SMS) ----------------------------------------------------------


def test_staff_messages_get_an_sms_copy_to_the_profile_phone_when_switched_on(
    settings, tree, django_capture_on_commit_callbacks
):
    settings.STAFF_NOTIFY_SMS = True
    user = UserFactory()
    StaffFactory(user=user, role=Role.MEDIATOR, area=tree.town_a, phone="13912345678")
    with django_capture_on_commit_callbacks(execute=False):
        item = notifications.notify_staff(user=user, kind="assigned", body="新案件已分派给您。", dispute_id=None)
    assert notifications.deliver(item.pk)
    assert notifications.deliver(item.pk)  # delivered twice (a retried task): still one copy
    copies = Notification.objects.filter(channel=Notification.Channel.SMS)
    assert [(c.recipient_phone, c.kind, c.body) for c in copies] == [("13912345678", "assigned", "新案件已分派给您。")]
    # The copy is not an inbox item.
    assert inbox.inbox_unread_count(user) == 1


def test_no_sms_copy_by_default_or_without_a_phone(settings, tree, django_capture_on_commit_callbacks):
    with_phone, without = UserFactory(), UserFactory()
    StaffFactory(user=with_phone, role=Role.MEDIATOR, area=tree.town_a, phone="13912345678")
    StaffFactory(user=without, role=Role.MEDIATOR, area=tree.town_a, phone="")
    with django_capture_on_commit_callbacks(execute=False):
        a = notifications.notify_staff(user=with_phone, kind="assigned", body="b")
        b = notifications.notify_staff(user=without, kind="assigned", body="b")
    notifications.deliver(a.pk)  # STAFF_NOTIFY_SMS is off by default
    settings.STAFF_NOTIFY_SMS = True
    notifications.deliver(b.pk)
    assert not Notification.objects.filter(channel=Notification.Channel.SMS).exists()
