"""The admin for reference tables, and the read-only view of cases."""

from datetime import date, timedelta

import pytest
from django.contrib import admin
from django.urls import reverse

from disputes.admin import DisputeAdmin
from disputes.api.keys import channel_key_create
from disputes.models import (
    Attachment,
    CaseEvent,
    Category,
    ChannelKey,
    Deadline,
    Dispute,
    DiversionRule,
    IdempotencyRecord,
    RankingNotice,
    ServiceLevelSetting,
)
from disputes.rules.enums import Colour, DeadlineKind, EventKind, PartyRole, Status
from grids.models import Area
from tests.disputes.cases import case_in
from tests.factories import CategoryFactory, PartyFactory, UserFactory

PHONE = "13812345678"
ID_NUMBER = "36010219900101123X"
ADDRESS = "南昌市西湖区南浦街道船山路12号3栋201室"


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_superuser=True, is_staff=True)


@pytest.fixture
def client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def case(tree, category, departments):
    case = case_in(Status.ACCEPTED, grid=tree.grid_a, category=category, department=departments["a"])
    PartyFactory(dispute=case, name="张三丰", phone=PHONE, id_number=ID_NUMBER, address=ADDRESS)
    PartyFactory(dispute=case, role=PartyRole.RESPONDENT, name="李四", phone="13900139000")
    CaseEvent.objects.create(
        dispute=case,
        actor_role="dispatcher",
        kind=EventKind.TRANSITION,
        action="dispatch",
        from_status=Status.TRIAGED,
        to_status=Status.DISPATCHED,
        reason="按分流清单派单",
    )
    return case


@pytest.fixture
def objects(case, tree, category, departments):
    rule = DiversionRule.objects.create(area=tree.town_a, category=category, lead_department=departments["a"])
    rule.assisting_departments.add(departments["b"])
    return {
        Category: category,
        ServiceLevelSetting: ServiceLevelSetting.objects.create(
            colour=Colour.RED, accept_within=timedelta(hours=1), resolve_within=timedelta(days=2)
        ),
        DiversionRule: rule,
        Dispute: case,
        CaseEvent: case.events.first(),
        Deadline: case.deadlines.first(),
    }


