from django.apps import AppConfig


class EnquiriesConfig(AppConfig):
    name = "enquiries"

    def ready(self) -> None:
        # In ready(): the services import models, which are loaded only now.
        from contactcenter.background import register_sweep
        from contactcenter.services import on_staff_became_active
        from enquiries.services import enquiries_alert_newly_active

        # Deadlines: every tick of the embedded ticker, and of the production web ticker
        # while it holds the advisory lock (beat: "sweep-timers").
        register_sweep("enquiries.services.timers_sweep", web=True)
        on_staff_became_active(enquiries_alert_newly_active)
