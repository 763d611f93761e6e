from django.apps import AppConfig


class HistoryConfig(AppConfig):
    name = "history"

    def ready(self) -> None:
        # In ready(): these modules import models, which are loaded only now.
        from contactcenter.org.background import register_sweep

        # Imported for its Celery task (history has no tasks.py of its own for it).
        from history import retention  # noqa: F401

        # Retention: tried hourly, runs at most once a day (beat: "retention-daily").
        register_sweep("history.retention.retention_sweep", every=3600.0)
