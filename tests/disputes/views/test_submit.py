"""The public dispute form: one case stored on success; on any bad input the form again, with nothing stored."""

import re
from datetime import timedelta

import pytest
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone

from core.models import Notification
from disputes import intake
from disputes import views as dispute_views
from disputes.models import Attachment, CaseEvent, Dispute, Party
from disputes.rules.enums import Channel, EventKind, PartyRole
from tests.disputes.views.conftest import APPLICANT_PHONE, RESPONDENT_PHONE, VALID_ID, png_bytes

SUBMIT = "/submit/"


def rows() -> tuple[int, int, int, int]:
    return Dispute.objects.count(), Party.objects.count(), Attachment.objects.count(), Notification.objects.count()


def photo(name: str = "photo.png", content: bytes | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, png_bytes() if content is None else content, content_type="image/png")


def stored_files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_the_form_page_is_light_and_has_labelled_fields(client, tree, category):
    response = client.get(SUBMIT)
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    for field_id in ("id_category", "id_description", "id_occurred_on", "id_applicant-phone", "id_parties-0-name"):
        assert f'for="{field_id}"' in html, field_id
    assert 'name="website"' in html and 'tabindex="-1"' in html
    assert 'multiple accept="image/*,application/pdf"' in html or 'accept="image/*,application/pdf"' in html
    # A strict CSP comes later: nothing inline.
    assert "<script>" not in html and "onclick" not in html and "style=" not in html
    assert re.search(r'<script src="/static/js/area-select\.js" defer>', html)
    # The place cascade starts below the single city: the county list is filled, the rest waits.
    assert f'<option value="{tree.county.pk}">西湖区</option>' in html
    assert re.search(r'<select name="area_3"[^>]*disabled', html)


def test_a_valid_submission_stores_one_case_with_its_parties_attachment_and_sms(
    client, form_data, tree, category, private_storage
):
    response = client.post(SUBMIT, {**form_data(), "attachments": [photo()]})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert rows() == (1, 2, 1, 1)
    case = Dispute.objects.get()
    assert (case.channel, case.grid, case.category, case.occurred_place) == (
        Channel.WEB,
        tree.grid_a,
        category,
        "船山路12号",
    )
    assert timezone.localtime(case.occurred_at).date() == timezone.localdate() - timedelta(days=2)
    applicant, respondent = case.parties.order_by("id")
    assert (applicant.role, applicant.name, applicant.phone, applicant.id_number) == (
        PartyRole.APPLICANT,
        "李四",
        APPLICANT_PHONE,
        VALID_ID,
    )
    assert (respondent.role, respondent.name, respondent.phone) == (PartyRole.RESPONDENT, "王五", RESPONDENT_PHONE)
    attachment = case.attachments.get()
    assert (attachment.original_name, attachment.content_type, attachment.size) == (
        "photo.png",
        "image/png",
        len(png_bytes()),
    )
    assert len(stored_files(private_storage)) == 1
    sms = Notification.objects.get()
    assert (sms.channel, sms.recipient_phone, sms.kind) == ("sms", APPLICANT_PHONE, "submitted")
    assert case.tracking_number_display in sms.body

    confirmation = client.get(response["Location"])
    assert confirmation.status_code == 200
    html = confirmation.content.decode()
    for group in case.tracking_number_display.split():
        assert f'<span class="tracking-number__group">{group}</span>' in html
    assert confirmation["Referrer-Policy"] == "same-origin"
    assert "Cache-Control" in confirmation and "no-cache" in confirmation["Cache-Control"]


def test_vulnerable_flags_and_a_third_party_are_stored(client, form_data):
    data = form_data(
        **management_overrides(2),
        **{
            "applicant-is_elderly": "on",
            "parties-1-role": "third_party",
            "parties-1-name": "王小明",
            "parties-1-is_minor": "on",
        },
    )
    assert client.post(SUBMIT, data).status_code == 302
    parties = {p.name: p for p in Party.objects.all()}
    assert parties["李四"].is_elderly and not parties["李四"].is_minor
    assert parties["王小明"].role == PartyRole.THIRD_PARTY and parties["王小明"].is_minor


