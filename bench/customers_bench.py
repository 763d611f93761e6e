"""Customers API timings on a generated history (PostgreSQL): N customers, each with one
visitor and one closed enquiry (1% owned by the measured agent), loaded with INSERT ...
SELECT generate_series; then p50/p95 of the customers endpoints as an admin and as an agent,
and the time of the backfill migration over every visitor.

    source <env with DATABASE_URL> && .venv/bin/python manage.py flush --no-input
    BENCH_CUSTOMERS=200000 .venv/bin/python bench/customers_bench.py

It writes into the configured database (flush it first: it expects an empty one)."""

from __future__ import annotations

import importlib
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "contactcenter.settings")

import django  # noqa: E402

django.setup()

from django.apps import apps  # noqa: E402
from django.db import connection  # noqa: E402
from rest_framework.test import APIClient  # noqa: E402

from channels_adapters import services as channel_services  # noqa: E402
from contactcenter.org import services as org  # noqa: E402

N = int(os.environ.get("BENCH_CUSTOMERS", "200000"))
RUNS = int(os.environ.get("BENCH_RUNS", "30"))
PASSWORD = "bench-password-42"


def setup() -> tuple[Any, Any]:
    admin = org.staff_create(actor=None, email="admin@cb.local", password=PASSWORD, display_name="Admin", role="admin")
    tag = org.tag_create(actor=admin, name="Support")
    agent = org.staff_create(actor=None, email="agent@cb.local", password=PASSWORD, display_name="Agent", tags=[tag])
    other = org.staff_create(actor=None, email="other@cb.local", password=PASSWORD, display_name="Other", tags=[tag])
    channel = channel_services.channel_create(actor=admin, kind="widget", name="Web", destination_tag=tag)
    start = time.monotonic()
    with connection.cursor() as c:
        c.execute(
            """INSERT INTO customers_customer (id, name, email, phone, identifier, custom_fields, notes,
                 created_at, updated_at, last_seen_at)
               SELECT i, 'Customer ' || i, 'c' || i || '@example.org', '+44 20 ' || lpad(i::text, 7, '0'),
                 NULL, '[]', '', now(), now(), now() - i * interval '1 minute'
               FROM generate_series(1, %s) i""",
            [N],
        )
        c.execute(
            """INSERT INTO enquiries_visitor (id, first_name, last_name, email, phone, photo_url, language,
                 chat_language, channel_id, channel_identity, device, utm, extra, custom_fields, customer_id,
                 token_epoch, created_at)
               SELECT i, 'Customer', i::text, 'c' || i || '@example.org', '+44 20 ' || lpad(i::text, 7, '0'),
                 '', '', '', %s, '', '{}', '{}', '{}', '[]', i, 0, now()
               FROM generate_series(1, %s) i""",
            [channel.pk, N],
        )
        c.execute(
            """INSERT INTO enquiries_enquiry (kind, status, missed_reason, first_message, topic, labels,
                 created_at, closed_at, rating_comment, channel_id, destination_id, owner_id, visitor_id,
                 client_country, via)
               SELECT 'broadcast', 'closed', '', 'Hello ' || i, '', '[]', now() - i * interval '1 minute',
                 now() - i * interval '1 minute' + interval '5 minutes', '', %s, %s,
                 CASE WHEN i %% 100 = 0 THEN %s ELSE %s END, i, '', ''
               FROM generate_series(1, %s) i""",
            [channel.pk, channel.destination_id, agent.pk, other.pk, N],
        )
        for table in ("customers_customer", "enquiries_visitor"):
            c.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)", [N + 1])  # noqa: S608
        c.execute("ANALYZE")
    print(f"loaded {N} customers, visitors and enquiries in {time.monotonic() - start:.1f} s")
    return admin, agent


def timed(client: APIClient, url: str) -> tuple[float, float]:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code, response.content[:200])
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


def main() -> None:
    if os.environ.get("BENCH_LOAD", "1") == "0":  # timings again on the history loaded before
        from contactcenter.org.models import Staff

        admin, agent = Staff.objects.get(email="admin@cb.local"), Staff.objects.get(email="agent@cb.local")
    else:
        admin, agent = setup()
    mine = N // 100 * 100  # a customer the agent served
    urls = [
        "/api/v1/me",  # the floor: authentication and the middleware, no customer query
        "/api/v1/customers",
        "/api/v1/customers?page=100",
        f"/api/v1/customers?q=Customer%20{N // 2}",
        f"/api/v1/customers?q=c{N // 3}@example",
        f"/api/v1/customers?q=020{N // 4:07d}",
        f"/api/v1/customers/{mine}",
        f"/api/v1/customers/{mine}/enquiries",
        f"/api/v1/customers/{mine}/duplicates",
    ]
    print("| request | admin p50 / p95 ms | agent (1% served) p50 / p95 ms |\n|---|---|---|")
    clients = {}
    for who, staff in (("admin", admin), ("agent", agent)):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {org.token_issue(staff=staff)}")  # type: ignore[arg-type]
        clients[who] = client
    for url in urls:
        if url.startswith("/api/v1/customers?page=100"):
            a = timed(clients["admin"], url)
            print(f"| `{url}` | {a[0]:.0f} / {a[1]:.0f} | (fewer pages) |")
            continue
        a, g = timed(clients["admin"], url), timed(clients["agent"], url.replace(f"{N // 2}", f"{mine}"))
        print(f"| `{url}` | {a[0]:.0f} / {a[1]:.0f} | {g[0]:.0f} / {g[1]:.0f} |")
    if os.environ.get("BENCH_BACKFILL", "1") == "0":
        return
    # The backfill migration over every visitor, as on an upgrade.
    with connection.cursor() as c:
        c.execute("UPDATE enquiries_visitor SET customer_id = NULL")
        c.execute("DELETE FROM customers_customer")
    backfill = importlib.import_module("customers.migrations.0002_customers_backfill").backfill
    start = time.monotonic()
    backfill(apps, None)
    print(f"backfill of {N} visitors: {time.monotonic() - start:.1f} s")


if __name__ == "__main__":
    main()
