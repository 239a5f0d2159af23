"""Settings of `manage.py bench` and of the servers it starts: the project's own, plus the
bench-only baseline endpoints, and kept apart from a deployment sharing the same Redis (its own
channel-layer prefix, Celery queue and cache prefix). The database is the bench's own too: the
command creates it and passes it to its children in DATABASE_URL."""

import copy
from typing import Any, cast

from escalation.settings import *  # noqa: F403
from escalation.settings import CACHES as PROJECT_CACHES
from escalation.settings import CHANNEL_LAYERS as PROJECT_CHANNEL_LAYERS
from escalation.settings import REDIS_URL

BENCH_PREFIX = "handover-bench"

ROOT_URLCONF = "escalation.bench.urls"
DEBUG = False  # DEBUG keeps every query in memory
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
if REDIS_URL:
    layer = cast(dict[str, Any], copy.deepcopy(PROJECT_CHANNEL_LAYERS["default"]))
    layer["CONFIG"]["prefix"] = BENCH_PREFIX
    CHANNEL_LAYERS = {"default": layer}
    CACHES = {"default": PROJECT_CACHES["default"] | {"KEY_PREFIX": BENCH_PREFIX}}
    CELERY_TASK_DEFAULT_QUEUE = BENCH_PREFIX
    CELERY_BEAT_SCHEDULE = {}  # the sweeps would compete with the soak's agents for cases
# The bench's bots post far more than a deployment's per-key limit allows; throttled answers
# would break the runs, not measure them. The throttle itself still runs on every request; a
# one-second window keeps its history as short as a deployment's.
API_RATE_LIMIT = "100000/s"
