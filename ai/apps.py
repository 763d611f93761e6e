"""AI assist (SPEC section 11): the provider (Azure OpenAI or any OpenAI-compatible server),
its configuration, the log of every call, and summary / smart reply / suggested labels for an
enquiry. Above analytics; the robot app builds on its client (``ai.client``)."""

from django.apps import AppConfig


class AiConfig(AppConfig):
    name = "ai"

    def ready(self) -> None:
        # Imported here: these modules import models, which are loaded only now.
        from ai import tasks  # noqa: F401 - its Celery task
        from contactcenter.org.background import register_sweep

        # Retention of the call log (CC_AI_CALLS_KEEP_DAYS; beat: "sweep-ai-calls").
        register_sweep("ai.services.ai_calls_sweep", every=3600.0)
