"""Settings, chosen by environment variables alone.

No variables: the embedded default (SQLite, in-memory channel layer, timers driven by a
ticker inside the web process). With ``DATABASE_URL`` and ``REDIS_URL``: PostgreSQL,
channels_redis and Celery worker + beat.
"""

import ipaddress
import os
import re
import sys
import warnings
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url

from contactcenter import secret_key
from contactcenter.org import logs

BASE_DIR = Path(__file__).resolve().parent.parent


def _env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value not in (None, "") else default


DEBUG = _env_bool("CC_DEBUG", False)
DATABASE_URL = os.environ.get("DATABASE_URL", "")
REDIS_URL = os.environ.get("REDIS_URL", "")
PRODUCTION = bool(DATABASE_URL and REDIS_URL)
SQLITE_PATH = os.environ.get("CC_SQLITE_PATH", str(BASE_DIR / "db.sqlite3"))

# --- Secret key (contactcenter/secret_key.py) -------------------------------------------
# It signs visitor tokens, file links and sessions: a known key lets anyone forge them.
# A deployment (DATABASE_URL or REDIS_URL set) refuses to start, with one line saying how
# to make one, unless CC_SECRET_KEY is strong (50+ characters, 10+ distinct, no public
# placeholder). The embedded default generates a random key on its first start and keeps
# it beside the SQLite file (<name>.secret-key, mode 0600, git-ignored). A key that is set
# is checked in every mode.
SECRET_KEY = os.environ.get("CC_SECRET_KEY", "")
if SECRET_KEY or DATABASE_URL or REDIS_URL:
    _key_problem = secret_key.key_problem(SECRET_KEY)
    if _key_problem:
        sys.exit(secret_key.refusal(_key_problem))
else:
    SECRET_KEY = secret_key.embedded_key(secret_key.key_file_for(SQLITE_PATH))
# -----------------------------------------------------------------------------------------

