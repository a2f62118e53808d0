"""The Simplified Chinese catalogue: complete, placeholder-safe, current for the models, and used by the API.

The product is Chinese first. locale/zh_Hans/LC_MESSAGES/django.po is kept by
`manage.py makemessages -l zh_Hans -l en` (which needs GNU gettext); the .mo
files are built by `manage.py compiletranslations` (pure Python), which this
module runs itself so that it is correct on a fresh clone.
"""

import gettext as gnu_gettext
import io
import re
from collections import Counter
from pathlib import Path

import polib
import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.utils import translation
from django.utils.functional import Promise
from django.utils.translation import trans_real
from rest_framework.test import APIClient

from disputes.models import Dispute
from disputes.rules import lifecycle
from disputes.rules.enums import Channel, Colour, DeadlineKind, Outcome, Status
from disputes.rules.triage import reason_text
from grids.models import AreaLevel, DepartmentKind, Role
from tests.disputes.cases import case_in

LOCALE_DIR = Path(settings.BASE_DIR) / "locale"
ZH_PO = LOCALE_DIR / "zh_Hans" / "LC_MESSAGES" / "django.po"
EN_PO = LOCALE_DIR / "en" / "LC_MESSAGES" / "django.po"
PROJECT_APPS = ("core", "grids", "disputes", "petitions")