def url(model, name, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{name}", args=args)


DISPUTES_MODELS = [model for model in admin.site._registry if model._meta.app_label == "disputes"]
# Written only by the services: the admin may look, never add, change or delete.
VIEW_ONLY = {Dispute, CaseEvent, Deadline, IdempotencyRecord, Attachment, RankingNotice}
# Made in the admin, revoked rather than deleted (their idempotency records stay).
NO_DELETE = {ChannelKey}


def test_every_registered_model_is_covered(objects):
    assert set(DISPUTES_MODELS) >= {Category, ServiceLevelSetting, DiversionRule, Dispute, CaseEvent, Deadline}
    missing = [m for m in DISPUTES_MODELS if m not in objects and m._meta.model_name not in EXTRA_MODELS]
    assert missing == [], "add an instance for the new admin to `objects` or EXTRA_MODELS"


# Models registered beside the core ones, built on demand (name -> factory).
EXTRA_MODELS = {
    "triagekeyword": lambda m: m.objects.create(kind="violence", word="砍"),
    "channelkey": lambda m: channel_key_create(name="110", channel="police_110")[0],
    "idempotencyrecord": lambda m: m.objects.create(
        channel_key=channel_key_create(name="12345", channel="hotline_12345")[0],
        key="req-1",
        request_hash="0" * 64,
        dispute=Dispute.objects.first(),
    ),
    "attachment": lambda m: m.objects.create(
        dispute=Dispute.objects.first(),
        storage_name="ab" * 16,
        original_name="门口.png",
        content_type="image/png",
        size=68,
        sha256="0" * 64,
    ),
    "rankingnotice": lambda m: m.objects.create(
        area=Area.objects.get_first_root_node(),
        month=date(2026, 11, 1),
        basis="area",
        year=2026,
        number=1,
        number_text="西湖矛调通〔2026〕1号",
        office_code="西湖矛调通",
        office_name="西湖区矛盾纠纷多元化解中心",
        snapshot={},
    ),
}


def instance_of(model, objects):
    if model in objects:
        return objects[model]
    return EXTRA_MODELS[model._meta.model_name](model)


@pytest.mark.parametrize("model", DISPUTES_MODELS, ids=lambda m: m._meta.model_name)
def test_pages_load(client, objects, model):
    obj = instance_of(model, objects)
    assert client.get(url(model, "changelist")).status_code == 200
    assert client.get(url(model, "change", obj.pk)).status_code == 200
    add = client.get(url(model, "add"))
    delete = client.get(url(model, "delete", obj.pk))
    if model in VIEW_ONLY:
        assert (add.status_code, delete.status_code) == (403, 403)
    elif model in NO_DELETE:
        assert (add.status_code, delete.status_code) == (200, 403)
    else:
        assert (add.status_code, delete.status_code) == (200, 200)


# --- Reference tables ----------------------------------------------------------------------------


def test_categories_are_edited_in_the_list(client, category):
    other = CategoryFactory(code="labour", name="劳资纠纷", sort_order=20)
    response = client.get(url(Category, "changelist"))
    assert response.status_code == 200
    assert 'name="form-0-sort_order"' in response.text
    assert 'name="form-0-base_colour"' in response.text
    assert 'name="form-0-is_active"' in response.text
    rows = sorted([other, category], key=lambda c: (c.sort_order, c.code))
    data = {
        "form-TOTAL_FORMS": "2",
        "form-INITIAL_FORMS": "2",
        "_save": "Save",
    }
    for i, row in enumerate(rows):
        data[f"form-{i}-id"] = row.pk
        data[f"form-{i}-sort_order"] = 5 if row == category else row.sort_order
        data[f"form-{i}-base_colour"] = Colour.YELLOW if row == category else row.base_colour
        data[f"form-{i}-is_active"] = "on"
    response = client.post(url(Category, "changelist"), data)
    assert response.status_code == 302
    category.refresh_from_db()
    assert (category.sort_order, category.base_colour) == (5, Colour.YELLOW)


def test_add_a_service_level(client):
    response = client.post(
        url(ServiceLevelSetting, "add"),
        {"colour": Colour.YELLOW, "accept_within": "12:00:00", "resolve_within": "10 00:00:00", "follow_up_every": ""},
    )
    assert response.status_code == 302
    row = ServiceLevelSetting.objects.get(colour=Colour.YELLOW)
    assert (row.accept_within, row.resolve_within, row.follow_up_every) == (
        timedelta(hours=12),
        timedelta(days=10),
        None,
    )


def test_diversion_rule_form(client, objects):
    response = client.get(url(DiversionRule, "change", objects[DiversionRule].pk))
    form = response.context["adminform"].form
    for name in ("area", "category", "lead_department"):
        assert form.fields[name].widget.widget.__class__.__name__ == "AutocompleteSelect", name
    assert form.fields["assisting_departments"].widget.widget.__class__.__name__ == "FilteredSelectMultiple"


def test_diversion_rule_list_filters_by_category(client, objects, tree, departments):
    labour = CategoryFactory(code="labour", name="劳资纠纷")
    DiversionRule.objects.create(area=tree.town_b, category=labour, lead_department=departments["b"])
    response = client.get(url(DiversionRule, "changelist"), {"category__id__exact": labour.pk})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == list(DiversionRule.objects.filter(category=labour))


def test_diversion_rule_lead_cannot_also_assist(client, tree, category, departments):
    data = {
        "area": tree.town_b.pk,
        "category": category.pk,
        "lead_department": departments["b"].pk,
        "assisting_departments": [departments["b"].pk],
    }
    response = client.post(url(DiversionRule, "add"), data)
    assert response.status_code == 200
    assert "assisting_departments" in response.context["adminform"].form.errors
    assert not DiversionRule.objects.filter(area=tree.town_b).exists()
    data["assisting_departments"] = [departments["a"].pk]
    assert client.post(url(DiversionRule, "add"), data).status_code == 302
    assert list(DiversionRule.objects.get(area=tree.town_b).assisting_departments.all()) == [departments["a"]]


# --- Cases: read-only -------------------------------------------------------------------------------


def test_the_case_admin_cannot_add_change_or_delete(rf, superuser):
    model_admin = admin.site._registry[Dispute]
    assert isinstance(model_admin, DisputeAdmin)
    request = rf.get("/")
    request.user = superuser
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request)
    assert not model_admin.has_delete_permission(request)
    assert model_admin.has_view_permission(request)
    assert "delete_selected" not in model_admin.get_actions(request)