ALLOWED_HOSTS = [h for h in os.environ.get("CC_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",") if h]
CSRF_TRUSTED_ORIGINS = [o for o in os.environ.get("CC_CSRF_TRUSTED_ORIGINS", "").split(",") if o]

INSTALLED_APPS = [
    "daphne",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI and Redoc served from here, not from a CDN
    "channels",
    # Bottom to top: each app imports only the apps listed before it (tests/test_layers.py).
    "contactcenter.org",
    "customers",
    "rooms",
    "enquiries",
    "channels_adapters",
    "monitoring",
    "history",
    "notifications",
    "analytics",
    "ai",
    "robot",
    "integrations",
    "contactcenter.gateway",
    "contactcenter.ops",  # /readyz, /metrics, request ids and logs (README "Health and metrics")
    "contactcenter.apps.ProjectConfig",
]

MIDDLEWARE = [
    # First: the request id, latency by route and the request's log line (contactcenter/ops).
    "contactcenter.ops.middleware.RequestMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # PostgreSQL/Redis briefly unreachable: 503 + Retry-After, not 500 (contactcenter/org/outages.py).
    "contactcenter.org.outages.ServiceUnavailableMiddleware",
    # Static files (the widget loader above all) are served by the app itself, from any
    # process, with no separate web server needed.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language of the request (after the session, before CommonMiddleware): the browser's
    # Accept-Language; a signed-in staff member's own choice wins (StaffLanguageMiddleware).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "contactcenter.org.auth.SingleSessionMiddleware",
    "contactcenter.org.i18n.StaffLanguageMiddleware",
    "enquiries.auth.VisitorTokenRenewalMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "contactcenter.urls"
ASGI_APPLICATION = "contactcenter.asgi.application"
AUTH_USER_MODEL = "contactcenter.Staff"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "contactcenter.web.i18n_context",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": SQLITE_PATH,
            # Several writers (web requests, the ticker) share one file: wait, don't fail.
            "OPTIONS": {"timeout": 20, "transaction_mode": "IMMEDIATE"},
        }
    }

# PgBouncer in transaction pooling mode between the processes and PostgreSQL (README
# "Deploy", deploy/pgbouncer.ini): each transaction may run on another server connection,
# so nothing may live in a session. CC_PGBOUNCER=1 turns off what would: server-side cursors
# (exports' .iterator() would DECLARE a cursor that the next fetch cannot find), the web
# ticker's session advisory lock (CC_WEB_TICKER: the deadlines are then Celery's alone) and
# the socket writer's session timeouts (set per transaction instead).
CC_PGBOUNCER = _env_bool("CC_PGBOUNCER", False)
if CC_PGBOUNCER and DATABASE_URL:
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    # PgBouncer restarted or a server connection dropped: checked before a request reuses it.
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True

# Production channel layer (bench/RESULTS.md has the measurements behind the choice):
# - "pubsub" (default): RedisPubSubChannelLayer. group_send is one PUBLISH that Redis fans
#   out to each subscribed process; group members live in each process, so a crashed
#   process leaves no dead members behind. Two Redis connections per process (one
#   subscriber, one publisher), so a mass connect/disconnect cannot exhaust a pool.
# - "core": RedisChannelLayer (lists + sorted-set groups). Past `capacity` per channel it
#   drops messages silently, and every consumer's group_add/discard takes a pooled
#   connection: the pool is sized explicitly because redis-py raises instead of waiting.
CC_CHANNEL_LAYER = os.environ.get("CC_CHANNEL_LAYER", "pubsub")
# Threads (each with its own database connection) that run socket clients' service calls.
CC_SOCKET_DB_THREADS = _env_int("CC_SOCKET_DB_THREADS", 2)
# Threads (each with its database connection) kept per web process between HTTP requests,
# so that a request need not start a thread and connect to the database (contactcenter/asgi.py);
# 0: a thread of its own for each request, its connection closed as it ends.
CC_HTTP_THREADS_KEPT = _env_int("CC_HTTP_THREADS_KEPT", 8)
# Most messages posted over sockets committed together by the process's socket writer.
CC_SOCKET_WRITE_BATCH = _env_int("CC_SOCKET_WRITE_BATCH", 64)
# The socket writer starts a batch at most once per this many ms (the first post after a
# pause goes at once). It otherwise commits as fast as the database answers: ~150 batches a
# second of about one message each at 300 msg/s, each batch's fixed CPU (transaction, owner
# locks, hooks, the events' publish, the event-loop wake-up) paid per message. Paced, the
# posts of the interval go in one batch (bench/RESULTS.md, sessions 12 and 14: 20 ms spent
# 17-40% less CPU per message than 10 ms at 300-900 msg/s with p99 still <= 50 ms); 0: unpaced.
CC_SOCKET_WRITE_MIN_INTERVAL_MS = _env_int("CC_SOCKET_WRITE_MIN_INTERVAL_MS", 20)
# Back-pressure of the socket writer: at most this many posts wait for it; past that a post
# is refused at once with a slow_down frame (retry_after_ms) and the client sends it again.
CC_SOCKET_WRITE_QUEUE = _env_int("CC_SOCKET_WRITE_QUEUE", 2000)
# Pushback before the queue is full: when a whole batch waits and the last batch had waited
# longer than this to be taken, posts are refused with a slow_down frame (retry_after_ms).
CC_SOCKET_WRITE_MAX_WAIT_MS = _env_int("CC_SOCKET_WRITE_MAX_WAIT_MS", 100)
# A socket whose posts are refused again and again (its resend refused too) is told to wait
# twice as long each time, at most this many times in a row (2**N times the writer's estimate,
# and never more than 5 s).
CC_SOCKET_PUSHBACK_MAX_DOUBLINGS = _env_int("CC_SOCKET_PUSHBACK_MAX_DOUBLINGS", 6)
# The writer's own PostgreSQL connection gives up on a row lock held elsewhere (or a slow
# statement) after these; that post is answered 503 and the process's other posts go on.
CC_SOCKET_WRITE_LOCK_TIMEOUT_MS = _env_int("CC_SOCKET_WRITE_LOCK_TIMEOUT_MS", 3000)
CC_SOCKET_WRITE_STATEMENT_TIMEOUT_MS = _env_int("CC_SOCKET_WRITE_STATEMENT_TIMEOUT_MS", 5000)
# The web process's young-generation threshold of the cyclic garbage collector (asgi.py;
# 0: Python's default, 700). At 700 a loaded process ran ~15 young passes a second and, every
# few seconds, an older-generation pass of 45-400 ms (CC_SOCKET_STAGE_LOG_SECONDS); at 20,000
# a few young passes per 8 s and no older ones (bench/realtime-logs/s11-rtover2-ab1.log).
CC_GC_GEN0_THRESHOLD = _env_int("CC_GC_GEN0_THRESHOLD", 20000)
# Every this many seconds, a WARNING line "socket stages {...}" per process with the socket
# posts' per-stage timings (contactcenter/gateway/stage_timings.py); 0: off.
CC_SOCKET_STAGE_LOG_SECONDS = _env_int("CC_SOCKET_STAGE_LOG_SECONDS", 0)
CC_REDIS_MAX_CONNECTIONS = _env_int("CC_REDIS_MAX_CONNECTIONS", 2000)
# --- Channel prefix (several deployments on one Redis) ----------------------------------
# Redis pub/sub channels ignore the database number: deployments (or test runs) sharing one
# Redis server keep apart by prefix. The default, cc-<database name>-<Redis DB number>, is
# the same in every process of one deployment and differs between deployments unless they
# use databases of the same name on the same Redis DB number; CC_CHANNEL_PREFIX overrides it.


def _default_channel_prefix() -> str:
    database = str(DATABASES["default"]["NAME"])
    if not DATABASE_URL:
        database = Path(database).stem
    redis_db = urlsplit(REDIS_URL).path.strip("/") or "0"
    return re.sub(r"[^A-Za-z0-9_.-]", "-", f"cc-{database}-{redis_db}")[:80]


CC_CHANNEL_PREFIX = os.environ.get("CC_CHANNEL_PREFIX") or _default_channel_prefix()
# -----------------------------------------------------------------------------------------
if CC_CHANNEL_LAYER not in ("pubsub", "core"):
    raise ValueError("CC_CHANNEL_LAYER must be pubsub or core")
# Redis outages (contactcenter/org/outages.py, contactcenter/org/channel_layers.py): connecting to
# Redis gives up after CC_REDIS_CONNECT_TIMEOUT seconds, a cache command after
# CC_REDIS_SOCKET_TIMEOUT; a cache that failed is not tried again for CC_CACHE_RETRY_SECONDS
# (throttles fail open meanwhile). A request that cannot be served answers 503 with
# Retry-After: CC_RETRY_AFTER_SECONDS. The channel layers below close every socket that may
# have missed events (close code 4503), so that clients reconnect and sync.
CC_REDIS_CONNECT_TIMEOUT = _env_float("CC_REDIS_CONNECT_TIMEOUT", 1.0)
CC_REDIS_SOCKET_TIMEOUT = _env_float("CC_REDIS_SOCKET_TIMEOUT", 1.0)
CC_CACHE_RETRY_SECONDS = _env_float("CC_CACHE_RETRY_SECONDS", 2.0)
CC_RETRY_AFTER_SECONDS = _env_int("CC_RETRY_AFTER_SECONDS", 5)
_redis_socket_options = {"socket_connect_timeout": CC_REDIS_CONNECT_TIMEOUT, "socket_keepalive": True}
if REDIS_URL and CC_CHANNEL_LAYER == "core":
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "contactcenter.org.channel_layers.ResyncingRedisChannelLayer",
            "CONFIG": {
                "hosts": [{"address": REDIS_URL, "max_connections": CC_REDIS_MAX_CONNECTIONS, **_redis_socket_options}],
                "capacity": 1000,
                "expiry": 30,
                "prefix": CC_CHANNEL_PREFIX,
            },
        }
    }
