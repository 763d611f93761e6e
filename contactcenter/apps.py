from django.apps import AppConfig


class ProjectConfig(AppConfig):
    # The project layer (settings, ASGI, URLs, Celery app, the dashboard's pages, commands
    # that span every app such as demo_setup). Installed last, under its own label, so that
    # its management commands are found; the organisation app below keeps "contactcenter".
    name = "contactcenter"
    label = "project"
    verbose_name = "Contact center"
