"""AI assist (SPEC section 11): the provider (Azure OpenAI or any OpenAI-compatible server),
its configuration, the log of every call, and summary / smart reply / suggested labels for an
enquiry. Above analytics; the robot app builds on its client (``ai.client``)."""

from django.apps import AppConfig


class AiConfig(AppConfig):
    name = "ai"