elif REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "contactcenter.org.channel_layers.ResyncingPubSubChannelLayer",
            "CONFIG": {"hosts": [{"address": REDIS_URL, **_redis_socket_options}], "prefix": CC_CHANNEL_PREFIX},
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

# Timers: "celery" (task at the deadline + beat sweep every second), "ticker" (a thread in
# the web process runs the same sweep), or "off" (tests drive the sweep with a clock).
CC_TIMERS = os.environ.get("CC_TIMERS", "celery" if REDIS_URL else "ticker")
CC_TICKER_INTERVAL_SECONDS = _env_float("CC_TICKER_INTERVAL_SECONDS", 0.25)
# With "celery": the web processes sweep as well, one at a time under a PostgreSQL advisory
# lock, so that deadlines fire on time while the Celery worker or beat is down (0 turns it
# off: Celery alone then enforces deadlines).
CC_WEB_TICKER = _env_bool("CC_WEB_TICKER", not CC_PGBOUNCER)
if CC_PGBOUNCER and CC_WEB_TICKER and DATABASE_URL:
    raise ValueError(
        "CC_WEB_TICKER=1 needs a session-level advisory lock, which PgBouncer's transaction pooling"
        " (CC_PGBOUNCER=1) cannot hold: leave CC_WEB_TICKER unset (Celery beat and workers enforce the deadlines)."
    )
# Set by manage.py for every command but runserver: a process without the sockets. In the
# embedded default (in-memory channel layer) its realtime events go through the database
# to the web process, which sends them (contactcenter.org.realtime.relay_drain); with Redis
# the channel layer crosses processes and this changes nothing.
CC_REALTIME_RELAY = _env_bool("CC_REALTIME_RELAY", False)

