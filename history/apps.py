"""After the conversation (SPEC section 9): history, search, customers' API, exports,
retention. The top feature app: it reads enquiries, rooms, channels and customers and is
imported by none of them (they reach it only through hooks registered in ``ready()``)."""

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

        from history import search_index  # Imported here: models load after the app registry.
        from history.hooks import register_erasure_hook, register_retention_hook  # Imported here: see above.
        from rooms import hooks  # Imported here: rooms' models load after the app registry.

        hooks.register_message_observers(posted=search_index.messages_index, changed=search_index.message_reindex)
        register_erasure_hook(search_index.search_erase)
        register_retention_hook(search_index.search_retain)
        register_sweep("history.search_index.search_stale_sweep", every=5.0, web=True)

        from history.exports import EXPORT_SWEEP_SECONDS, exports_on_erasure  # Imported here: models load first.

        # Exports: lost tasks, stuck runs, expired files (beat: "sweep-exports").
        register_sweep("history.exports.exports_sweep", every=EXPORT_SWEEP_SECONDS)
        # An erasure deletes the export files written before it that could hold the customer.
        register_erasure_hook(exports_on_erasure)