def test_status_is_never_a_form_field(client, case, rf, superuser):
    response = client.get(url(Dispute, "change", case.pk))
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert "status" not in form.fields
    assert 'name="status"' not in response.text
    # Read-only even if someone grants change permission one day.
    request = rf.get("/")
    request.user = superuser
    assert "status" in admin.site._registry[Dispute].get_readonly_fields(request, case)


def test_posting_a_status_changes_nothing(client, case):
    response = client.post(url(Dispute, "change", case.pk), {"status": Status.CLOSED, "_save": "Save"})
    assert response.status_code == 403
    case.refresh_from_db()
    assert case.status == Status.ACCEPTED
    assert client.post(url(Dispute, "delete", case.pk), {"post": "yes"}).status_code == 403
    assert Dispute.objects.filter(pk=case.pk).exists()


def test_the_case_page_masks_personal_data(client, case):
    response = client.get(url(Dispute, "change", case.pk))
    text = response.text
    for secret in (PHONE, ID_NUMBER, ADDRESS, "张三丰", "13900139000"):
        assert secret not in text, secret
    for masked in ("138****5678", "360*************3X", "南昌市西湖区****", "张**", "139****9000"):
        assert masked in text, masked


def test_the_case_page_shows_the_timeline_and_deadlines(client, case):
    response = client.get(url(Dispute, "change", case.pk))
    inlines = {formset.opts.model: formset for formset in response.context["inline_admin_formsets"]}
    assert set(inlines) >= {CaseEvent, Deadline}
    assert "按分流清单派单" in response.text
    assert response.context["inline_admin_formsets"][0].has_add_permission is False
    for formset in inlines.values():
        assert not formset.has_add_permission
        assert not formset.has_change_permission
        assert not formset.has_delete_permission
    deadline = case.deadlines.get()
    assert deadline.kind == DeadlineKind.RESOLVE
    assert str(DeadlineKind.RESOLVE.label) in response.text


def test_case_list_columns_and_filters(client, case):
    response = client.get(url(Dispute, "changelist"))
    assert response.status_code == 200
    model_admin = response.context["cl"].model_admin
    assert list(model_admin.list_display) == ["tracking", "category", "colour", "status", "channel", "submitted_at"]
    assert list(model_admin.list_filter) == ["status", "colour", "channel"]
    assert case.tracking_number_display in response.text
    filtered = client.get(url(Dispute, "changelist"), {"status__exact": Status.CLOSED})
    assert list(filtered.context["cl"].result_list) == []


@pytest.mark.parametrize("typed", ["exact", "spaced", "lower-dashed"])
def test_case_search_by_tracking_number(client, case, tree, category, typed):
    other = case_in(Status.SUBMITTED, grid=tree.grid_b, category=category)
    term = {
        "exact": case.tracking_number,
        "spaced": case.tracking_number_display,
        "lower-dashed": case.tracking_number_display.lower().replace(" ", "-"),
    }[typed]
    response = client.get(url(Dispute, "changelist"), {"q": term})
    assert list(response.context["cl"].result_list) == [case]
    assert other.tracking_number_display not in response.text


def test_events_and_deadlines_are_view_only(client, objects):
    event = objects[CaseEvent]
    response = client.post(url(CaseEvent, "change", event.pk), {"reason": "rewritten"})
    assert response.status_code == 403
    event.refresh_from_db()
    assert event.reason == "按分流清单派单"
    deadline = objects[Deadline]
    assert client.post(url(Deadline, "delete", deadline.pk), {"post": "yes"}).status_code == 403
    assert Deadline.objects.filter(pk=deadline.pk).exists()


def test_pages_are_chinese_by_default(client, case):
    response = client.get(url(Dispute, "changelist"))
    assert 'lang="zh-hans"' in response.text
    english = client.get("/en" + url(Dispute, "changelist"))
    assert 'lang="en"' in english.text
    assert "Select dispute to view" in english.text