def management_overrides(total: int) -> dict[str, str]:
    return {"parties-TOTAL_FORMS": str(total)}


def _future() -> str:
    return (timezone.localdate() + timedelta(days=1)).isoformat()


BAD_INPUTS = {
    "empty description": ({"description": "   "}, "id_description"),
    "future date": ({"occurred_on": _future}, "id_occurred_on"),
    "date in the year 1": ({"occurred_on": "0001-01-01"}, "id_occurred_on"),
    "unknown grid id": ({"area_5": "999999"}, "id_area_5"),
    "grid of another village": ({"area_5": "grid_b"}, "id_area_5"),
    "grid above village level": ({"area_4": None, "area_5": None}, "id_area_4"),
    "no place at all": ({"area_2": None, "area_3": None, "area_4": None, "area_5": None}, "id_area_2"),
    "invalid phone": ({"applicant-phone": "12345"}, "id_applicant-phone"),
    "landline instead of a mobile": ({"applicant-phone": "079188888888"}, "id_applicant-phone"),
    "bad ID checksum": ({"applicant-id_number": VALID_ID[:17] + ("0" if VALID_ID[17] != "0" else "1")}, None),
    "respondent with an invalid phone": ({"parties-0-phone": "1380013"}, "id_parties-0-phone"),
    "respondent without a name": ({"parties-0-name": ""}, "id_parties-0-name"),
    "unknown category": ({"category": "999999"}, "id_category"),
    "missing consent": ({"consent": None}, "id_consent"),
}


