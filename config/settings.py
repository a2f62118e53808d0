"""Settings, all from the environment (django-environ).

With no environment at all the portal runs on embedded defaults: SQLite and
kombu's filesystem transport, so `make run` needs no server. Setting
DATABASE_URL / CELERY_BROKER_URL switches to PostgreSQL and Redis; the code is
the same in both cases.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env(
    DEBUG=(bool, False),
    ALLOWED_HOSTS=(list, ["127.0.0.1", "localhost", "testserver"]),
)
# Read first, so every variable below (VAR_DIR too) may come from the file; the
# real environment still wins. ENV_FILE= (empty) reads none, which is how a test
# proves that production refuses to start without a SECRET_KEY.
_env_file = env.str("ENV_FILE", default=str(BASE_DIR / ".env"))
if _env_file:
    environ.Env.read_env(_env_file, overwrite=False)
VAR_DIR = Path(env.str("VAR_DIR", default=str(BASE_DIR / "var")))

DEBUG = env("DEBUG")
if DEBUG:
    SECRET_KEY = env.str("SECRET_KEY", default="dev-only-insecure-key-do-not-use-in-production")
else:
    # Required in production: a missing key must stop the process, not fall back.
    SECRET_KEY = env.str("SECRET_KEY")
ALLOWED_HOSTS = env("ALLOWED_HOSTS")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    # Two-factor sign-in (TOTP); before "core", whose admin replaces the device admin.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "treebeard",
    "core",
    "grids",
    "disputes",
    "petitions",
    # The demo data generator (seed_demo): imports every app, imported by none.
    "demo",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy from SECURE_CSP (below): no inline script anywhere.
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    # Serves collected static files from gunicorn: the compose deployment has no
    # separate file server, and intranet installs often cannot add one.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "core.middleware.LocaleMiddleware",
    # After the language is chosen (its refusal is translated): 400 for a NUL in the path or query.
    "core.middleware.RefuseNullCharactersMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): whether this session has passed a TOTP code.
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Signs a staff member out after SESSION_IDLE_SECONDS without a request.
    "core.security.SessionIdleTimeoutMiddleware",
    # Supervisors and admins who have not passed a TOTP code this session reach only the
    # enrolment and verification pages (TWO_FACTOR_REQUIRED, core/two_factor.py).
    "core.two_factor.TwoFactorRequiredMiddleware",
    # Last, as django-axes requires: turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.navigation.menu",
                # The unread count in the header (收件箱): one query, only when a page shows it.
                "core.inbox_views.inbox_badge",
            ],
        },
    },
]
# Inputs, textareas and selects written in Python, byte for byte as Django's widget
# templates (core/form_renderer.py): the staff case page renders a dozen small forms.
FORM_RENDERER = "core.form_renderer.PlainWidgetRenderer"

# --- Database -----------------------------------------------------------------
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The web server, the worker and beat share one SQLite file: WAL lets
    # readers run beside the writer, IMMEDIATE takes the write lock at BEGIN so
    # two writers queue up instead of failing mid-transaction.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
        "timeout": 30,
    }
    # A file (not :memory:) so a live worker started by a test sees the test data.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
    # Choice lists iterate querysets with .iterator(), which on PostgreSQL opens a
    # server-side cursor: three round trips (DECLARE, FETCH, CLOSE) for a few dozen rows,
    # and it breaks behind pgbouncer's transaction pooling. Large reads are batched by hand.
    DATABASES["default"].setdefault("DISABLE_SERVER_SIDE_CURSORS", True)

if env.str("DATABASE_REPLICA_URL", default=""):
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    # Tests read the replica through the test database itself.
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
# Dashboard reads go to the replica when there is one (config/db_router.py).
DATABASE_ROUTERS = ["config.db_router.ReportingRouter"]

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/accounts/login/"
# django-axes first: it refuses a locked-out username + address before any password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend, with the staff profile and its area read with the user.
    "core.security.StaffModelBackend",
]
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
# Keyed on the pair: a guessed password locks that account from that address only, so a
# stranger cannot lock a whole centre out by typing its staff's names.
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# The same address the public rate limits use: X-Forwarded-For is believed only from TRUSTED_PROXIES.
AXES_CLIENT_IP_CALLABLE = "core.ratelimit.client_ip"
# The lockout page in the site's design and language (core.security.lockout_response).
AXES_LOCKOUT_CALLABLE = "core.security.lockout_response"
# Two-factor sign-in (core/two_factor.py): on in production, off with DEBUG so the demo logins
# work with a password alone. Required of superusers, of anyone who may open the Django admin
# (is_staff), and of every role that may see personal data in clear beyond the cases its holder
# personally handles (disputes.selectors.access.user_works_case, petitions.selectors.user_works_petition):
# dispatchers and supervisors (every case in their area), callback callers (every reported case in
# their area) and administrators (every case). A mediator or department staff member reveals only
# the cases assigned to them or led by their department. Those four roles are fixed here, not read
# from the environment: TWO_FACTOR_ROLES may add roles, never remove them. Without a verified code
# the reveal service itself refuses them (core.audit.personal_data_reveal), at every door.
TWO_FACTOR_REQUIRED = env.bool("TWO_FACTOR_REQUIRED", default=not DEBUG)
TWO_FACTOR_WIDE_ACCESS_ROLES = ("dispatcher", "callback_caller", "supervisor", "admin")
TWO_FACTOR_ROLES = env.list("TWO_FACTOR_ROLES", default=list(TWO_FACTOR_WIDE_ACCESS_ROLES))
# Reveals of personal data in clear (core.audit.personal_data_reveal): at most this many per user
# per clock hour (then 429 until the hour ends), and a user with more than
# PERSONAL_DATA_REVEALS_ALERT_DAY reveals in 24 hours is listed to administrators at the top of the
# access log in the admin ("unusual reveal volume"). A mediator's day needs a few dozen.
PERSONAL_DATA_REVEALS_PER_HOUR = env.int("PERSONAL_DATA_REVEALS_PER_HOUR", default=60)
PERSONAL_DATA_REVEALS_ALERT_DAY = env.int("PERSONAL_DATA_REVEALS_ALERT_DAY", default=100)
# The name authenticator apps show beside the account.
OTP_TOTP_ISSUER = env.str("OTP_TOTP_ISSUER", default="矛盾纠纷多元化解平台")
# Wrong codes in a row make the next try wait 1, 2, 4, 8 … seconds (× this factor), per device.
OTP_TOTP_THROTTLE_FACTOR = env.int("OTP_TOTP_THROTTLE_FACTOR", default=1)
# The device admin shows no secret key (core/admin.py allows listing and resetting only).
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
# Staff land on their case queue (工作台): their own cases first, most urgent on top.
LOGIN_REDIRECT_URL = "disputes:queue"

# --- Language and time ----------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

# --- Static and private files ------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
# WhiteNoise warns on every start while the folder is missing (before any collectstatic).
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
# collectstatic writes a gzip copy beside each text file (CSS, JS, SVG); WhiteNoise sends it to
# browsers that accept gzip: the form's stylesheet goes from 13 KB to 4 KB (bench/form_weight.py).
# No manifest (hashed names): pages must render before any collectstatic (tests, make run).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Attachments are private: never under STATIC/MEDIA URLs, served by a checked view.
PRIVATE_STORAGE_ROOT = Path(env.str("PRIVATE_STORAGE_ROOT", default=str(VAR_DIR / "private")))

# --- REST API -------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # Adds the error answers every operation can give (core/schema.py).
    "DEFAULT_SCHEMA_CLASS": "core.schema.AutoSchema",
    "EXCEPTION_HANDLER": "core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "矛盾纠纷多元化解平台 API",
    "DESCRIPTION": "Dispute intake, triage, handling and statistics.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "CaseStatusEnum": "disputes.rules.enums.Status",
        # Two choice sets share the field name "role": name both, keeping the staff API's name.
        "RoleEnum": "disputes.rules.enums.PartyRole",
        "OtherPartyRoleEnum": "disputes.api.public_serializers.OTHER_PARTY_ROLES",
        "AgreementPerformanceEnum": "disputes.api.workbench.AGREEMENT_PERFORMANCE",
        # 司法确认: the court's result (pending, confirmed, rejected) and the decision recorded (not pending).
        "JudicialResultEnum": "disputes.api.judicial.JUDICIAL_RESULTS",
        "JudicialDecisionEnum": "disputes.api.judicial.JUDICIAL_DECISIONS",
        # ... which leaves the spot check's "result" its name.
        "ResultEnum": "disputes.models.SpotCheck.Result",
        # 民转刑 / 刑转命: what the dispute became (another "kind" than the period's and the others').
        "ConversionKindEnum": "disputes.models.CriminalConversion.Kind",
    },
}

# --- Celery -------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
# A monitor that sends `Authorization: Bearer <HEALTHZ_TOKEN>` to /healthz learns which
# check failed (database, broker); everyone else gets only ok/error. Empty: nobody does.
HEALTHZ_TOKEN = env.str("HEALTHZ_TOKEN", default="")
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    # kombu's filesystem transport: a queue is a folder of message files, so the
    # worker, beat and web process need nothing but a shared disk.
    _broker_dir = VAR_DIR / "broker"
    for sub in ("out", "processed", "control"):
        (_broker_dir / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "processed_folder": str(_broker_dir / "processed"),
        # Broadcast (pidbox) exchanges; the default is a "control" folder in the working directory.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    _visibility_timeout = env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Longer than any task may run, so a slow task is not delivered twice; a
        # task whose worker died is delivered again after this long.
        "visibility_timeout": _visibility_timeout,
        # A worker looks for such abandoned messages only every interval × throttle
        # seconds (kombu's default: 10 × 10). Keep that well inside a short timeout,
        # or the timeout is not what decides when a lost task comes back.
        "unacked_restore_interval": max(1, min(10, _visibility_timeout // 4)),
        "unacked_restore_throttle": 1 if _visibility_timeout < 1000 else 10,
        # The scan holds a Redis lock that a killed worker leaves behind until it
        # expires (kombu's default: 300 s); no longer than the timeout itself.
        "unacked_mutex_expire": max(5, min(300, _visibility_timeout)),
    }
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default="") or None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A submission must never wait on a dead broker: publish fails fast, the row is
# already stored and the sweeper re-enqueues it later.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2}
CELERY_BEAT_SCHEDULE = {
    "sweep-unrouted": {"task": "disputes.tasks.sweep_unrouted", "schedule": timedelta(minutes=1)},
    # The notification outbox: rows whose delivery could not be queued (broker down at commit).
    "sweep-pending-notifications": {"task": "core.tasks.sweep_pending_notifications", "schedule": timedelta(minutes=1)},
    "sweep-deadlines": {"task": "disputes.tasks.sweep_deadlines", "schedule": timedelta(minutes=1)},
    # 督办单 not signed for or not answered in time climb one level (disputes.services.supervision).
    "sweep-orders": {"task": "disputes.tasks.sweep_orders", "schedule": timedelta(minutes=1)},
    "sweep-petition-deadlines": {"task": "petitions.tasks.sweep_petition_deadlines", "schedule": timedelta(minutes=1)},
    # Dashboard rollups (disputes/dashboard/rollups.py): the last 14 days every 5 minutes, all of it nightly.
    "refresh-rollups": {"task": "disputes.dashboard.refresh_rollups", "schedule": timedelta(minutes=5)},
    "rebuild-rollups": {"task": "disputes.dashboard.rebuild_rollups", "schedule": crontab(hour=3, minute=17)},
    # PIPL retention (core/retention.py): anonymise parties of cases closed more than RETENTION_YEARS ago.
    "anonymise-closed-cases": {"task": "core.tasks.anonymise_closed_cases", "schedule": crontab(hour=4, minute=7)},
    # The sign-in log (django-axes AccessLog) is kept SIGN_IN_LOG_DAYS, then pruned.
    "prune-sign-in-log": {"task": "core.tasks.prune_sign_in_log", "schedule": crontab(hour=4, minute=37)},
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# --- Caches ---------------------------------------------------------------------------------
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Domain settings --------------------------------------------------------------------
# Whether a red case must be looked at by a human dispatcher before routing.
RED_CASES_NEED_HUMAN_DISPATCH = env.bool("RED_CASES_NEED_HUMAN_DISPATCH", default=True)
CALLBACK_DUE_DAYS = env.int("CALLBACK_DUE_DAYS", default=7)
# Personal data of parties is anonymised this many years after the case closed (core/retention.py).
RETENTION_YEARS = env.int("RETENTION_YEARS", default=5)
# Each app's part of the retention run (a core.retention.RetentionPolicy, named here so core imports no
# app): the people it anonymises and what else of a finished case it removes (disputes: the outbox
# messages' phones and bodies, and the uploaded files), run in this order.
RETENTION_POLICIES = ["disputes.retention.POLICY", "petitions.retention.POLICY"]
# Staff sign-ins and sign-outs (django-axes AccessLog) are kept this long; logs must be
# kept at least six months, so a smaller value is raised to 183 days.
SIGN_IN_LOG_DAYS = max(env.int("SIGN_IN_LOG_DAYS", default=365), 183)
JUDICIAL_CONFIRMATION_DAYS = env.int("JUDICIAL_CONFIRMATION_DAYS", default=30)
# A case still `submitted` this long after it arrived is routed again by the sweeper.
UNROUTED_AFTER_MINUTES = env.int("UNROUTED_AFTER_MINUTES", default=5)

# --- Public intake: request size and rate limits ------------------------------------------
# Five attachments of at most 10 MB (disputes.intake) plus the form fields. The
# public API refuses a larger Content-Length with 413 before reading the body;
# Django's own limits below cap the non-file part and the number of parts.
PUBLIC_MAX_REQUEST_BYTES = env.int("PUBLIC_MAX_REQUEST_BYTES", default=55 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)  # non-file fields
FILE_UPLOAD_MAX_MEMORY_SIZE = env.int("FILE_UPLOAD_MAX_MEMORY_SIZE", default=2_621_440)  # larger files go to disk
DATA_UPLOAD_MAX_NUMBER_FIELDS = env.int("DATA_UPLOAD_MAX_NUMBER_FIELDS", default=300)
DATA_UPLOAD_MAX_NUMBER_FILES = env.int("DATA_UPLOAD_MAX_NUMBER_FILES", default=10)
# Counted in the cache (core.ratelimit): shared by all processes with REDIS_URL,
# per process with the embedded in-memory cache. Raise them for load tests only.
PUBLIC_SUBMIT_PER_IP_HOUR = env.int("PUBLIC_SUBMIT_PER_IP_HOUR", default=20)
PUBLIC_SUBMIT_PER_PHONE_DAY = env.int("PUBLIC_SUBMIT_PER_PHONE_DAY", default=5)
PUBLIC_TRACK_PER_IP_HOUR = env.int("PUBLIC_TRACK_PER_IP_HOUR", default=120)
PUBLIC_TRACK_FAILURES_PER_IP_HOUR = env.int("PUBLIC_TRACK_FAILURES_PER_IP_HOUR", default=10)
PUBLIC_TRACK_FAILURES_PER_NUMBER_HOUR = env.int("PUBLIC_TRACK_FAILURES_PER_NUMBER_HOUR", default=5)
# Open311's anonymous list of requests (GET requests.json and requests/<id>.json without a key): off
# unless a centre decides to publish it (then coarsened: township, day, no private categories). A
# channel key reads its own requests in full whatever this says (disputes/open311.py).
OPEN311_PUBLIC_REQUESTS = env.bool("OPEN311_PUBLIC_REQUESTS", default=False)
OPEN311_READS_PER_IP_HOUR = env.int("OPEN311_READS_PER_IP_HOUR", default=60)
# Cases one machine channel's API key (110, 12345, grid workers, an Open311 client) may hand over per hour.
CHANNEL_SUBMIT_PER_KEY_HOUR = env.int("CHANNEL_SUBMIT_PER_KEY_HOUR", default=600)
# The reverse proxies (addresses or networks, e.g. "127.0.0.1,172.18.0.1") whose X-Forwarded-For is
# believed (core.ratelimit.client_ip). Empty: the header is ignored and the peer's address counts, so
# a client talking to gunicorn directly cannot choose its address by sending the header.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])

# --- Notifications ------------------------------------------------------------------------
NOTIFICATION_BACKEND = env.str("NOTIFICATION_BACKEND", default="core.notifications.LogBackend")
# A notification still pending and never tried this long after it was written is queued again by the sweeper.
NOTIFICATION_RESEND_AFTER_MINUTES = env.int("NOTIFICATION_RESEND_AFTER_MINUTES", default=5)
SMS_GATEWAY_URL = env.str("SMS_GATEWAY_URL", default="")
SMS_GATEWAY_TOKEN = env.str("SMS_GATEWAY_TOKEN", default="")
# Where links in SMS point (the public site's address).
PUBLIC_BASE_URL = env.str("PUBLIC_BASE_URL", default="http://127.0.0.1:8000")

# --- Logging --------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    # Search terms, phones and keys in URLs stay out of the development server's request lines
    # (gunicorn's access log: core.access_log.AccessLogger in docker/gunicorn.conf.py).
    "filters": {"redact_query": {"()": "core.access_log.RedactQueryFilter"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # axes announces its configuration at INFO on every start, management commands included.
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "axes": {"level": "WARNING"},
        "django.server": {"handlers": ["console"], "filters": ["redact_query"], "level": "INFO", "propagate": False},
    },
}

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
# Sessions read from the cache (Redis in production) and written through to the
# database: staff pages skip a database round trip per view, and a cache flush or
# a Redis restart signs nobody out.
# cached_db, surviving a cache outage (core/sessions.py).
SESSION_ENGINE = "core.sessions"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
# Idle sign-out (core.security.SessionIdleTimeoutMiddleware), cheaper than
# SESSION_SAVE_EVERY_REQUEST: the last-activity stamp is rewritten at most once a minute.
SESSION_IDLE_SECONDS = env.int("SESSION_IDLE_SECONDS", default=30 * 60)
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
SECURE_REFERRER_POLICY = "same-origin"
CSRF_COOKIE_HTTPONLY = True
# An expired or missing form token gets a page in the site's design and language.
CSRF_FAILURE_VIEW = "core.errors.csrf_failure"
# Everything is served from this origin (no CDN, see ARCHITECTURE.md), so the policy
# allows 'self' only. No inline script or style anywhere: page scripts are static
# files, and Swagger UI loads its init script as a file (SpectacularSwaggerSplitView).
# img-src allows data: for the QR code SVGs. ECharts styles elements through the
# CSSOM (element.style), which style-src does not govern.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
# SQLite (the embedded default) builds covering indexes without their INCLUDE columns: still correct,
# only PostgreSQL reads them without touching the table.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=True)
    CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=True)
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    # Joining the browsers' HSTS preload list binds the whole domain to HTTPS for months and is
    # hard to undo: the operator's decision (SECURE_HSTS_PRELOAD=1), so check --deploy is not
    # asked to warn about it.
    SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
    if not SECURE_HSTS_PRELOAD:
        SILENCED_SYSTEM_CHECKS = [*SILENCED_SYSTEM_CHECKS, "security.W021"]
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)

# 督办 (supervision orders, disputes.services.supervision): hours to sign for an order, days to reply.
SUPERVISION_SIGN_WITHIN_HOURS = env.int("SUPERVISION_SIGN_WITHIN_HOURS", default=24)
SUPERVISION_REPLY_WITHIN_DAYS = env.int("SUPERVISION_REPLY_WITHIN_DAYS", default=3)

# 回访 (core.casework.callbacks): unanswered calls count towards "unreachable" only when spread out: the
# counted calls fall on at least this many different days, each at least this many hours after the last.
CALLBACK_UNREACHABLE_MIN_DAYS = env.int("CALLBACK_UNREACHABLE_MIN_DAYS", default=2)
CALLBACK_UNREACHABLE_MIN_GAP_HOURS = env.int("CALLBACK_UNREACHABLE_MIN_GAP_HOURS", default=4)

# The escalation ladder (disputes.rules.clocks, issue 19): the supervisor rungs above the first
# are this many colour gaps apart (a district or a city needs longer than a township to act).
LADDER_UPPER_GAP_FACTOR = env.int("LADDER_UPPER_GAP_FACTOR", default=2)
# 久拖未决: a case whose nearest running deadline passed this many days ago shows on the
# district's dashboard, and later on the city's (disputes.selectors.overdue).
LONG_OVERDUE_DISTRICT_DAYS = env.int("LONG_OVERDUE_DISTRICT_DAYS", default=15)
LONG_OVERDUE_CITY_DAYS = env.int("LONG_OVERDUE_CITY_DAYS", default=30)
# 大屏 (disputes/staff/bigscreen.py): how often the wall screen fetches its figures again, in seconds.
DASHBOARD_SCREEN_REFRESH_SECONDS = env.int("DASHBOARD_SCREEN_REFRESH_SECONDS", default=300)

# 收件箱 (the staff inbox, core/inbox.py): how often an open staff page asks for new items (seconds;
# the answer is a 304 while nothing changed). STAFF_NOTIFY_SMS: also send each staff message as an SMS
# to the staff member's phone (grids StaffProfile.phone) through NOTIFICATION_BACKEND.
INBOX_POLL_SECONDS = env.int("INBOX_POLL_SECONDS", default=60)
STAFF_NOTIFY_SMS = env.bool("STAFF_NOTIFY_SMS", default=False)

# 排名通报 (disputes.dashboard.ranking): the composite score's weights (points out of 100; each component
# scores 0-100, see the module for the formulas), e.g. RANKING_WEIGHTS="resolution=30,on_time=25,...";
# areas with fewer cases registered in the month than RANKING_MIN_CASES are listed unranked; the monthly
# notice names the last RANKING_NOTICE_LAGGARDS ranked areas (and any with red cases overdue).
RANKING_WEIGHTS = env.dict(
    "RANKING_WEIGHTS",
    cast={"value": int},
    default={"resolution": 30, "on_time": 25, "satisfaction": 20, "overdue": 15, "repeat": 10},
)
RANKING_MIN_CASES = env.int("RANKING_MIN_CASES", default=5)
RANKING_NOTICE_LAGGARDS = env.int("RANKING_NOTICE_LAGGARDS", default=3)
