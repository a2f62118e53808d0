import hmac
import logging
import threading
import time

from celery import current_app
from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)

# The broker's answer is kept this long per process (and per broker URL).
BROKER_CHECK_SECONDS = 5
_broker_checks: dict[str, tuple[float, bool]] = {}
_broker_lock = threading.Lock()


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
    except Exception:
        logger.warning("healthz: database unreachable", exc_info=True)
        return False


def _broker_ok() -> bool:
    """Whether the broker answered, asked at most once per BROKER_CHECK_SECONDS in this process.

    The load balancer and compose ask every few seconds from every instance; opening a
    connection to Redis on each hit (2 s when it is down) let anyone who can reach
    /healthz keep web threads and broker connections busy.
    """
    # The project's app (config.celery_app) is the current one; core imports no config.
    app = current_app
    url = str(app.conf.broker_url)
    now = time.monotonic()
    with _broker_lock:
        known = _broker_checks.get(url)
        if known is not None and now - known[0] < BROKER_CHECK_SECONDS:
            return known[1]
        try:
            with app.connection_for_write() as conn:
                conn.ensure_connection(max_retries=1, timeout=2)
            ok = True
        except Exception:
            logger.warning("healthz: broker unreachable", exc_info=True)
            ok = False
        _broker_checks[url] = (time.monotonic(), ok)
        return ok


def _may_see_details(request) -> bool:
    """Only a monitor holding HEALTHZ_TOKEN (`Authorization: Bearer <token>`) learns which check failed."""
    token = getattr(settings, "HEALTHZ_TOKEN", "")
    given = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    return bool(token) and bool(given) and hmac.compare_digest(given.encode(), token.encode())


@never_cache
@require_GET
def healthz(request):
    """Liveness for the load balancer and compose: the database and the broker.

    Anyone gets `{"status": "ok"}` (200) or `{"status": "error"}` (503), nothing about
    what runs behind; which check failed goes to the log, and to a monitor with the token.
    """
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    ok = all(checks.values())
    body = {"status": "ok" if ok else "error"}
    if _may_see_details(request):
        body.update({k: "ok" if v else "error" for k, v in checks.items()})
    return JsonResponse(body, status=200 if ok else 503)


def home(request):
    return render(request, "core/home.html")
