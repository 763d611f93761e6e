"""After the conversation (SPEC section 9): history, search, customers' API, exports,
retention. The top feature app: it reads enquiries, rooms, channels and customers and is
imported by none of them (they reach it only through hooks registered in ``ready()``)."""

from django.apps import AppConfig


class HistoryConfig(AppConfig):
    name = "history"

    def ready(self) -> None:
        from contactcenter.org.background import register_sweep
        from history.exports import EXPORT_SWEEP_SECONDS, exports_on_erasure
        from history.hooks import register_erasure_hook

        # Exports: lost tasks, stuck runs, expired files (beat: "sweep-exports").
        register_sweep("history.exports.exports_sweep", every=EXPORT_SWEEP_SECONDS)
        # An erasure deletes the export files written before it that could hold the customer.
        register_erasure_hook(exports_on_erasure)