CELERY_BROKER_URL = REDIS_URL or "memory://"
# --- Celery queue (several deployments, or test runs, on one Redis database) -------------
# The default task queue; its exchange and routing key follow it, and so do the control
# (inspect, ping) and event exchanges. Celery's own names by default.
CC_CELERY_QUEUE = os.environ.get("CC_CELERY_QUEUE") or "celery"
CELERY_TASK_DEFAULT_QUEUE = CC_CELERY_QUEUE
CELERY_CONTROL_EXCHANGE = CC_CELERY_QUEUE
CELERY_EVENT_EXCHANGE = f"{CC_CELERY_QUEUE}ev"
# -----------------------------------------------------------------------------------------
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Queuing a task while the broker is down fails fast (the callers log it; sweeps recover
# lost tasks) instead of holding a committed request for Celery's default retries.
CELERY_BROKER_CONNECTION_TIMEOUT = CC_REDIS_CONNECT_TIMEOUT
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": CC_REDIS_CONNECT_TIMEOUT}
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_BEAT_SCHEDULE = {
    "sweep-timers": {"task": "enquiries.tasks.sweep_timers", "schedule": 1.0},
    # Platform events whose processing task was lost (worker crash, broker outage).
    "sweep-inbound": {"task": "channels_adapters.tasks.inbound_sweep", "schedule": 30.0},
    # Staff replies to platform customers whose send task was lost, or whose try crashed.
    "sweep-outbound": {"task": "channels_adapters.tasks.outbound_sweep", "schedule": 30.0},
    # Retention (history.retention): tried hourly, runs at most once a day.
    "retention-daily": {"task": "history.retention.retention_daily", "schedule": 3600.0},
    # Exports: lost tasks, stuck runs, expired files (history.exports.exports_sweep).
    "sweep-exports": {"task": "history.tasks.exports_sweep", "schedule": 30.0},
    # Notifications older than CC_NOTIFICATIONS_KEEP_DAYS (notifications.services.notifications_sweep).
    "sweep-notifications": {"task": "notifications.tasks.notifications_sweep", "schedule": 3600.0},
    # AI call-log rows older than CC_AI_CALLS_KEEP_DAYS (ai.services.ai_calls_sweep).
    "sweep-ai-calls": {"task": "ai.tasks.ai_calls_sweep", "schedule": 3600.0},
    # Voice of the customer: score the queued messages (analytics.voc).
    "voc-sweep": {"task": "analytics.voc_tasks.voc_sweep", "schedule": 10.0},
    # Outgoing webhooks: fan events out to the hooks, queue due deliveries (integrations.webhooks).
    "webhooks-sweep": {"task": "integrations.tasks.webhooks_sweep", "schedule": 2.0},
    # The robot: idle conversations end, customer messages whose task was lost get answered.
    "sweep-robot": {"task": "robot.tasks.robot_sweep", "schedule": 5.0},
}
# Notifications are kept this many days (0: for ever); an hourly sweep deletes older ones.
CC_NOTIFICATIONS_KEEP_DAYS = _env_int("CC_NOTIFICATIONS_KEEP_DAYS", 90)

# --- Analytics reports (analytics.reports) -----------------------------------------------
# Worker threads per process that run a report's second lane on their own connection in the
# request's snapshot (analytics.report_lanes): the conversation-tag and hourly reports use
# both cores. 0: every statement on the request's connection, one after the other.
CC_ANALYTICS_REPORT_WORKERS = _env_int("CC_ANALYTICS_REPORT_WORKERS", 1)

# --- Voice of the customer (analytics.voc) -------------------------------------------------
CC_VOC_SWEEP_SECONDS = float(_env_int("CC_VOC_SWEEP_SECONDS", 10))  # the embedded ticker's interval
CC_VOC_BATCH = _env_int("CC_VOC_BATCH", 500)  # messages scored per transaction
CC_VOC_MAX_BATCHES = _env_int("CC_VOC_MAX_BATCHES", 20)  # per sweep run
# "auto": the AI provider's scorer when one is configured, else offline; "offline": never AI.
CC_VOC_SCORER = os.environ.get("CC_VOC_SCORER", "auto")

# --- Exports (history.exports) -----------------------------------------------------------
CC_EXPORT_TTL_DAYS = _env_int("CC_EXPORT_TTL_DAYS", 7)  # a finished file is kept this long
CC_EXPORT_MAX_ACTIVE = _env_int("CC_EXPORT_MAX_ACTIVE", 2)  # pending or running, per staff member
CC_EXPORT_STALE_SECONDS = _env_int("CC_EXPORT_STALE_SECONDS", 300)  # no heartbeat: crashed
CC_EXPORT_MAX_ATTEMPTS = _env_int("CC_EXPORT_MAX_ATTEMPTS", 3)
CC_EXPORT_PROGRESS_ROWS = _env_int("CC_EXPORT_PROGRESS_ROWS", 5000)  # progress saved every N rows
# Exports yield to the chat (bench/RESULTS-history.md): the export runs in a thread of its
# own at this CPU niceness (0: unchanged), pauses this many ms after every chunk of rows,
# and goes to this Celery queue (empty: the default one) for a worker of its own.
CC_EXPORT_NICE = _env_int("CC_EXPORT_NICE", 10)
CC_EXPORT_PAUSE_MS = _env_int("CC_EXPORT_PAUSE_MS", 0)
CC_EXPORT_QUEUE = os.environ.get("CC_EXPORT_QUEUE", "")
if CC_EXPORT_QUEUE:
    CELERY_TASK_ROUTES = {"history.tasks.export_run": {"queue": CC_EXPORT_QUEUE}}
# Prefixed to the file links in exports (e.g. https://support.example.com); empty: paths.
CC_EXPORT_BASE_URL = os.environ.get("CC_EXPORT_BASE_URL", "").rstrip("/")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = True
# The languages (README "Languages"): catalogues in locale/, made by scripts/i18n.sh. The
# visitor's pages (widget, web link, the visitor's system messages and refusals) speak all of
# them, chosen by ?lang= or the browser; the dashboard only CC_STAFF_LANGUAGES (its whole
# catalogue is translated into those), chosen by Staff.language, else the browser's.
LANGUAGES = [
    ("en", "English"),
    ("zh-hans", "简体中文"),
    ("zh-hant", "繁體中文"),
    ("ja", "日本語"),
    ("th", "ไทย"),
]
CC_STAFF_LANGUAGES = ["en", "zh-hans", "zh-hant"]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
# Serve straight from static/ (no collectstatic step needed); a collected STATIC_ROOT, as in
# the Docker image, is served too.
WHITENOISE_USE_FINDERS = True
WHITENOISE_MAX_AGE = 300
WHITENOISE_AUTOREFRESH = DEBUG  # pick up edited static files without a restart (CC_DEBUG)
# Without collectstatic there is no STATIC_ROOT; the finders serve everything then.
warnings.filterwarnings("ignore", message="No directory at")
MEDIA_ROOT = Path(os.environ.get("CC_MEDIA_ROOT", str(BASE_DIR / "media")))
# Where `manage.py backup`/`restore` find pg_dump and pg_restore (contactcenter/backups.py):
# empty = on PATH, else the newest /usr/lib/postgresql/<version>/bin.
CC_PG_BIN_DIR = os.environ.get("CC_PG_BIN_DIR", "")

# Accounts: an idle session ends after 5 hours; each request renews it.
CC_IDLE_TIMEOUT_SECONDS = _env_int("CC_IDLE_TIMEOUT_SECONDS", 5 * 3600)
SESSION_COOKIE_AGE = CC_IDLE_TIMEOUT_SECONDS
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = _env_bool("CC_SECURE_COOKIES", False)
# Visitor tokens (widget, web link) last this long from issue (default 14 days); an active
# visitor gets a fresh one once its token is a quarter of that old (enquiries/auth.py).
CC_VISITOR_TOKEN_MAX_AGE_SECONDS = _env_int("CC_VISITOR_TOKEN_MAX_AGE_SECONDS", 14 * 24 * 3600)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# The visitor sign-in that rooms' endpoints accept besides staff (contactcenter.org.auth.VisitorAuthentication).
CC_VISITOR_AUTHENTICATION = "enquiries.auth.VisitorAuthentication"

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "contactcenter.org.auth.StaffTokenAuthentication",
        "contactcenter.org.auth.StaffSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["contactcenter.org.permissions.IsStaff"],
    "DEFAULT_SCHEMA_CLASS": "contactcenter.api_schema.AutoSchema",
    "EXCEPTION_HANDLER": "contactcenter.org.api_errors.exception_handler",
    # DRF's parsers plus checks on every string and on nesting (contactcenter/org/parsers.py).
    "DEFAULT_PARSER_CLASSES": [
        "contactcenter.org.parsers.JSONParser",
        "contactcenter.org.parsers.FormParser",
        "contactcenter.org.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "contactcenter.org.api_errors.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_THROTTLE_RATES": {
        "login": os.environ.get("CC_LOGIN_RATE", "20/min"),
        "widget": os.environ.get("CC_WIDGET_RATE", "60/min"),
    },
    "UNAUTHENTICATED_USER": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Contact center API",
    "DESCRIPTION": "Enquiries, rooms, messages and supervision.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # /api/docs/ loads Swagger UI from this server's static files (drf-spectacular-sidecar,
    # pinned in pyproject.toml): it works offline and runs no code from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # No schema sent to swagger.io's online validator either.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    # Error answers (400/401/403/404/409/413/415/429/503) documented once, with one Error shape.
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "contactcenter.org.api_errors.document_errors",
    ],
}

