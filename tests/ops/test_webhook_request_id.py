"""A message from a platform webhook: the webhook request's id follows it into the inbound
task and on into the tasks that one causes (the welcome reply's send), through Celery's
task headers (README "Logs")."""

from __future__ import annotations

import contextvars
from typing import Any

import pytest
from celery import signals
from django.test import Client

from contactcenter.org import background, request_ids
from tests.channels.conftest import agent, fixture_body, line_signature, platform_channel  # noqa: F401 - fixtures


def test_webhook_request_id_reaches_the_tasks_it_causes(
    db: Any,
    platform_channel: Any,  # noqa: F811 - fixture
    agent: Any,  # noqa: F811 - fixture
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: Any,
) -> None:
    channel = platform_channel("line")
    ran: list[tuple[str, str]] = []

    def as_celery(task: Any, *args: Any, **kwargs: Any) -> None:
        """Publish (the signal fills the headers) and run the task as a worker would: in a
        fresh context, knowing only its headers."""
        headers: dict[str, Any] = {}
        signals.before_task_publish.send(sender=task.name, headers=headers, body=None, exchange="", routing_key="")

        def worker() -> None:
            with django_capture_on_commit_callbacks(execute=True):
                task.apply(args=args, headers=headers)

        contextvars.Context().run(worker)
        ran.append((task.name, headers.get("cc_request_id", "")))

    monkeypatch.setattr(background, "run_task", as_celery)
    body = fixture_body("line")
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post(
            f"/webhooks/line/{channel.pk}/",
            data=body,
            content_type="application/json",
            HTTP_X_LINE_SIGNATURE=line_signature(body),
            HTTP_X_REQUEST_ID="edge-req-0042",
        )
    assert response.status_code == 200
    assert response["X-Request-ID"] == "edge-req-0042"
    names = [name for name, _rid in ran]
    assert "channels_adapters.tasks.inbound_process" in names, ran
    assert "channels_adapters.tasks.outbound_send" in names, ran  # the welcome reply
    assert {rid for _name, rid in ran} == {"edge-req-0042"}, ran
    assert request_ids.current() == request_ids.NO_REQUEST
