"""口径说明: every figure defined once (statistics.DEFINITIONS), shown on its staff page and in docs/figures.md."""

from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from disputes import statistics as st
from grids.models import Role

DOCS = Path(settings.BASE_DIR) / "docs" / "figures.md"


def test_docs_figures_md_holds_the_definitions_table():
    with translation.override("en"):
        table = st.definitions_markdown()
    assert table in DOCS.read_text(encoding="utf-8"), "docs/figures.md is out of step with statistics.DEFINITIONS"


def test_every_headline_figure_is_defined_once():
    keys = [d.key for d in st.DEFINITIONS]
    assert len(keys) == len(set(keys))
    for name in (
        "resolution_rate",
        "in_progress",
        "resolution_rate_concluded",
        "mediation_success_rate",
        "callback_satisfaction",
        "callback_satisfaction_cases",
        "on_time_rate",
        "referred_to_police",
        "repeat_disputes",
        "reopened_share",
        "return_rate",
        "average_days",
        "median_days",
        "per_10k",
        "overdue",
    ):
        assert name in keys, name
        assert hasattr(st.Figures, name), name
        assert st.DEFINITIONS_BY_KEY[name].label == st.LABELS[name]
    with translation.override("en"):
        rate = st.DEFINITIONS_BY_KEY["resolution_rate"]
        assert "343" in str(rate.example) and "99.4%" in str(rate.example)
        assert rate.text().startswith("cases registered in the period that are now resolved")
        assert "withdrawn" in str(rate.denominator) and "merged" in str(rate.denominator)
        assert "open cases past a resolution deadline" in str(st.DEFINITIONS_BY_KEY["on_time_rate"].denominator)


@pytest.mark.django_db
def test_the_page_lists_every_figure_for_those_who_read_the_dashboard(client, staff_a):
    client.force_login(staff_a[Role.SUPERVISOR])
    url = reverse("disputes:dashboard_definitions")
    assert url.endswith("/work/dashboard/definitions/")
    page = client.get("/en" + url).content.decode()
    for definition in st.DEFINITIONS:
        assert f'id="figure-{definition.key}"' in page
    assert "Disputes registered 343, resolved 341: 341 ÷ 343 = 99.4%." in page
    assert "化解率（受理口径）" in page  # the centres' own name beside the English one
    zh = client.get(url).content.decode()
    assert "化解率（受理口径）" in zh and "化解率（办结口径）" in zh
    for role in (Role.MEDIATOR, Role.CALLBACK_CALLER):
        client.force_login(staff_a[role])
        assert client.get(url).status_code == 403


@pytest.mark.django_db
def test_the_definitions_page_needs_a_sign_in(client):
    response = client.get(reverse("disputes:dashboard_definitions"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