CACHES: dict[str, dict[str, object]] = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
if REDIS_URL:
    CACHES = {
        "default": {
            # Fails open while Redis is down (contactcenter/org/cache.py).
            "BACKEND": "contactcenter.org.cache.FailOpenRedisCache",
            "LOCATION": REDIS_URL,
            # Rate counters, lockouts and webhook nonces of deployments sharing one Redis
            # database stay apart, as their realtime channels do.
            "KEY_PREFIX": CC_CHANNEL_PREFIX,
            "OPTIONS": {
                "socket_connect_timeout": CC_REDIS_CONNECT_TIMEOUT,
                "socket_timeout": CC_REDIS_SOCKET_TIMEOUT,
            },
        }
    }

# Lifecycle timings (SPEC section 3); environment variables shorten them for tests.
CC_ENQUIRY_MAX_WAIT_SECONDS = _env_float("CC_ENQUIRY_MAX_WAIT_SECONDS", 60)
CC_TRANSFER_MAX_WAIT_SECONDS = _env_float("CC_TRANSFER_MAX_WAIT_SECONDS", 60)
CC_STICKY_HEAD_START_SECONDS = _env_float("CC_STICKY_HEAD_START_SECONDS", 15)
# The robot (robot app): a conversation it holds ends (closed, resolved by the robot) after
# the customer has written nothing for this long.
CC_ROBOT_IDLE_SECONDS = _env_float("CC_ROBOT_IDLE_SECONDS", 1800)
# When set, overrides the admin setting's minutes (tests use a few seconds).
CC_RESOLVED_AUTO_CLOSE_SECONDS = os.environ.get("CC_RESOLVED_AUTO_CLOSE_SECONDS") or None
CC_MESSAGE_EDIT_WINDOW_SECONDS = _env_float("CC_MESSAGE_EDIT_WINDOW_SECONDS", 300)
CC_NOTE_MAX_CHARS = 2000
CC_CUSTOM_INFO_MAX_CHARS = 10000
CC_MESSAGE_MAX_CHARS = _env_int("CC_MESSAGE_MAX_CHARS", 10000)
CC_WIDGET_MAX_ENQUIRIES_PER_HOUR = _env_int("CC_WIDGET_MAX_ENQUIRIES_PER_HOUR", 10)
# How often an open widget without a socket reads its public config again (availability,
# work hours); the answer is a 304 when nothing changed.
CC_WIDGET_REFRESH_SECONDS = _env_float("CC_WIDGET_REFRESH_SECONDS", 20)
# Link previews (rooms.previews): private/loopback targets and any port only when allowed (tests).
CC_LINK_PREVIEW_ENABLED = _env_bool("CC_LINK_PREVIEW_ENABLED", True)
CC_LINK_PREVIEW_ALLOW_PRIVATE = _env_bool("CC_LINK_PREVIEW_ALLOW_PRIVATE", False)
# Preview images are fetched and served by the server (never by the agents' browsers from
# the page's host); larger images are not shown.
CC_LINK_PREVIEW_IMAGE_MAX_BYTES = _env_int("CC_LINK_PREVIEW_IMAGE_MAX_BYTES", 2 * 1024 * 1024)
CC_MAX_UPLOAD_BYTES = _env_int("CC_MAX_UPLOAD_BYTES", 25 * 1024 * 1024)
# Images other than JPEG (which is decoded small) larger than this get no thumbnail: decoding
# them whole in the upload request would take seconds (rooms.files._image_details).
CC_THUMBNAIL_MAX_PIXELS = _env_int("CC_THUMBNAIL_MAX_PIXELS", 12_000_000)

