"""Bench fixtures, run by bench/chat_load.py as ``manage.py shell -c`` input (argv-free: the
sizes come from the environment). Creates staff through the services and prints JSON:
channel keys, agent ids and tokens (staff sockets take a one-time ticket made from one),
and signed visitor tokens for idle sockets."""

import json
import os

from django.test.utils import override_settings

from channels_adapters import services as channel_services
from contactcenter.org import services as org
from enquiries.auth import visitor_token_for
from enquiries.services import visitor_create

PASSWORD = "bench-password-42"
conversations = int(os.environ["BENCH_CONVERSATIONS"])
fanout = int(os.environ["BENCH_FANOUT"])
idle = int(os.environ["BENCH_IDLE"])

# Hundreds of accounts: a fast hasher for the bench only (nobody logs in with these;
# override_settings resets Django's hasher cache).
with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
    admin = org.staff_create(
        actor=None, email="admin@bench.local", password=PASSWORD, display_name="Bench Admin", role="admin"
    )
    chat_tag = org.tag_create(actor=admin, name="Bench chat")
    fan_tag = org.tag_create(actor=admin, name="Bench fan-out")

    def agents(prefix: str, n: int, tag: object) -> list[list[object]]:
        out: list[list[object]] = []
        for i in range(n):
            staff = org.staff_create(
                actor=None,
                email=f"{prefix}{i}@bench.local",
                password=PASSWORD,
                display_name=f"{prefix} {i}",
                tags=[tag],  # type: ignore[list-item]
                max_concurrent=1,
                availability="active",
            )
            out.append([staff.pk, org.token_issue(staff=staff)])
        return out

    chat_agents = agents("agent", conversations, chat_tag)
    fan_agents = agents("fan", fanout, fan_tag)
chat = channel_services.channel_create(actor=admin, kind="widget", name="Bench chat", destination_tag=chat_tag)
fan = channel_services.channel_create(actor=admin, kind="widget", name="Bench fan-out", destination_tag=fan_tag)
print(
    "BENCH-JSON "
    + json.dumps(
        {
            "chat_key": chat.key,
            "fan_key": fan.key,
            "agents": chat_agents,
            "fan_agents": fan_agents,
            # Visitor sockets are checked against their visitor's row (revocation): real ones.
            "idle_tokens": [
                visitor_token_for(visitor_create(fields={"first_name": f"Idle {i}"}).pk) for i in range(idle)
            ],
        }
    )
)
