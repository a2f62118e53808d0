"""The admin for areas, departments and staff: pages load, areas are appended and never moved."""

import pytest
from django.contrib import admin
from django.urls import reverse

from disputes.models import Dispute
from grids.models import Area, AreaLevel, Department, Role, StaffProfile
from tests.disputes.cases import case_in
from tests.factories import StaffFactory, UserFactory


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_superuser=True, is_staff=True)


@pytest.fixture
def client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def objects(tree, departments, category):
    user = UserFactory(username="mediator-1")
    profile = StaffFactory(user=user, role=Role.MEDIATOR, area=tree.town_a, department=departments["a"])
    profile.specialties.add(category)
    return {Area: tree.town_a, Department: departments["a"], StaffProfile: profile}


GRIDS_MODELS = [model for model in admin.site._registry if model._meta.app_label == "grids"]


def test_grids_models_are_registered():
    assert set(GRIDS_MODELS) == {Area, Department, StaffProfile}


@pytest.mark.parametrize("model", GRIDS_MODELS, ids=lambda m: m._meta.model_name)
def test_pages_load(client, objects, model):
    opts = model._meta
    obj = objects[model]
    for name, args in [("changelist", []), ("add", []), ("change", [obj.pk]), ("delete", [obj.pk])]:
        response = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_{name}", args=args))
        assert response.status_code == 200, (name, response.status_code)


def test_pages_are_chinese_by_default_and_english_under_en(client, objects):
    chinese = client.get(reverse("admin:grids_department_changelist"))
    assert chinese["Content-Language"] == "zh-hans"
    assert "选择" in chinese.text  # "选择 … 来修改": Select … to change
    english = client.get("/en" + reverse("admin:grids_department_changelist"))
    assert english.status_code == 200
    assert english["Content-Language"] == "en"
    assert "Select department to change" in english.text


@pytest.mark.parametrize(
    ("url_name", "query", "expected", "unexpected"),
    [
        ("admin:grids_area_changelist", {"q": "船山"}, "船山社区第一网格", "朝阳社区"),
        ("admin:grids_area_changelist", {"q": "360103002"}, "朝阳洲街道", "船山社区"),
        ("admin:grids_area_changelist", {"level": AreaLevel.GRID}, "朝阳社区第一网格", "朝阳洲街道"),
        ("admin:grids_department_changelist", {"q": "朝阳洲"}, "朝阳洲街道人民调解委员会", "南浦街道人民调解委员会"),
        ("admin:grids_staffprofile_changelist", {"role": Role.MEDIATOR}, "mediator-1", "dispatcher-x"),
    ],
)
def test_search_and_filters(client, objects, tree, url_name, query, expected, unexpected):
    StaffFactory(user=UserFactory(username="dispatcher-x"), role=Role.DISPATCHER, area=tree.town_b)
    response = client.get(reverse(url_name), query)
    assert response.status_code == 200
    assert expected in response.text
    assert unexpected not in response.text


def test_area_tree_shows_the_top_level(client, tree):
    response = client.get(reverse("admin:grids_area_changelist"))
    assert response.status_code == 200
    assert tree.city.name in response.text
    children = client.get(f"{reverse('admin:grids_area_changelist')}children/{tree.county.pk}/")
    assert children.status_code == 200
    assert tree.town_a.name in children.json()["result_html"]


def test_area_autocomplete_for_other_forms(client, objects):
    response = client.get(
        reverse("admin:autocomplete"),
        {"app_label": "grids", "model_name": "department", "field_name": "area", "term": "南浦"},
    )
    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == ["南浦街道 (360103001)"]


# --- Areas are appended, never moved ----------------------------------------------------------


def area_post(parent=None, **fields) -> dict:
    data = {
        "code": "360103001002",
        "name": "渔业社区",
        "name_en": "",
        "level": AreaLevel.VILLAGE,
        "population": 3000,
        "treebeard_position": "last-child",
        "treebeard_ref_node": parent.pk if parent else "",
        "_save": "Save",
    }
    data.update(fields)
    return data


def paths() -> dict[str, str]:
    return dict(Area.objects.values_list("code", "path"))


def test_add_an_area_as_the_last_child(client, tree):
    before = paths()
    response = client.post(reverse("admin:grids_area_add"), area_post(tree.town_a))
    assert response.status_code == 302, response.context and response.context["adminform"].form.errors
    new = Area.objects.get(code="360103001002")
    assert Area.objects.get_parent(new) == tree.town_a
    assert new.path > tree.village_a.path, "appended after the existing village"
    assert new.depth == tree.town_a.depth + 1
    assert {code: path for code, path in paths().items() if code != new.code} == before, "no other path moved"


@pytest.mark.parametrize("position", ["first-child", "left", "right"])
def test_add_ignores_positions_that_would_shift_siblings(client, tree, position):
    before = paths()
    data = area_post(tree.town_a, treebeard_position=position)
    response = client.post(reverse("admin:grids_area_add"), data)
    # The only position offered is "last child": anything else is not a valid choice.
    assert response.status_code == 200
    assert "treebeard_position" in response.context["adminform"].form.errors
    assert paths() == before