# Messaging platforms (channels_adapters.platforms): API base URLs are settings so that
# tests point them at local servers. Outbound sends retry with exponential back-off.
CC_META_GRAPH_URL = os.environ.get("CC_META_GRAPH_URL", "https://graph.facebook.com/v21.0")
CC_LINE_API_URL = os.environ.get("CC_LINE_API_URL", "https://api.line.me")
CC_LINE_DATA_API_URL = os.environ.get("CC_LINE_DATA_API_URL", "https://api-data.line.me")
CC_WECHAT_API_URL = os.environ.get("CC_WECHAT_API_URL", "https://api.weixin.qq.com")
CC_PLATFORM_HTTP_TIMEOUT = _env_float("CC_PLATFORM_HTTP_TIMEOUT", 10)
CC_OUTBOUND_MAX_ATTEMPTS = _env_int("CC_OUTBOUND_MAX_ATTEMPTS", 6)
CC_OUTBOUND_RETRY_BASE_SECONDS = _env_float("CC_OUTBOUND_RETRY_BASE_SECONDS", 2)
# A try at sending claims its message for this long; no other try starts meanwhile. It must
# outlast the longest try: a few API calls (token, upload, send, caption), each network
# operation of which may take CC_PLATFORM_HTTP_TIMEOUT, and the upload of the largest file.
# A try that crashed is taken up again once its claim has run out.
CC_OUTBOUND_CLAIM_SECONDS = _env_float("CC_OUTBOUND_CLAIM_SECONDS", max(120.0, 12 * CC_PLATFORM_HTTP_TIMEOUT))
# The outbound sweep queues again a pending reply whose try is this overdue (its task was
# lost); less than that is left to the task, which may just be late.
CC_OUTBOUND_SWEEP_GRACE_SECONDS = _env_float("CC_OUTBOUND_SWEEP_GRACE_SECONDS", 60)
# A customer writing again this soon after a miss adds to the missed enquiry (read in the
# missed list) instead of opening another one that would be missed at once.
CC_PLATFORM_MISSED_JOIN_SECONDS = _env_float("CC_PLATFORM_MISSED_JOIN_SECONDS", 600)
# Tries to download an inbound photo, file or voice note (back-off as for replies) before
# its message, posted at once as "image (loading…)", says it could not be loaded.
CC_INBOUND_MEDIA_TRIES = _env_int("CC_INBOUND_MEDIA_TRIES", 5)
# Staff files reach LINE (and WeChat, for types it cannot take as media) as signed links
# {CC_PUBLIC_BASE_URL}/media-links/<token>/ (empty: such sends fail, saying to set it).
CC_PUBLIC_BASE_URL = os.environ.get("CC_PUBLIC_BASE_URL", "")
CC_MEDIA_LINK_MAX_AGE_SECONDS = _env_int("CC_MEDIA_LINK_MAX_AGE_SECONDS", 24 * 3600)
# Requests per channel and client address to a webhook ("600/min"; empty: no limit).
CC_WEBHOOK_RATE = os.environ.get("CC_WEBHOOK_RATE", "600/min")
# WeChat signs only (timestamp, nonce), not the body: a signed request is accepted only
# within this many seconds of its timestamp (either way, for clock skew), and each nonce
# once (remembered in the cache, shared by every process on Redis).
CC_WECHAT_TIMESTAMP_WINDOW_SECONDS = _env_int("CC_WECHAT_TIMESTAMP_WINDOW_SECONDS", 300)

