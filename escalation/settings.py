"""Settings, read from the environment; with nothing set they run on SQLite, the in-memory
channel layer, eager Celery and console email (see .env.example)."""

from pathlib import Path

import environ
from csp.constants import NONE, SELF
from django.core.management.utils import get_random_secret_key

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DEBUG", default=False)
# The key signs sessions and CSRF tokens. Production sets SECRET_KEY, or SECRET_KEY_FILE (a
# mounted secret); `make run` writes a random one to var/secret_key on its first run. With
# neither, the process makes one up for itself alone, and outside DEBUG every command and the
# server refuse to start (escalation/checks.py); the servers a test or the benchmark starts are
# handed the key of the process that starts them (escalation/processes.py).
SECRET_KEY_FILE = Path(env.str("SECRET_KEY_FILE", default=str(BASE_DIR / "var" / "secret_key")))
SECRET_KEY = env.str("SECRET_KEY", default="") or (
    SECRET_KEY_FILE.read_text().strip() if SECRET_KEY_FILE.is_file() else ""
)
SECRET_KEY_IS_CONFIGURED = bool(SECRET_KEY)
if not SECRET_KEY_IS_CONFIGURED:
    SECRET_KEY = get_random_secret_key()
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
CSRF_FAILURE_VIEW = "escalation.refusals.csrf_failure"

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "servestatic.runserver_nostatic",
    "django.contrib.staticfiles",
    "ninja",  # serves the API docs from its own static files, not a CDN (the CSP)
    "django_htmx",
    "template_partials",
    "channels",
    "axes",
    "csp",
    "escalation",
    "agents_console",
    "surveys",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "escalation.middleware.PermissionsPolicyMiddleware",
    "servestatic.middleware.ServeStaticMiddleware",
    "escalation.api.errors.ApiErrorEnvelopeMiddleware",
    "escalation.middleware.ApiBodyLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    "escalation.middleware.DatabaseUnavailableMiddleware",
]

ROOT_URLCONF = "escalation.urls"
ASGI_APPLICATION = "escalation.asgi.application"
WSGI_APPLICATION = None

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # IMMEDIATE transactions take the write lock up front, so concurrent writers queue instead
    # of failing with "database is locked" on upgrade; those of one process queue on a lock of
    # their own rather than in SQLite's busy handler (escalation/backends/sqlite/base.py).
    DATABASES["default"]["ENGINE"] = "escalation.backends.sqlite"
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    # A file, not memory, so that threads and a live server in another process share it.
    DATABASES["default"]["TEST"] = {"NAME": str(BASE_DIR / "test-db.sqlite3")}
else:
    # A pool of open connections (psycopg-pool): without it every request, and every database
    # call of a console socket, opened a connection of its own (1,000 agents connecting meant
    # 5,000 PostgreSQL connections made and closed).
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {"min_size": 2, "max_size": 8}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env.str("REDIS_URL", default="")
# While Redis is unreachable, requests give up connecting after this long and still answer:
# the database is the record (escalation/backends/outage_safe.py). Only the connect is bounded: the
# channel layer and the broker block on reads by design.
REDIS_TIMEOUT_SECONDS = env.float("REDIS_TIMEOUT_SECONDS", default=2.0)
REDIS_TIMEOUTS = {"socket_connect_timeout": REDIS_TIMEOUT_SECONDS}
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            # Pub/sub: one publish per group, handed to each process's members in memory
            # (escalation/backends/channel_layer.py). Reads wait as long as the layer asks (its
            # subscription polls 0.1 s at a time); only the connect is bounded.
            "BACKEND": "escalation.backends.channel_layer.RedisChannelLayer",
            "CONFIG": {
                "hosts": [
                    {
                        "address": REDIS_URL,
                        "socket_timeout": None,
                        **REDIS_TIMEOUTS,
                    }
                ],
            },
        }
    }
    CACHES = {
        "default": {
            "BACKEND": "escalation.backends.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": REDIS_TIMEOUTS,
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    CELERY_TASK_ALWAYS_EAGER = False
else:
    CHANNEL_LAYERS = {
        "default": {"BACKEND": "escalation.backends.channel_layer.InMemoryChannelLayer"}
    }
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    CELERY_BROKER_URL = "memory://localhost/"  # named, or kombu warns on every connection
    CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
# No result backend: a task's result is what it wrote to the database, and nothing waits on
# one; sending a task then needs the broker alone.
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
# Tasks say themselves whether they are idempotent (acks_late=True); those are acknowledged
# after they ran, and a worker that dies mid-task leaves the message to another: at once when
# a pool child is lost, after the visibility timeout when the whole worker is gone. Keep the
# timeout above the longest countdown (webhook back-off, survey delay), or those run twice.
CELERY_TASK_ACKS_LATE = False
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_TASK_TIME_LIMIT = 60
CELERY_TASK_SOFT_TIME_LIMIT = 50
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_VISIBILITY_TIMEOUT_SECONDS = env.int("CELERY_VISIBILITY_TIMEOUT_SECONDS", default=3600)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT_SECONDS,
    # Look for overdue unacknowledged tasks every few seconds (kombu's default is 100 s).
    "unacked_restore_interval": min(CELERY_VISIBILITY_TIMEOUT_SECONDS, 10),
    "unacked_restore_throttle": 1,
    **REDIS_TIMEOUTS,
}
CELERY_BROKER_CONNECTION_TIMEOUT = REDIS_TIMEOUT_SECONDS
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_TIMEZONE = "UTC"
# Work that should have happened by now (a turn not scored, a webhook or survey not sent: the
# broker was down, or a worker died) is sent again by sweeps this often, this long overdue.
OVERDUE_SWEEP_SECONDS = env.int("OVERDUE_SWEEP_SECONDS", default=60)
CELERY_BEAT_SCHEDULE = {
    "undecided-messages-sweep": {
        "task": "escalation.tasks.undecided_messages_sweep",
        "schedule": float(OVERDUE_SWEEP_SECONDS),
    },
    "webhook-deliveries-sweep": {
        "task": "escalation.tasks.webhook_deliveries_sweep",
        "schedule": float(OVERDUE_SWEEP_SECONDS),
    },
    "surveys-sweep": {
        "task": "surveys.tasks.surveys_sweep",
        "schedule": float(OVERDUE_SWEEP_SECONDS),
    },
    "held-conversations-rescore": {
        "task": "escalation.tasks.held_conversations_rescore_task",
        "schedule": 60.0,
    },
}

# Unset, each email is one line in the log (EMAIL_URL=consolemail:// prints them whole).
if env.str("EMAIL_URL", default=""):
    vars().update(env.email_url("EMAIL_URL"))
else:
    EMAIL_BACKEND = "escalation.backends.mail.OneLineEmailBackend"
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Handover <support@handover.localhost>")

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.25)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/console/"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
SERVESTATIC_USE_FINDERS = True

SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = SECURE_HSTS_SECONDS > 0
if env.bool("BEHIND_TLS_PROXY", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Every page, the admin included, runs on files served from here: no inline scripts, styles or
# event handlers. 'self' covers the same-origin websockets (ws:/wss:) in current browsers.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "object-src": [NONE],
        "base-uri": [NONE],
    }
}
# Browser features no page uses.
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=()"
)

# The Bot API refuses bodies over this size before parsing them.
API_MAX_BODY_BYTES = env.int("API_MAX_BODY_BYTES", default=64 * 1024)
# Requests per API key, e.g. "600/m" (s, m, h or d); more are answered 429 with Retry-After.
API_RATE_LIMIT = env.str("API_RATE_LIMIT", default="600/m")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"refusal_one_line": {"()": "escalation.logs.RefusalWithoutTraceback"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "axes": {"level": "WARNING"},
        "django.request": {"filters": ["refusal_one_line"]},
        # A line for every task that succeeded, periodic sweeps included, buries the ones a
        # person reads; failures are still logged, as errors.
        "celery.app.trace": {"level": "WARNING"},
    },
}

# Webhooks to external bots: attempts per event, back-off base (doubling) and the HTTP timeout.
WEBHOOK_MAX_ATTEMPTS = env.int("WEBHOOK_MAX_ATTEMPTS", default=6)
WEBHOOK_BACKOFF_BASE_SECONDS = env.float("WEBHOOK_BACKOFF_BASE_SECONDS", default=10.0)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=5.0)
# Agent console: a dropped console socket marks its agent away after this grace period; the
# sweep (Celery beat) checks presence and cases left without an answer this often.
CONSOLE_PRESENCE_GRACE_SECONDS = env.int("CONSOLE_PRESENCE_GRACE_SECONDS", default=90)
CONSOLE_SWEEP_SECONDS = env.int("CONSOLE_SWEEP_SECONDS", default=30)
CELERY_BEAT_SCHEDULE["console-sweep"] = {
    "task": "agents_console.tasks.console_sweep",
    "schedule": float(CONSOLE_SWEEP_SECONDS),
}
# Measuring the handover (surveys app): the survey link, first-contact resolution, the dashboard.
# The address customers reach this server at, for the survey links sent by email and into the
# chat; unset, the local server on PORT (the one `make run` serves on).
SITE_URL = env.str("SITE_URL", default="") or f"http://127.0.0.1:{env.int('PORT', default=8000)}"
SURVEY_DELAY_SECONDS = env.int("SURVEY_DELAY_SECONDS", default=60)
SURVEY_MAX_AGE_DAYS = env.int("SURVEY_MAX_AGE_DAYS", default=14)
FCR_WINDOW_DAYS = env.int("FCR_WINDOW_DAYS", default=7)
ABANDONED_AFTER_HOURS = env.int("ABANDONED_AFTER_HOURS", default=4)
CELERY_BEAT_SCHEDULE["indicators-close-fcr-windows"] = {
    "task": "surveys.tasks.outcomes_recompute_open",
    "schedule": 3600.0,
}
# The built-in chat's assistant on any OpenAI-compatible endpoint (escalation/llm.py); unset,
# the rule-based demo assistant answers and the fallback summary stands in. The key may be
# empty for local servers that ask for none.
LLM_BASE_URL = env.str("LLM_BASE_URL", default="")
LLM_MODEL = env.str("LLM_MODEL", default="")
LLM_API_KEY = env.str("LLM_API_KEY", default="")
# Per request to the model; a timeout, a 5xx or a dropped connection is retried this often,
# and a customer's whole turn gives up (and hands off) after LLM_TURN_SECONDS.
LLM_TIMEOUT_SECONDS = env.float("LLM_TIMEOUT_SECONDS", default=15.0)
LLM_MAX_RETRIES = env.int("LLM_MAX_RETRIES", default=1)
LLM_TURN_SECONDS = env.float("LLM_TURN_SECONDS", default=40.0)
# Ask for token log-probabilities (the draft's confidence); turn off for servers that refuse
# the parameter, and the model's own self-assessment is used instead.
LLM_LOGPROBS = env.bool("LLM_LOGPROBS", default=True)
# Keep all text on the premises: the endpoint is used only when its host is this machine or a
# private network (loopback, RFC 1918, link-local, unique-local); otherwise no model is used.
LLM_ON_PREMISES_ONLY = env.bool("LLM_ON_PREMISES_ONLY", default=False)
