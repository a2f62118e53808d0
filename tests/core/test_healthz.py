import pytest

from core import views as core_views
from tests.conftest import celery_broker

pytestmark = pytest.mark.django_db

TOKEN = "monitor-token-0123456789abcdef"


@pytest.fixture(autouse=True)
def fresh_broker_check(monkeypatch):
    """The broker's answer is kept per process for a few seconds: each test asks afresh."""
    monkeypatch.setattr(core_views, "_broker_checks", {}, raising=False)


@pytest.fixture
def connections(monkeypatch):
    """Counts the broker connections /healthz opens (the real ones, still opened)."""
    from config.celery_app import app

    opened = []
    real = app.connection_for_write

    def counted(*args, **kwargs):
        opened.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(app, "connection_for_write", counted)
    return opened


def test_healthz_tells_an_anonymous_caller_only_ok(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    # A cached "ok" would hide an outage from the load balancer.
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_healthz_reports_each_check_to_a_monitor_with_the_token(client, settings):
    settings.HEALTHZ_TOKEN = TOKEN
    response = client.get("/healthz", headers={"authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}
    for wrong in ("Bearer nope", f"Bearer {TOKEN}x", "", TOKEN[:-1]):
        assert client.get("/healthz", headers={"authorization": wrong}).json() == {"status": "ok"}, wrong


def test_no_token_configured_means_no_details_for_anyone(client, settings, make_staff, tree):
    from grids.models import Role

    settings.HEALTHZ_TOKEN = ""
    assert client.get("/healthz", headers={"authorization": "Bearer "}).json() == {"status": "ok"}
    client.force_login(make_staff(Role.SUPERVISOR, area=tree.town_a))
    assert client.get("/healthz").json() == {"status": "ok"}


def test_healthz_is_503_when_the_broker_is_down(client, settings):
    settings.HEALTHZ_TOKEN = TOKEN
    with celery_broker("redis://127.0.0.1:1/0"):
        anonymous = client.get("/healthz")
        monitor = client.get("/healthz", headers={"authorization": f"Bearer {TOKEN}"})

    assert anonymous.status_code == 503
    assert anonymous.json() == {"status": "error"}
    assert monitor.status_code == 503
    assert monitor.json() == {"status": "error", "database": "ok", "broker": "error"}


def test_the_broker_is_asked_at_most_once_in_a_few_seconds(client, connections, monkeypatch):
    for _ in range(5):
        assert client.get("/healthz").status_code == 200
    assert len(connections) == 1
    # Once the answer is older than the window, the next hit asks again.
    monkeypatch.setattr(core_views, "BROKER_CHECK_SECONDS", 0)
    assert client.get("/healthz").status_code == 200
    assert len(connections) == 2


def test_a_broken_broker_is_also_asked_once_per_window(client, connections):
    with celery_broker("redis://127.0.0.1:1/0"):
        statuses = [client.get("/healthz").status_code for _ in range(3)]
    assert statuses == [503, 503, 503]
    assert len(connections) == 1


def test_healthz_only_answers_get(client):
    assert client.post("/healthz").status_code == 405