# Client addresses and limits (README "Security"). Forwarded headers are believed only from
# declared proxies: CC_TRUSTED_PROXIES (IPs/CIDRs, comma-separated) or CC_PROXY_COUNT (the
# number of proxies in front). Neither: the peer address alone (contactcenter.org.client_address).
CC_TRUSTED_PROXIES = [p.strip() for p in os.environ.get("CC_TRUSTED_PROXIES", "").split(",") if p.strip()]
for _proxy in CC_TRUSTED_PROXIES:  # a typo stops the start, not every request
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise ValueError(f"CC_TRUSTED_PROXIES: {_proxy!r} is not an IP address or network") from None
CC_PROXY_COUNT = _env_int("CC_PROXY_COUNT", 0)
# Where a visitor is, from the address it connects from: an offline IP-to-country table that
# ships inside the iptocc package (no network). CC_GEOIP=0 turns the lookup off; private,
# loopback and reserved addresses never have a location (contactcenter.org.geoip).
CC_GEOIP_ENABLED = _env_bool("CC_GEOIP", True)
# Per-account login lockout: after this many failed logins for one email, that account
# refuses logins for CC_LOGIN_LOCKOUT_BASE_SECONDS, doubling with each further failure up
# to CC_LOGIN_LOCKOUT_MAX_SECONDS; a successful login resets it (0 failures: off).
CC_LOGIN_LOCKOUT_FAILURES = _env_int("CC_LOGIN_LOCKOUT_FAILURES", 5)
CC_LOGIN_LOCKOUT_BASE_SECONDS = _env_int("CC_LOGIN_LOCKOUT_BASE_SECONDS", 30)
CC_LOGIN_LOCKOUT_MAX_SECONDS = _env_int("CC_LOGIN_LOCKOUT_MAX_SECONDS", 15 * 60)
# Messages and uploads per visitor and per staff member, over every path (sockets, REST,
# widget), shared by all of one person's sockets and processes ("N/<period>": 20/10s,
# 10/min; empty: no limit). Far above a person typing and pasting fast.
CC_VISITOR_MESSAGE_RATE = os.environ.get("CC_VISITOR_MESSAGE_RATE", "20/10s")
CC_STAFF_MESSAGE_RATE = os.environ.get("CC_STAFF_MESSAGE_RATE", "30/10s")
CC_VISITOR_UPLOAD_RATE = os.environ.get("CC_VISITOR_UPLOAD_RATE", "10/min")
CC_STAFF_UPLOAD_RATE = os.environ.get("CC_STAFF_UPLOAD_RATE", "20/min")

# --- AI provider (ai.client; README "AI assist") ------------------------------------------
# Nothing is sent to any provider unless one is configured: by these variables, or by an
# admin in Settings > AI. When CC_AI_PROVIDER is set the environment wins: its provider,
# URL, key, model and API version are used and the admin form shows them read-only.
CC_AI_PROVIDER = os.environ.get("CC_AI_PROVIDER", "").strip().lower()  # "azure", "openai" or empty
CC_AI_BASE_URL = os.environ.get("CC_AI_BASE_URL", "").strip()
CC_AI_API_KEY = os.environ.get("CC_AI_API_KEY", "")
CC_AI_MODEL = os.environ.get("CC_AI_MODEL", "").strip()  # Azure: the deployment's name
CC_AI_API_VERSION = os.environ.get("CC_AI_API_VERSION", "2024-10-21").strip()  # Azure only
if CC_AI_PROVIDER not in ("", "azure", "openai"):
    raise ValueError("CC_AI_PROVIDER must be azure, openai or empty")