def test_add_a_new_top_level_area(client, tree):
    before = paths()
    response = client.post(reverse("admin:grids_area_add"), area_post(None, code="360200", level=AreaLevel.CITY))
    assert response.status_code == 302
    new = Area.objects.get(code="360200")
    assert new.is_root()
    assert {code: path for code, path in paths().items() if code != new.code} == before


@pytest.mark.parametrize("level", [AreaLevel.CITY, AreaLevel.COUNTY, AreaLevel.TOWNSHIP])
def test_add_refuses_a_level_not_below_the_parent(client, tree, level):
    before = paths()
    response = client.post(reverse("admin:grids_area_add"), area_post(tree.town_a, level=level))
    assert response.status_code == 200
    assert "level" in response.context["adminform"].form.errors
    assert paths() == before


def test_a_grid_cannot_be_a_parent(client, tree):
    form = client.get(reverse("admin:grids_area_add")).context["adminform"].form
    choices = set(form.fields["treebeard_ref_node"].queryset.values_list("pk", flat=True))
    assert tree.village_a.pk in choices
    assert tree.grid_a.pk not in choices


def test_change_form_has_no_position_fields(client, tree):
    response = client.get(reverse("admin:grids_area_change", args=[tree.village_a.pk]))
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "treebeard_position" not in form.fields
    assert "treebeard_ref_node" not in form.fields
    assert 'name="treebeard_ref_node"' not in response.text


def test_editing_an_area_keeps_its_place_even_if_asked_to_move(client, tree, category):
    case = case_in("submitted", grid=tree.grid_a, category=category)
    before = paths()
    data = area_post(
        tree.town_b,  # tampered: try to move 船山社区 under the other township
        code=tree.village_a.code,
        name="船山社区（新）",
        level=AreaLevel.VILLAGE,
        treebeard_position="first-child",
    )
    response = client.post(reverse("admin:grids_area_change", args=[tree.village_a.pk]), data)
    assert response.status_code == 302
    tree.village_a.refresh_from_db()
    assert tree.village_a.name == "船山社区（新）"
    assert paths() == before
    assert Area.objects.get_parent(tree.village_a) == tree.town_a
    # The case filed under it is still inside its township.
    assert Dispute.objects.filter(pk=case.pk, area_path__startswith=tree.town_a.path).exists()


@pytest.mark.parametrize(
    ("area", "level"),
    [("village_a", AreaLevel.TOWNSHIP), ("village_a", AreaLevel.GRID), ("grid_a", AreaLevel.VILLAGE)],
)
def test_editing_a_level_out_of_order_is_refused(client, tree, area, level):
    node = getattr(tree, area)
    data = area_post(None, code=node.code, name=node.name, level=level)
    response = client.post(reverse("admin:grids_area_change", args=[node.pk]), data)
    assert response.status_code == 200
    assert "level" in response.context["adminform"].form.errors
    node.refresh_from_db()
    assert node.level == getattr(tree, area).level


def test_drag_and_drop_moves_are_refused(client, tree):
    before = paths()
    response = client.post(
        f"{reverse('admin:grids_area_changelist')}move/",
        {"node": tree.village_a.pk, "target": tree.town_b.pk, "relation": "child"},
    )
    assert response.status_code == 400
    assert paths() == before


# --- Departments and staff -----------------------------------------------------------------------


def test_add_a_department(client, tree):
    response = client.post(
        reverse("admin:grids_department_add"),
        {
            "name": "南浦街道司法所",
            "name_en": "",
            "kind": "judicial_office",
            "area": tree.town_a.pk,
            "phone": "",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    assert Department.objects.filter(name="南浦街道司法所", area=tree.town_a).exists()


def test_staff_profile_form_widgets(client, objects):
    response = client.get(reverse("admin:grids_staffprofile_change", args=[objects[StaffProfile].pk]))
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert form.fields["area"].widget.widget.__class__.__name__ == "AutocompleteSelect"
    assert form.fields["specialties"].widget.widget.__class__.__name__ == "FilteredSelectMultiple"


def test_add_a_staff_profile(client, tree, departments, category):
    user = UserFactory(username="new-staff")
    response = client.post(
        reverse("admin:grids_staffprofile_add"),
        {
            "user": user.pk,
            "area": tree.town_b.pk,
            "department": departments["b"].pk,
            "role": Role.DEPARTMENT_STAFF,
            "specialties": [category.pk],
            "max_open_cases": 20,
            "phone": "",
            "display_name": "小王",
        },
    )
    assert response.status_code == 302
    profile = StaffProfile.objects.get(user=user)
    assert (profile.role, profile.area, list(profile.specialties.all())) == (
        Role.DEPARTMENT_STAFF,
        tree.town_b,
        [category],
    )
