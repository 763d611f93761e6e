from django.apps import AppConfig


class GatewayConfig(AppConfig):
    name = "contactcenter.gateway"
    label = "gateway"
    verbose_name = "Socket gateway"