CC_AI_TIMEOUT_SECONDS = _env_float("CC_AI_TIMEOUT_SECONDS", 20)  # one try at the provider
# Tries again after a 429, a 5xx or a refused connection, at most this many times, waiting
# CC_AI_RETRY_BASE_SECONDS doubled each time (or the provider's Retry-After), each wait at
# most CC_AI_RETRY_MAX_SECONDS. A timeout is not tried again (the agent is waiting).
CC_AI_MAX_RETRIES = _env_int("CC_AI_MAX_RETRIES", 2)
CC_AI_RETRY_BASE_SECONDS = _env_float("CC_AI_RETRY_BASE_SECONDS", 0.5)
CC_AI_RETRY_MAX_SECONDS = _env_float("CC_AI_RETRY_MAX_SECONDS", 4)
CC_AI_STAFF_RATE = os.environ.get("CC_AI_STAFF_RATE", "20/min")  # assist requests per staff member
# Replace emails, phone numbers and card numbers by placeholders before text leaves (the
# admin setting can also turn it on).
CC_AI_REDACT = _env_bool("CC_AI_REDACT", False)
CC_AI_MAX_TRANSCRIPT_CHARS = _env_int("CC_AI_MAX_TRANSCRIPT_CHARS", 12_000)  # the newest part is sent
CC_AI_MAX_TOKENS = _env_int("CC_AI_MAX_TOKENS", 600)  # of an answer
CC_AI_CALLS_KEEP_DAYS = _env_int("CC_AI_CALLS_KEEP_DAYS", 180)  # the call log (0: for ever)
# --- Outgoing webhooks (integrations.webhooks) and SMS (Twilio) -------------------------
# The sweep that fans events out to the hooks and queues due deliveries runs this often.
CC_WEBHOOKS_SWEEP_SECONDS = _env_float("CC_WEBHOOKS_SWEEP_SECONDS", 2.0)
CC_WEBHOOKS_TIMEOUT_SECONDS = _env_float("CC_WEBHOOKS_TIMEOUT_SECONDS", 5.0)  # per request
CC_WEBHOOKS_MAX_ATTEMPTS = _env_int("CC_WEBHOOKS_MAX_ATTEMPTS", 8)  # per delivery, then failed
# Back-off between tries: base, 2 x base, 4 x base... capped at the maximum (seconds).
CC_WEBHOOKS_RETRY_BASE_SECONDS = _env_float("CC_WEBHOOKS_RETRY_BASE_SECONDS", 10.0)
CC_WEBHOOKS_RETRY_MAX_SECONDS = _env_float("CC_WEBHOOKS_RETRY_MAX_SECONDS", 3600.0)
# A hook whose tries failed this many times in a row (no success between) is disabled.
CC_WEBHOOKS_DISABLE_AFTER = _env_int("CC_WEBHOOKS_DISABLE_AFTER", 50)
# Delivery log rows are kept this many days.
CC_WEBHOOKS_KEEP_DAYS = _env_int("CC_WEBHOOKS_KEEP_DAYS", 14)
# Lifts the SSRF guard's address and port checks for hook URLs (tests against 127.0.0.1 only).
CC_WEBHOOKS_ALLOW_PRIVATE = _env_bool("CC_WEBHOOKS_ALLOW_PRIVATE", False)
# Twilio's REST API (the SMS channel); a local fake in tests.
CC_TWILIO_API_URL = os.environ.get("CC_TWILIO_API_URL", "https://api.twilio.com")

# --- Demo accounts (manage.py demo_setup, run by `make run`) -----------------------------
# admin@example.com / agent@example.com with a public password: only in the embedded
# default (no DATABASE_URL or REDIS_URL), or when CC_DEMO=1 asks for them. Otherwise
# demo_setup creates nothing and says how to create the first admin.
CC_DEMO = _env_bool("CC_DEMO", not (DATABASE_URL or REDIS_URL))
CC_DEMO_PASSWORD = os.environ.get("CC_DEMO_PASSWORD", "demo-pass-1234")
# -----------------------------------------------------------------------------------------

# --- Health, metrics and logs (contactcenter/ops, README "Health and metrics", "Logs") ----
# /metrics: with CC_METRICS_TOKEN set, only to "Authorization: Bearer <token>"; without, only
# to loopback and private client addresses (forwarded headers as CC_TRUSTED_PROXIES says).
# Several processes: set PROMETHEUS_MULTIPROC_DIR (contactcenter/org/metrics.py).
CC_METRICS_TOKEN = os.environ.get("CC_METRICS_TOKEN", "")
# /readyz: each check gives up after this; the timer sweep must have run within the other.
CC_READY_TIMEOUT_SECONDS = _env_float("CC_READY_TIMEOUT_SECONDS", 2.0)
CC_READY_SWEEP_MAX_AGE_SECONDS = _env_float("CC_READY_SWEEP_MAX_AGE_SECONDS", 10.0)
# One JSON object per line in production, text in the embedded default; both with request ids.
CC_LOG_FORMAT = os.environ.get("CC_LOG_FORMAT", "json" if PRODUCTION else "text")
if CC_LOG_FORMAT not in ("json", "text"):
    raise ValueError("CC_LOG_FORMAT must be json or text")
LOGGING = logs.logging_config(CC_LOG_FORMAT, os.environ.get("CC_LOG_LEVEL", "INFO"))
