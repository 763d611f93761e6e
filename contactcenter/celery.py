import logging
import logging.config
import os
from collections.abc import Mapping

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contactcenter.settings")

app = Celery("contactcenter")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# --- Quiet sweeps ------------------------------------------------------------------------
# Beat runs the timer sweep every second and the lost-work sweeps every 30 s; Celery logs
# three INFO lines for each run ("Sending due task", "received", "succeeded"), about 10,000
# lines an hour of nothing. Those lines are dropped for these tasks; a sweep that did
# something logs one line itself (the tasks' modules), and errors are logged as ever.
QUIET_TASKS = frozenset(
    {
        "enquiries.tasks.sweep_timers",
        "channels_adapters.tasks.inbound_sweep",
        "channels_adapters.tasks.outbound_sweep",
        "history.tasks.exports_sweep",
        # Every 10 s, and hourly: they too say what they did when they did something.
        "analytics.voc_tasks.voc_sweep",
        "notifications.tasks.notifications_sweep",
        "history.retention.retention_daily",
        # Every 2 s / 5 s / hourly: webhooks, the robot, the AI call log.
        "integrations.tasks.webhooks_sweep",
        "robot.tasks.robot_sweep",
        "ai.tasks.ai_calls_sweep",
    }
)


class QuietSweeps(logging.Filter):
    """Drop Celery's routine INFO lines about the periodic sweeps."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO:
            return True
        args = record.args
        # celery.beat: "Scheduler: Sending due task %s (%s)" % (entry name, task name)
        if isinstance(args, tuple) and len(args) == 2 and str(record.msg).startswith("Scheduler: Sending due task"):
            return args[1] not in QUIET_TASKS
        # celery.worker.strategy and celery.app.trace: "Task %(name)s[%(id)s] received" and
        # "... succeeded in ...", formatted from a mapping.
        if isinstance(args, Mapping) and str(record.msg).startswith("Task %(name)s"):
            return args.get("name") not in QUIET_TASKS
        return True


QUIET_LOGGERS = ("celery.beat", "celery.worker.strategy", "celery.app.trace")


def quiet_sweep_logs() -> None:
    """Install the filter (idempotent); worker and beat both import this module at start."""
    for name in QUIET_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, QuietSweeps) for f in logger.filters):
            logger.addFilter(QuietSweeps())


quiet_sweep_logs()
# -----------------------------------------------------------------------------------------


# --- Logs (README "Logs") ------------------------------------------------------------------
# Worker and beat log through the project's LOGGING (CC_LOG_FORMAT: JSON lines in production,
# with request ids) instead of Celery's own format: Celery leaves logging alone when this
# signal has a receiver.
@signals.setup_logging.connect
def _project_logging(**_: object) -> None:
    from django.conf import settings  # settings are read once Celery starts, not at import

    logging.config.dictConfig(settings.LOGGING)
    quiet_sweep_logs()
