from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operating the product (README "Health and metrics", "Logs"): /readyz, /metrics, the
    request log and request ids, the task log. Project layer: it reads every app."""

    name = "contactcenter.ops"
    label = "ops"
    verbose_name = "Operations"

    def ready(self) -> None:
        # Imported here: the hooks and Celery's signals are wired once the apps are loaded.
        from contactcenter.ops import counting, task_context

        counting.install()
        task_context.install()