CJK = re.compile(r"[\u3400-\u9fff]")
# Python-format placeholders: %(name)s, %(count)d, %s, %d ... ("%%" is a literal percent sign).
PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[#0 +-]*\d*(?:\.\d+)?([sdiouxXeEfFgGcr%])")
# ASCII punctuation touching a Chinese character: the Chinese text should use ，。：；！？（）.
ASCII_PUNCT_NEXT_TO_CJK = re.compile(r"[\u3400-\u9fff][,.:;!?()]|[,.:;!?()][\u3400-\u9fff]")


def placeholders(text: str) -> Counter:
    return Counter(m.group(0) for m in PLACEHOLDER.finditer(text) if m.group(2) != "%")


def reset_translation_cache() -> None:
    """Forget every catalogue loaded so far, so that the freshly compiled .mo files are read.

    What Django's autoreloader does when a .mo file changes: its cache, and the
    one the standard library's gettext keeps per .mo file.
    """
    gnu_gettext._translations = {}
    trans_real._translations = {}
    trans_real._default = None
    trans_real.translation_catalog_exists.cache_clear()
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(scope="module", autouse=True)
def compiled_catalogues():
    call_command("compiletranslations", stdout=io.StringIO())
    reset_translation_cache()
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(scope="module")
def zh_po() -> polib.POFile:
    return polib.pofile(str(ZH_PO))


def live_entries(po: polib.POFile) -> list[polib.POEntry]:
    return [entry for entry in po if not entry.obsolete]


# --- The .po file ---------------------------------------------------------------------------------


def test_header(zh_po):
    assert not zh_po.metadata_is_fuzzy
    assert zh_po.metadata["Language"] == "zh_Hans"
    assert zh_po.metadata["Content-Type"] == "text/plain; charset=UTF-8"
    assert zh_po.metadata["Plural-Forms"].replace(" ", "") == "nplurals=1;plural=0;"


def test_every_entry_is_translated_and_none_is_fuzzy(zh_po):
    entries = live_entries(zh_po)
    assert len(entries) > 200
    fuzzy = [entry.msgid for entry in entries if "fuzzy" in entry.flags]
    assert fuzzy == [], "fuzzy entries (check the guess, then remove the flag)"
    untranslated = []
    for entry in entries:
        if entry.msgid_plural:
            # Chinese has a single plural form.
            if list(entry.msgstr_plural) != [0] or not entry.msgstr_plural[0].strip():
                untranslated.append(entry.msgid)
        elif not entry.msgstr.strip():
            untranslated.append(entry.msgid)
    assert untranslated == [], "run makemessages, then translate these msgids"


def test_placeholders_are_kept(zh_po):
    wrong = []
    for entry in live_entries(zh_po):
        if entry.msgid_plural:
            pairs = [(entry.msgid_plural, entry.msgstr_plural.get(0, ""))]
        else:
            pairs = [(entry.msgid, entry.msgstr)]
        for source, translated in pairs:
            if placeholders(source) != placeholders(translated):
                wrong.append((source, translated))
    assert wrong == []


def test_python_format_entries_are_flagged(zh_po):
    """makemessages flags them; without the flag msgfmt would not check the placeholders."""
    unflagged = [
        entry.msgid
        for entry in live_entries(zh_po)
        if re.search(r"%\(\w+\)", entry.msgid) and "python-format" not in entry.flags
    ]
    assert unflagged == []


def test_chinese_text_uses_chinese_punctuation(zh_po):
    wrong = []
    for entry in live_entries(zh_po):
        translated = entry.msgstr_plural.get(0, "") if entry.msgid_plural else entry.msgstr
        if ASCII_PUNCT_NEXT_TO_CJK.search(translated):
            wrong.append(translated)
        # A sentence stays a sentence: "…." becomes "…。".
        elif entry.msgid.endswith(".") and CJK.search(translated) and not translated.endswith("。"):
            wrong.append(translated)
    assert wrong == []


def test_the_catalogue_compiles(zh_po, tmp_path):
    mo_path = tmp_path / "django.mo"
    zh_po.save_as_mofile(str(mo_path))
    with mo_path.open("rb") as mo:
        catalogue = gnu_gettext.GNUTranslations(mo)
    assert catalogue.gettext("Dispatch") == "派单"
    assert catalogue.ngettext(
        "The same parties had %(count)d earlier case in the last 12 months.",
        "The same parties had %(count)d earlier cases in the last 12 months.",
        3,
    ) == ("同一当事人近12个月内已有%(count)d起纠纷。")


def test_english_catalogue_is_english():
    """The English catalogue falls back to the msgids; a Chinese msgstr there would be a slip."""
    if not EN_PO.exists():
        pytest.skip("no English catalogue")
    po = polib.pofile(str(EN_PO))
    assert not po.metadata_is_fuzzy
    assert po.metadata["Language"] == "en"
    translated = [e.msgstr or e.msgstr_plural.get(0, "") for e in live_entries(po)]
    assert [text for text in translated if CJK.search(text)] == []


# --- The catalogue is current for what the models and the case rules declare ----------------------


def declared_strings() -> set[str]:
    """Every translatable label the project's models, choices and transitions declare, as its msgid.

    English has no translations of its own, so a label read in English is its msgid.
    """
    labels = []
    for app_label in PROJECT_APPS:
        config = apps.get_app_config(app_label)
        labels.append(config.verbose_name)
        for model in config.get_models():
            labels += [model._meta.original_attrs.get(key) for key in ("verbose_name", "verbose_name_plural")]
            for field in model._meta.get_fields():
                labels.append(getattr(field, "verbose_name", None))
                labels += [label for _value, label in getattr(field, "flatchoices", None) or ()]
    labels += [transition.label for transition in lifecycle.TRANSITIONS.values()]
    with translation.override("en"):
        # Plain strings are names Django made up from field names: nobody marked them for translation.
        return {str(label) for label in labels if isinstance(label, Promise)}


def test_every_declared_label_is_in_the_catalogue(zh_po):
    declared = declared_strings()
    assert len(declared) > 100
    msgids = {entry.msgid for entry in live_entries(zh_po)}
    assert sorted(declared - msgids) == [], "run makemessages -l zh_Hans -l en and translate the new msgids"


# --- The running site --------------------------------------------------------------------------


CHINESE = [
    (lambda: translation.gettext("Dispatch"), "派单", "Dispatch"),
    (lambda: translation.gettext("Accept"), "接单", "Accept"),
    (lambda: lifecycle.TRANSITIONS["return"].label, "退回", "Return to dispatch"),
    (lambda: lifecycle.TRANSITIONS["report_back"].label, "反馈处置结果", "Report back with an outcome"),
    (lambda: Status.TRIAGED.label, "已研判，待派单", "Triaged, awaiting dispatch"),
    (lambda: Status.AWAITING_CALLBACK.label, "待回访", "Awaiting callback"),
    (lambda: Status.CLOSED.label, "已归档", "Closed"),
    (lambda: Status.WITHDRAWN.label, "已撤回", "Withdrawn"),
    (lambda: Status.REOPENED.label, "重新办理", "Reopened"),
    (lambda: Colour.RED.label, "红单", "Red"),
    (lambda: Colour.YELLOW.label, "黄单", "Yellow"),
    (lambda: Colour.WHITE.label, "白单", "White"),
    (lambda: Outcome.LITIGATION.label, "调解不成，转诉讼", "Mediation failed, referred to litigation"),
    (lambda: Channel.POLICE_110.label, "110非警务警情分流", "110 non-police transfer"),
    (lambda: DeadlineKind.JUDICIAL_CONFIRMATION.label, "申请司法确认", "Apply for judicial confirmation"),
    (lambda: Role.MEDIATOR.label, "调解员", "Mediator"),
    (lambda: Role.DISPATCHER.label, "中心派单员", "Centre dispatcher"),
    (lambda: Role.CALLBACK_CALLER.label, "回访员", "Callback caller"),
    (lambda: AreaLevel.TOWNSHIP.label, "乡镇（街道）", "Township / street"),
    (lambda: AreaLevel.VILLAGE.label, "村（社区）", "Village / community"),
    (lambda: AreaLevel.GRID.label, "网格", "Grid"),
    (lambda: DepartmentKind.MEDIATION_COMMITTEE.label, "人民调解委员会", "People's mediation committee"),
    (lambda: DepartmentKind.JUDICIAL_OFFICE.label, "司法所", "Judicial office"),
    (lambda: DepartmentKind.POLICE_STATION.label, "派出所", "Police station"),
    (lambda: DepartmentKind.COURT.label, "法院（诉前调解）", "Court (pre-litigation mediation)"),
    (lambda: DepartmentKind.PETITIONS_BUREAU.label, "信访局", "Petitions bureau"),
    (lambda: DepartmentKind.GOVERNANCE_CENTRE.label, "综治中心", "Comprehensive governance centre"),
    (
        lambda: reason_text({"rule": "prior_incident_same_parties", "params": {"count": 2}}),
        "同一当事人近12个月内已有2起纠纷。",
        "The same parties had 2 earlier cases in the last 12 months.",
    ),
    (
        lambda: reason_text({"rule": "threat_violence", "params": {"words": ["砍", "杀"]}}),
        "纠纷描述中有扬言实施暴力的内容（砍、杀）。",
        "The description threatens violence (砍、杀).",
    ),
]


@pytest.mark.parametrize(("text", "chinese", "english"), CHINESE, ids=[c[2] for c in CHINESE])
def test_key_strings_are_chinese_by_default_and_english_on_request(text, chinese, english):
    assert translation.get_language() == settings.LANGUAGE_CODE == "zh-hans"
    assert str(text()) == chinese
    with translation.override("zh-hans"):
        assert str(text()) == chinese
    with translation.override("en"):
        assert str(text()) == english


def test_a_refused_transition_answers_in_the_clients_language(staff_a, tree, category, departments):
    mediator = staff_a[Role.MEDIATOR]
    case = case_in(Status.CLOSED, grid=tree.grid_a, category=category, department=departments["a"], mediator=mediator)
    url = f"/api/v1/cases/{case.tracking_number}/transitions/"

    client = APIClient()
    client.force_login(mediator)

    def refuse(**headers) -> dict:
        response = client.post(url, {"action": "accept"}, format="json", **headers)
        assert response.status_code == 400, response.content
        return response.json()["error"]

    chinese = refuse()
    assert chinese["code"] == "wrong_state"
    assert CJK.search(chinese["message"])
    assert chinese["message"] == "案件当前状态为“已归档”，不能进行此操作。"

    english = refuse(HTTP_ACCEPT_LANGUAGE="en")
    assert english["code"] == "wrong_state"
    assert not CJK.search(english["message"])
    assert english["message"] == "This action is not possible while the case is “Closed”."

    assert refuse(HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9,en;q=0.8")["message"] == chinese["message"]
    assert Dispute.objects.get(pk=case.pk).status == Status.CLOSED
