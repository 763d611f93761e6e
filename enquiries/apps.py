from django.apps import AppConfig


class EnquiriesConfig(AppConfig):
    name = "enquiries"

    def ready(self) -> None:
        from contactcenter.background import register_sweep

        # Deadlines: every tick of the embedded ticker, and of the production web ticker
        # while it holds the advisory lock (beat: "sweep-timers").
        register_sweep("enquiries.services.timers_sweep", web=True)
