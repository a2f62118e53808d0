"""The site menu (core.navigation): each app's entries, shown by role without role names in the template.

The expected menus are the ones `templates/base.html` spelled out by hand before the apps declared them.
"""

import re

import pytest
from django.urls import reverse

from core import navigation
from grids.models import Role
from tests.factories import UserFactory

PUBLIC = ["disputes:submit", "disputes:track"]
# "inbox" is core's own entry (收件箱, every signed-in account), first of the staff menu.
EVERY_SIGNED_IN = [*PUBLIC, "inbox", "disputes:queue", "disputes:walk_in", "grids:places"]
CALLBACKS = ["disputes:callbacks"]
# 督办 (disputes:orders): supervisors' issued orders, handlers' orders to them; between spot checks and the dashboard.
ORDERS = ["disputes:orders"]
# 撤回审批 (disputes:withdrawals): the pending withdrawal requests, for supervisors and administrators.
# 民转刑 / 刑转命 台账 (disputes:conversions): after the dashboard, for supervisors and administrators.
SUPERVISION = ["disputes:spot_checks", "disputes:withdrawals", *ORDERS, "disputes:dashboard", "disputes:conversions"]
EXPECTED = {
    "anonymous": PUBLIC,
    "no_role": EVERY_SIGNED_IN,
    Role.MEDIATOR: EVERY_SIGNED_IN + ORDERS,
    Role.DEPARTMENT_STAFF: EVERY_SIGNED_IN + ORDERS,
    Role.DISPATCHER: EVERY_SIGNED_IN,
    Role.CALLBACK_CALLER: EVERY_SIGNED_IN + CALLBACKS,
    Role.SUPERVISOR: EVERY_SIGNED_IN + CALLBACKS + SUPERVISION,
    Role.ADMIN: EVERY_SIGNED_IN + CALLBACKS + SUPERVISION,
    "superuser": EVERY_SIGNED_IN + CALLBACKS + SUPERVISION,
    "superuser_mediator": EVERY_SIGNED_IN + CALLBACKS + SUPERVISION,
}


def nav_links(html: str) -> list[str]:
    nav = html.split('class="site-nav"', 1)[1].split("</nav>", 1)[0]
    return re.findall(r'<a href="([^"]+)"', nav)


@pytest.fixture
def user_for(staff_a, make_staff, tree):
    def make(who):
        if who == "anonymous":
            return None
        if who == "no_role":
            return UserFactory()
        if who == "superuser":
            return UserFactory(is_superuser=True, is_staff=True)
        if who == "superuser_mediator":
            user = make_staff(Role.MEDIATOR, area=tree.town_a)
            user.is_superuser = True
            user.save()
            return user
        return staff_a[who]

    return make


@pytest.mark.django_db
@pytest.mark.parametrize("who", list(EXPECTED))
def test_the_menu_of_each_kind_of_user(client, user_for, who):
    user = user_for(who)
    if user is not None:
        client.force_login(user)
    # The resident form renders base.html for everyone (staff pages would refuse some of these users).
    html = client.get(reverse("disputes:track")).content.decode()
    assert nav_links(html) == [reverse(name) for name in EXPECTED[who]]


def test_each_app_declares_its_entries_and_core_names_none():
    names = [entry.url_name for entry in navigation.entries()]
    assert names == PUBLIC + ["inbox", "disputes:queue", "disputes:walk_in", "grids:places", *CALLBACKS, *SUPERVISION]
    with open("templates/base.html", encoding="utf-8") as template:
        text = template.read()
    assert not any(role in text for role in Role.values), "base.html names a role"
