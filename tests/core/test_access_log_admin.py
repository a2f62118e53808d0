"""个人信息访问记录 in the admin: superusers and portal administrators read it; nobody adds, edits or deletes."""

import pytest
from django.urls import reverse
from django.utils import translation

from core.audit import log_personal_data_access
from core.models import PersonalDataAccess
from grids.models import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:core_personaldataaccess_changelist"


@pytest.fixture
def rows(staff_a):
    mediator = staff_a[Role.MEDIATOR]
    return [
        log_personal_data_access(user=mediator, action="reveal", what="party.phone", case_ref="AAAA1111BBBB"),
        log_personal_data_access(user=mediator, action="export", what="dispute.parties", case_ref="CCCC2222DDDD"),
    ]


@pytest.fixture
def superuser():
    return UserFactory(username="root", is_superuser=True, is_staff=True)


def test_the_changelist_lists_the_rows_and_searches_and_filters(client, rows, superuser):
    client.force_login(superuser)
    page = client.get(reverse(CHANGELIST))
    assert page.status_code == 200
    text = page.content.decode()
    assert "AAAA1111BBBB" in text and "CCCC2222DDDD" in text and "party.phone" in text
    found = client.get(reverse(CHANGELIST), {"q": "CCCC2222"}).content.decode()
    assert "CCCC2222DDDD" in found and "AAAA1111BBBB" not in found
    by_user = client.get(reverse(CHANGELIST), {"q": rows[0].user.username}).content.decode()
    assert "AAAA1111BBBB" in by_user
    exported = client.get(reverse(CHANGELIST), {"action__exact": "export"}).content.decode()
    assert "CCCC2222DDDD" in exported and "AAAA1111BBBB" not in exported
    year = rows[0].at.year
    assert client.get(reverse(CHANGELIST), {"at__year": year}).status_code == 200


def test_nobody_adds_changes_or_deletes(client, rows, superuser):
    client.force_login(superuser)
    row = rows[0]
    assert client.get(reverse("admin:core_personaldataaccess_add")).status_code == 403
    delete = client.post(reverse("admin:core_personaldataaccess_delete", args=[row.pk]), {"post": "yes"})
    assert delete.status_code == 403
    change = client.post(
        reverse("admin:core_personaldataaccess_change", args=[row.pk]), {"what": "tampered", "case_ref": "X"}
    )
    assert change.status_code == 403
    # The bulk "delete selected" action is gone too.
    bulk = client.post(reverse(CHANGELIST), {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"})
    assert bulk.status_code in (200, 302)
    assert PersonalDataAccess.objects.count() == 2
    assert PersonalDataAccess.objects.get(pk=row.pk).what == "party.phone"


def test_only_superusers_and_portal_administrators_see_it(client, rows, make_staff, tree):
    from django.contrib.auth.models import Permission

    view = Permission.objects.get(codename="view_personaldataaccess")
    supervisor = make_staff(Role.SUPERVISOR, area=tree.town_a, username="sup")
    administrator = make_staff(Role.ADMIN, area=tree.city, username="portal-admin")
    for user in (supervisor, administrator):
        user.is_staff = True
        user.save()
        user.user_permissions.add(view)

    client.force_login(supervisor)
    assert client.get(reverse(CHANGELIST)).status_code == 403
    client.force_login(administrator)
    assert client.get(reverse(CHANGELIST)).status_code == 200


def test_the_admin_sees_who_reveals_an_unusual_volume(client, superuser, make_staff, tree, settings):
    """More than PERSONAL_DATA_REVEALS_ALERT_DAY reveals in 24 hours: named at the top and offered as a filter."""
    from datetime import timedelta

    from django.utils import timezone

    settings.PERSONAL_DATA_REVEALS_ALERT_DAY = 100
    heavy = make_staff(Role.DISPATCHER, area=tree.city, username="heavy-revealer")
    steady = make_staff(Role.MEDIATOR, area=tree.town_a, username="steady-mediator")
    yesterday_heavy = make_staff(Role.SUPERVISOR, area=tree.city, username="last-week")
    now = timezone.now()

    def reveals(user, count, *, ago, ref):
        PersonalDataAccess.objects.bulk_create(
            PersonalDataAccess(user=user, action="reveal", what="party.phone", case_ref=ref, at=now - ago)
            for _ in range(count)
        )

    reveals(heavy, 101, ago=timedelta(hours=2), ref="HEAVY0000001")
    reveals(steady, 100, ago=timedelta(hours=3), ref="STEADY000001")  # at the threshold, not over it
    reveals(yesterday_heavy, 300, ago=timedelta(hours=25), ref="OLDRUN000001")  # outside the 24 hours
    PersonalDataAccess.objects.bulk_create(  # exports are not reveals
        PersonalDataAccess(user=steady, action="export", what="dispute.parties", case_ref="EXPORT000001")
        for _ in range(5)
    )

    client.force_login(superuser)
    page = client.get(reverse(CHANGELIST))
    assert page.status_code == 200
    warnings = [str(m) for m in page.context["messages"]]
    assert len(warnings) == 1
    assert warnings[0].startswith("异常查看量") and "超过100次" in warnings[0]
    assert "heavy-revealer (101)" in warnings[0]
    assert "steady-mediator" not in warnings[0] and "last-week" not in warnings[0]
    html = page.content.decode()
    assert f"?heavy_revealer={heavy.pk}" in html and "heavy-revealer：查看101次" in html

    only_heavy = client.get(reverse(CHANGELIST), {"heavy_revealer": heavy.pk}).content.decode()
    assert "HEAVY0000001" in only_heavy and "STEADY000001" not in only_heavy and "OLDRUN000001" not in only_heavy

    with translation.override("en"):
        english = client.get(reverse(CHANGELIST))
    (warning,) = [str(m) for m in english.context["messages"]]
    assert warning.startswith(
        "Unusual reveal volume: more than 100 reveals in the last 24 hours by heavy-revealer (101)."
    )
    assert "heavy-revealer: 101 reveals" in english.content.decode()


def test_no_warning_when_nobody_passes_the_threshold(client, rows, superuser):
    client.force_login(superuser)
    page = client.get(reverse(CHANGELIST))
    assert not list(page.context["messages"])
    assert "heavy_revealer=" not in page.content.decode()


def test_the_unusual_volume_alert_counts_reveals_in_clear_not_masked_views(staff_a, settings):
    from core.admin import heavy_revealers

    settings.PERSONAL_DATA_REVEALS_ALERT_DAY = 3
    mediator, caller = staff_a[Role.MEDIATOR], staff_a[Role.CALLBACK_CALLER]
    for n in range(5):
        # Other cases listed beside a case (类案参考): traced, nothing shown in clear.
        log_personal_data_access(
            user=mediator, action="reveal", what="dispute.similar", case_ref=f"SIM{n}", detail={"masked": True}
        )
        log_personal_data_access(user=caller, action="reveal", what="party.phone", case_ref=f"PH{n}")
    assert [(username, count) for _id, username, count in heavy_revealers()] == [(caller.username, 5)]
    assert PersonalDataAccess.objects.filter(user=mediator).count() == 5
