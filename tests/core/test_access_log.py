"""Access logs keep no search terms, phones or keys: gunicorn's lines and the development server's."""

import logging
import runpy
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from gunicorn import util
from gunicorn.config import Config
from gunicorn.glogging import SafeAtoms

from core.access_log import AccessLogger, RedactQueryFilter, redact_query, redact_uri

NAME = "%E5%BC%A0%E4%BC%9F"  # 张伟, as a browser sends it


@pytest.mark.parametrize(
    "uri, logged",
    [
        (f"/staff/queue/?q={NAME}", "/staff/queue/?q=[redacted]"),
        (f"/staff/queue/?page=2&q={NAME}&status=accepted", "/staff/queue/?page=2&q=[redacted]&status=accepted"),
        ("/api/v1/queue/?q=13900139000&cursor=abc", "/api/v1/queue/?q=[redacted]&cursor=abc"),
        ("/api/v1/queue/?Q=13900139000", "/api/v1/queue/?Q=[redacted]"),
        (
            "/open311/v2/requests.json?api_key=k3y-s3cret&status=open",
            "/open311/v2/requests.json?api_key=[redacted]&status=open",
        ),
        ("https://portal.example/staff/queue/?q=张伟", "https://portal.example/staff/queue/?q=[redacted]"),
        (
            f"/accounts/login/?next=/staff/queue/%3Fq%3D{NAME}%26page%3D2",
            "/accounts/login/?next=/staff/queue/%3Fq%3D%5Bredacted%5D%26page%3D2",
        ),
        ("/staff/queue/?page=2", "/staff/queue/?page=2"),
        ("/staff/queue/", "/staff/queue/"),
        ("-", "-"),
    ],
)
def test_secret_parameters_are_redacted_and_the_rest_kept(uri, logged):
    assert redact_uri(uri) == logged
    assert "张伟" not in logged and NAME not in logged and "13900139000" not in logged


def test_a_bare_query_string_is_redacted():
    assert redact_query(f"q={NAME}&page=3") == "q=[redacted]&page=3"
    assert redact_query("") == ""


def gunicorn_line(uri: str, referer: str = "-") -> str:
    """The access-log line gunicorn writes with the project's configuration, for one request."""
    conf = runpy.run_path(str(Path(settings.BASE_DIR) / "docker" / "gunicorn.conf.py"))
    cfg = Config()
    cfg.set("logger_class", conf["logger_class"])
    logger_class = util.load_class(cfg.logger_class, default="gunicorn.glogging.Logger", section="gunicorn.loggers")
    logger = logger_class(cfg)
    path, _, query = uri.partition("?")
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": uri,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.0.0.7",
        "HTTP_REFERER": referer,
        "HTTP_USER_AGENT": "Mozilla/5.0",
    }
    response = SimpleNamespace(status="200 OK", headers=[("Content-Type", "text/html")], sent=512)
    request = SimpleNamespace(headers=[("REFERER", referer), ("USER-AGENT", "Mozilla/5.0")])
    atoms = logger.atoms(response, request, environ, timedelta(milliseconds=12))
    assert isinstance(logger, AccessLogger)
    return cfg.access_log_format % SafeAtoms(atoms)


def test_gunicorns_access_line_keeps_no_search_term_even_in_the_referer():
    line = gunicorn_line(f"/staff/queue/?q={NAME}&page=2", referer=f"https://portal.example/staff/queue/?q={NAME}")
    assert '"GET /staff/queue/?q=[redacted]&page=2 HTTP/1.1" 200 512' in line
    assert '"https://portal.example/staff/queue/?q=[redacted]"' in line
    assert NAME not in line and "张伟" not in line


def test_the_staff_api_search_by_phone_is_not_logged():
    line = gunicorn_line("/api/v1/queue/?q=13900139000")
    assert "13900139000" not in line and "/api/v1/queue/?q=[redacted]" in line


def test_the_development_servers_request_lines_are_redacted():
    logger = logging.getLogger("django.server")
    assert any(isinstance(f, RedactQueryFilter) for f in logger.filters)
    record = logger.makeRecord(
        "django.server",
        logging.INFO,
        __file__,
        1,
        '"%s" %s %s',
        (f"GET /staff/queue/?q={NAME} HTTP/1.1", "200", "99"),
        None,
    )
    assert logger.filter(record)
    assert record.getMessage() == '"GET /staff/queue/?q=[redacted] HTTP/1.1" 200 99'