@pytest.mark.parametrize(("overrides", "field_id"), BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_input_shows_the_error_beside_the_field_and_stores_nothing(
    client, form_data, tree, overrides, field_id, private_storage
):
    overrides = {k: (v() if callable(v) else v) for k, v in overrides.items()}
    if overrides.get("area_5") == "grid_b":
        overrides["area_5"] = str(tree.grid_b.pk)
    field_id = field_id or "id_applicant-id_number"
    response = client.post(SUBMIT, {**form_data(**overrides), "attachments": [photo()]})
    assert response.status_code == 400
    html = response.content.decode()
    assert f'<p class="error" id="{field_id}_error">' in html, html[:3000]
    # The field points at its error for screen readers.
    tag = re.search(rf'<(input|select|textarea)[^>]*id="{re.escape(field_id)}"[^>]*>', html)
    assert tag is not None and f"{field_id}_error" in tag.group(0) and 'aria-invalid="true"' in tag.group(0)
    assert rows() == (0, 0, 0, 0)
    assert stored_files(private_storage) == []


DISGUISED_EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64


def _files(case: str) -> list[SimpleUploadedFile]:
    if case == "disguised":
        return [photo("photo.png", DISGUISED_EXE)]
    if case == "six":
        return [photo(f"photo{i}.png") for i in range(6)]
    return [photo("big.png", png_bytes() + b"\x00" * 200)]


@pytest.mark.parametrize("case", ["disguised", "six", "oversize"])
def test_bad_attachments_are_refused_beside_the_file_field(client, form_data, monkeypatch, case, private_storage):
    # A 10 MB upload costs time; a lower limit exercises the same check.
    monkeypatch.setattr(intake, "MAX_ATTACHMENT_BYTES", 150)
    response = client.post(SUBMIT, {**form_data(), "attachments": _files(case)})
    assert response.status_code == 400
    html = response.content.decode()
    assert '<p class="error" id="id_attachments_error">' in html
    expected = {
        "disguised": "“photo.png” is not a photo (JPEG, PNG, WebP, GIF) or a PDF.",
        "six": "At most 5 attachments are allowed.",
        "oversize": "Each attachment must be 10 MB or smaller.",
    }[case]
    with_translation = client.post("/en/submit/", {**form_data(), "attachments": _files(case)})
    assert expected in with_translation.content.decode()
    assert rows() == (0, 0, 0, 0)
    assert stored_files(private_storage) == []


def test_a_filled_honeypot_stores_nothing(client, form_data):
    response = client.post(SUBMIT, {**form_data(website="http://spam.example"), "attachments": [photo()]})
    assert response.status_code == 400
    assert 'id="form-error"' in response.content.decode()
    assert rows() == (0, 0, 0, 0)


def test_errors_are_in_english_on_the_english_page(client, form_data):
    response = client.post("/en/submit/", form_data(**{"applicant-phone": "12345", "occurred_on": _future()}))
    html = response.content.decode()
    assert "Enter a valid mobile phone number (11 digits)." in html
    assert "The date it happened cannot be in the future." in html


def test_the_english_page_has_english_labels(client, tree, category):
    response = client.get("/en/submit/")
    html = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="en">' in html
    assert "What kind of dispute is it?" in html
    assert "Your mobile phone number" in html
    assert ">Neighbour</option>" in html  # the category's English name


# --- Without JavaScript: the steps on the way -------------------------------------------------------


def test_show_the_places_below_fills_the_next_list_without_judging_the_form(client, tree, category):
    response = client.post(SUBMIT, {"area_2": str(tree.county.pk), "refine": "1", **management_empty()})
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<option value="{tree.town_a.pk}">南浦街道</option>' in html
    assert f'<option value="{tree.town_b.pk}">朝阳洲街道</option>' in html
    assert 'class="error"' not in html and "aria-invalid" not in html
    assert Dispute.objects.count() == 0


def management_empty() -> dict[str, str]:
    return {"parties-TOTAL_FORMS": "1", "parties-INITIAL_FORMS": "0"}


def test_add_another_person_posts_back_with_one_more_block(client, form_data, private_storage):
    response = client.post(SUBMIT, {**form_data(add_party="1"), "attachments": [photo()]})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="parties-TOTAL_FORMS" value="2"' in html
    assert 'id="id_parties-1-name"' in html
    assert 'value="王五"' in html, "what was typed is kept"
    assert (
        "Please choose your files again"
        in client.post("/en/submit/", {**form_data(add_party="1"), "attachments": [photo()]}).content.decode()
    )
    assert 'class="error"' not in html
    assert rows() == (0, 0, 0, 0)
    assert stored_files(private_storage) == []


def test_an_added_but_empty_block_is_ignored(client, form_data):
    assert (
        client.post(SUBMIT, form_data(**{"parties-TOTAL_FORMS": "2", "parties-1-role": "respondent"})).status_code
        == 302
    )
    assert Party.objects.count() == 2


# --- QR codes -----------------------------------------------------------------------------------------------


def test_a_qr_link_locks_the_place_and_records_the_qr_channel(client, form_data, tree):
    url = f"{SUBMIT}?place={tree.village_a.code}"
    page = client.get(url).content.decode()
    assert "南昌市 西湖区 南浦街道 船山社区" in page
    assert 'href="/submit/"' in page  # change the place
    assert 'name="area_4"' not in page and 'name="area_3"' not in page
    assert f'<option value="{tree.grid_a.pk}">船山社区第一网格</option>' in page
    data = form_data(area_2=None, area_3=None, area_4=None, area_5=None)
    response = client.post(url, data)
    assert response.status_code == 302
    case = Dispute.objects.get()
    assert (case.channel, case.grid) == (Channel.QR, tree.village_a)


def test_a_qr_link_of_a_township_asks_for_the_village(client, form_data, tree):
    url = f"{SUBMIT}?place={tree.town_b.code}"
    page = client.get(url).content.decode()
    assert f'<option value="{tree.village_b.pk}">朝阳社区</option>' in page
    assert f'<option value="{tree.village_a.pk}">' not in page
    # A village of another township is not a choice here.
    data = form_data(area_2=None, area_3=None, area_4=str(tree.village_a.pk), area_5=None)
    assert client.post(url, data).status_code == 400
    data = form_data(area_2=None, area_3=None, area_4=str(tree.village_b.pk), area_5=None)
    assert client.post(url, data).status_code == 302
    assert Dispute.objects.get().grid == tree.village_b


def test_an_unknown_qr_place_falls_back_to_choosing(client, tree, category):
    page = client.get(f"{SUBMIT}?place=000000").content.decode()
    assert f'<option value="{tree.county.pk}">西湖区</option>' in page


# --- Duplicates, rate limits, the confirmation link ---------------------------------------------------


def receipt_without_the_case(client, location: str, case: Dispute) -> str:
    """The confirmation page, with what differs between any two cases taken out: its number and tokens."""
    html = client.get(location).content.decode()
    for group in case.tracking_number_display.split():
        html = html.replace(group, "NNNN")
    html = html.replace(location.rstrip("/").rsplit("/", 1)[-1], "TOKEN")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "CSRF", html)


