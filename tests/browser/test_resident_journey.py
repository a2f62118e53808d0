"""The resident's main path in a real browser, on a phone-sized screen.

Scan a village's QR code → fill in the form with a photo → see the tracking
number → track the case with it and the phone number. Also: the place
cascade and "add another person" with JavaScript, and the weight of the
form page on first load.

Uses Debian's Chromium (/usr/bin/chromium) through the fixtures of
tests/browser/conftest.py; without it the test skips locally and fails in CI.
"""

import pytest
from django.core.cache import cache

from disputes.models import Attachment, Dispute
from disputes.rules.enums import Channel, PartyRole
from tests.browser.conftest import tiny_png

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = "13900139000"
# The resident's form page on first load (HTML + CSS + JS), a cheap phone on a slow network.
FIRST_LOAD_BUDGET = 150 * 1024


@pytest.fixture(autouse=True)
def fresh_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"


def test_scan_submit_and_track(live_server, phone, tree, category):
    url = f"{live_server.url}/submit/?place={tree.village_a.code}"
    responses = []
    phone.on("response", lambda response: responses.append(response))
    phone.goto(url, wait_until="load")
    loaded = list(responses)
    first_load = sum(len(r.body()) for r in loaded if r.ok)
    assert {r.url.rsplit("/", 1)[-1] for r in loaded} >= {"site.css", "area-select.js", "intake.js"}
    print(f"\nform page first load: {first_load / 1024:.1f} KB")
    assert first_load < FIRST_LOAD_BUDGET

    assert "南昌市 西湖区 南浦街道 船山社区" in phone.locator(".locked-place").inner_text()
    phone.select_option("#id_category", str(category.pk))
    phone.fill("#id_description", "楼上卫生间漏水，天花板发霉，多次沟通无果。")
    phone.fill("#id_occurred_place", "船山路12号")
    phone.fill("#id_applicant-name", "李四")
    phone.fill("#id_applicant-phone", PHONE)
    phone.fill("#id_parties-0-name", "王五")
    phone.check("#id_applicant-is_elderly")
    # The scale questions: a range, chosen by tapping its label (the whole row is the target).
    phone.click("label[for=id_people_band_2]")
    phone.click("label[for=id_amount_band_3]")
    phone.set_input_files(
        "#id_attachments", files=[{"name": "leak.png", "mimeType": "image/png", "buffer": tiny_png()}]
    )
    phone.check("#id_consent")
    phone.click("button.button--primary[type=submit]")

    phone.wait_for_url("**/submitted/**")
    groups = phone.locator(".tracking-number__group").all_inner_texts()
    number = "".join(groups)
    assert len(number) == 12
    case = Dispute.objects.get()
    assert case.tracking_number == number
    assert case.channel == Channel.QR and case.grid == tree.village_a
    assert case.parties.get(role=PartyRole.APPLICANT).is_elderly
    assert (case.people_band, case.people_involved, case.amount_band) == ("2-4", 2, "10k-100k")
    assert Attachment.objects.get(dispute=case).content_type == "image/png"

    phone.click(".actions a[href='/track/']")
    phone.fill("#id_tracking_number", " ".join(groups).lower())
    phone.fill("#id_phone", PHONE)
    phone.click("button.button--primary[type=submit]")
    phone.wait_for_selector(".status__sentence")
    assert number[:4] in phone.locator(".tracking-number").inner_text()
    assert phone.locator(".timeline li").count() >= 1
    # Fits the screen: nothing wider than the phone.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375


def test_the_cascade_and_add_person_work_in_the_page(live_server, phone, tree, category):
    requests: list[str] = []
    phone.on("request", lambda r: requests.append(r.url))
    phone.goto(f"{live_server.url}/en/submit/")
    # With JavaScript the "next level" button is hidden and the lists fill themselves.
    assert not phone.locator("[data-refine]").is_visible()
    phone.select_option("#id_area_2", str(tree.county.pk))
    phone.wait_for_selector(f"#id_area_3 option[value='{tree.town_a.pk}']", state="attached")
    phone.select_option("#id_area_3", str(tree.town_a.pk))
    phone.wait_for_selector(f"#id_area_4 option[value='{tree.village_a.pk}']", state="attached")
    assert phone.locator("#id_area_4").is_enabled()
    assert any("/en/areas/" in url and url.endswith("/children.json") for url in requests)
    # Choosing another county empties the lists below it.
    phone.select_option("#id_area_2", "")
    assert phone.locator("#id_area_4 option").count() == 1 and phone.locator("#id_area_4").is_disabled()

    form_posts = len([u for u in requests if u.endswith("/submit/")])
    phone.click("[data-add-party]")
    assert phone.locator("#id_parties-1-name").is_visible()
    assert phone.locator("#id_parties-TOTAL_FORMS").input_value() == "2"
    assert "Other person 2" in phone.locator("[data-party]").nth(1).inner_text()
    assert len([u for u in requests if u.endswith("/submit/")]) == form_posts, "added in the page, no round trip"
