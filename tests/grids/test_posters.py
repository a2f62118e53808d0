"""解纷码: printable QR posters for places and departments, for the staff of that area only."""

import io

import pytest
import segno

from grids.models import Role
from grids.views import submit_url


def expected_svg(url: str) -> bytes:
    out = io.BytesIO()
    segno.make(url, error="m").save(
        out, kind="svg", scale=10, border=2, xmldecl=False, omitsize=True, svgclass="qr-code", lineclass=None
    )
    return out.getvalue()


def test_staff_of_the_area_get_the_poster_and_its_qr_code(client, staff_a, tree, settings):
    settings.PUBLIC_BASE_URL = "https://tiaojie.example.cn"
    client.force_login(staff_a[Role.DISPATCHER])
    code = tree.village_a.code
    page = client.get(f"/places/{code}/poster/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "船山社区" in html and "南昌市 西湖区 南浦街道 船山社区" in html
    assert f'src="/places/{code}/qr.svg"' in html
    assert f"tiaojie.example.cn/submit/?place={code}" in html
    assert "poster.css" in html and "style=" not in html and "<script>" not in html
    svg = client.get(f"/places/{code}/qr.svg")
    assert svg.status_code == 200
    assert svg["Content-Type"] == "image/svg+xml"
    body = svg.content
    assert body.startswith(b"<svg") and b"<path" in body
    # The code encodes the public form of this place.
    assert submit_url(tree.village_a) == f"https://tiaojie.example.cn/submit/?place={code}"
    assert body == expected_svg(f"https://tiaojie.example.cn/submit/?place={code}")


def test_the_poster_is_in_chinese_even_from_the_english_pages(client, staff_a, tree):
    client.force_login(staff_a[Role.DISPATCHER])
    html = client.get(f"/en/places/{tree.village_a.code}/poster/").content.decode()
    assert 'lang="zh-Hans"' in html
    assert "Back to the list" in html  # the staff member's own controls stay in English


def test_another_area_is_not_found(client, staff_a, tree):
    client.force_login(staff_a[Role.DISPATCHER])
    assert client.get(f"/places/{tree.village_b.code}/poster/").status_code == 404
    assert client.get(f"/places/{tree.village_b.code}/qr.svg").status_code == 404
    assert client.get("/places/nope/poster/").status_code == 404


def test_admins_get_every_poster(client, staff_a, tree):
    client.force_login(staff_a[Role.ADMIN])
    assert client.get(f"/places/{tree.village_b.code}/poster/").status_code == 200


@pytest.mark.parametrize("path", ["/places/360103001001/poster/", "/places/360103001001/qr.svg", "/places/"])
def test_anonymous_visitors_are_sent_to_sign_in(client, tree, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_department_poster_opens_the_form_at_its_area(client, staff_a, departments, tree, settings):
    settings.PUBLIC_BASE_URL = "https://tiaojie.example.cn"
    client.force_login(staff_a[Role.DISPATCHER])
    department = departments["a"]
    html = client.get(f"/departments/{department.pk}/poster/").content.decode()
    assert department.name in html
    assert f"submit/?place={tree.town_a.code}" in html
    svg = client.get(f"/departments/{department.pk}/qr.svg").content
    assert svg == expected_svg(f"https://tiaojie.example.cn/submit/?place={tree.town_a.code}")
    assert client.get(f"/departments/{departments['b'].pk}/poster/").status_code == 404


def test_the_list_shows_the_villages_of_the_staff_area(client, staff_a, tree, departments):
    client.force_login(staff_a[Role.DISPATCHER])
    html = client.get("/places/").content.decode()
    assert f'href="/places/{tree.village_a.code}/poster/"' in html
    assert tree.village_b.code not in html
    assert "南浦街道" in html  # each village with its township
    departments_html = client.get("/places/", {"show": "departments"}).content.decode()
    assert f'href="/departments/{departments["a"].pk}/poster/"' in departments_html
    assert f'href="/departments/{departments["b"].pk}/poster/"' not in departments_html


def test_the_list_is_paginated_and_searchable(client, staff_a, tree, monkeypatch):
    from grids import views
    from tests.factories import area_child

    monkeypatch.setattr(views, "PLACES_PER_PAGE", 2)
    for i in range(3):
        area_child(tree.town_a, code=f"36010300100{i + 2}", name=f"新村{i}")
    client.force_login(staff_a[Role.DISPATCHER])
    first = client.get("/en/places/").content.decode()
    assert "Page 1 of 2" in first
    assert "新村2" in client.get("/places/", {"page": 2}).content.decode()
    found = client.get("/places/", {"q": "新村1"}).content.decode()
    assert "新村1" in found and "船山社区" not in found


def test_the_area_cascade_json_is_public_and_cacheable(client, tree):
    response = client.get(f"/areas/{tree.town_a.pk}/children.json")
    assert response.status_code == 200
    assert response.json() == {
        "id": tree.town_a.pk,
        "children": [{"id": tree.village_a.pk, "name": "船山社区", "level": 4}],
    }
    assert "public" in response["Cache-Control"]
    assert client.get("/areas/999999/children.json").status_code == 404


def test_the_admin_lists_link_to_each_poster(admin_client, tree, departments):
    # The tree opens lazily; a search lists the matching areas flat.
    village = admin_client.get(f"/admin/grids/area/?q={tree.village_b.code}").content.decode()
    assert f'href="/places/{tree.village_b.code}/poster/"' in village
    # The city has no poster of its own.
    city = admin_client.get("/admin/grids/area/").content.decode()
    assert tree.city.code in city and "/poster/" not in city
    department = departments["a"]
    listing = admin_client.get("/admin/grids/department/").content.decode()
    assert f'href="/departments/{department.pk}/poster/"' in listing
    assert admin_client.get(f"/departments/{department.pk}/poster/").status_code == 200