def test_the_other_side_with_the_residents_phone_gets_a_new_case_and_learns_nothing(client, form_data):
    """In a family quarrel the other side knows the resident's phone and their own name: that opens nothing."""
    first = client.post(SUBMIT, form_data())
    original = Dispute.objects.get()
    attacker = Client()
    second = attacker.post(
        SUBMIT,
        form_data(
            **{"applicant-name": "李四", "applicant-id_number": "", "parties-0-phone": ""},
            description="我是李四，我不想调解了，请撤销我的案件。",
        ),
    )
    assert first.status_code == second.status_code == 302
    assert Dispute.objects.count() == 2
    case = Dispute.objects.exclude(pk=original.pk).get()
    assert case.duplicate_of == original and case.tracking_number != original.tracking_number
    assert not CaseEvent.objects.filter(kind=EventKind.SUPPLEMENTED).exists()
    # The receipt is the new-case receipt, word for word, with the new number and nothing of the original.
    page = attacker.get("/en" + second["Location"]).content.decode()
    assert "Your dispute has been received" in page and "added" not in page
    assert all(group not in page for group in original.tracking_number_display.split())
    assert receipt_without_the_case(attacker, second["Location"], case) == receipt_without_the_case(
        client, first["Location"], original
    )
    # The attacker's number and the resident's phone open the new case only ...
    tracked = attacker.post("/track/", {"tracking_number": case.tracking_number, "phone": APPLICANT_PHONE})
    assert tracked.status_code == 302
    assert all(group in attacker.get("/track/").content.decode() for group in case.tracking_number_display.split())
    # ... and the resident's own tracking page shows nothing from the attacker.
    resident = Client()
    resident.post("/track/", {"tracking_number": original.tracking_number, "phone": APPLICANT_PHONE})
    own = resident.get("/en/track/").content.decode()
    assert "You added more information" not in own and "撤销" not in own
    assert case.tracking_number_display.split()[0] not in own


def test_submissions_per_phone_are_limited(client, form_data, settings):
    settings.PUBLIC_SUBMIT_PER_PHONE_DAY = 1
    assert client.post(SUBMIT, form_data()).status_code == 302
    response = client.post("/en/submit/", form_data(description="又一次。"))
    assert response.status_code == 429
    assert "Too many submissions with this phone number today." in response.content.decode()
    assert CaseEvent.objects.filter(kind=EventKind.SUPPLEMENTED).count() == 0


def test_submissions_per_address_are_limited(client, form_data, settings):
    settings.PUBLIC_SUBMIT_PER_IP_HOUR = 2
    for i in range(2):
        phone = f"1390013900{i}"
        assert client.post(SUBMIT, form_data(**{"applicant-phone": phone})).status_code == 302
    response = client.post(SUBMIT, form_data(**{"applicant-phone": "13900139009"}))
    assert response.status_code == 429
    assert Dispute.objects.count() == 2


def test_the_confirmation_link_cannot_be_forged_or_reused_later(client, form_data, time_machine):
    location = client.post(SUBMIT, form_data())["Location"]
    token = location.rstrip("/").rsplit("/", 1)[-1]
    assert client.get(location).status_code == 200
    assert client.get(location.replace(token, token[:-2] + "xx")).status_code == 404
    forged = signing.dumps({"d": Dispute.objects.get().pk, "m": False}, salt="another-salt", compress=True)
    assert client.get(f"/submitted/{forged}/").status_code == 404
    time_machine.move_to(timezone.now() + timedelta(minutes=dispute_views.SUBMITTED_MAX_AGE // 60 + 1))
    assert client.get(location).status_code == 404
