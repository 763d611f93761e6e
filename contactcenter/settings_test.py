"""Settings for the test suite: the same configuration chosen by the environment
(SQLite by default; PostgreSQL + Redis when DATABASE_URL and REDIS_URL are set), with timers
driven by the tests' own clock and fast password hashing."""

import os
import secrets

# A strong random key of this run's own (production settings refuse to start without one);
# in the environment, so that the daphne and Celery processes the tests start share it.
os.environ.setdefault("CC_SECRET_KEY", secrets.token_urlsafe(50))

from contactcenter.settings import *  # noqa: E402, F403
from contactcenter.settings import REST_FRAMEWORK  # noqa: E402

CC_TIMERS = "off"
CC_REALTIME_RELAY = False  # the tests read the in-process channel layer
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {"login": "10000/min", "widget": "10000/min"},
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Generous per-person limits: tests that check them set their own (the settings fixture).
CC_LOGIN_LOCKOUT_FAILURES = 1000
CC_VISITOR_MESSAGE_RATE = CC_STAFF_MESSAGE_RATE = "100000/min"
CC_VISITOR_UPLOAD_RATE = CC_STAFF_UPLOAD_RATE = "100000/min"
CC_AI_STAFF_RATE = "100000/min"
CC_AI_RETRY_BASE_SECONDS = 0.01
# In-process HTTP requests (HttpCommunicator) each in a thread of their own, their connection
# closed as they end: a kept thread's connection would outlive the test database
# (tests/ops/test_request_connections.py tests kept threads with a handler of its own).
CC_HTTP_THREADS_KEPT = 0
