"""Fixtures of the robot's tests: a knowledge base in four languages, and a channel with a robot."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from channels_adapters.models import Channel
from contactcenter.org.models import Staff
from enquiries.models import Enquiry
from robot import services
from robot.models import Article
from rooms.models import Message, Room

ARTICLES = [
    {
        "questions": ["How do I reset my password?", "I forgot my password", "password reset"],
        "answer": "Open Settings > Security and choose Reset password.",
        "tags": ["account"],
        "language": "en",
    },
    {
        "questions": ["What are your opening hours?", "When are you open?"],
        "answer": "We are open 9:00-17:00, Monday to Friday.",
        "tags": ["general"],
        "language": "en",
    },
    {
        "questions": ["How can I get a refund?", "refund my order"],
        "answer": "Refunds are paid within 5 working days of the return.",
        "tags": ["billing"],
        "language": "en",
    },
    {"questions": ["如何重置密码", "忘记密码怎么办"], "answer": "请在设置 > 安全中选择重置密码。", "language": "zh"},
    {"questions": ["退款需要多久", "怎么申请退款"], "answer": "退货后5个工作日内退款。", "language": "zh"},
    {
        "questions": ["パスワードを忘れました", "パスワードの再設定方法"],
        "answer": "設定 > セキュリティからパスワードを再設定してください。",
        "language": "ja",
    },
    {"questions": ["営業時間を教えてください"], "answer": "平日9時から17時まで営業しています。", "language": "ja"},
    {
        "questions": ["ลืมรหัสผ่าน", "เปลี่ยนรหัสผ่านอย่างไร"],
        "answer": "ไปที่ การตั้งค่า > ความปลอดภัย แล้วเลือกรีเซ็ตรหัสผ่าน",
        "language": "th",
    },
    {"questions": ["ขอคืนเงินได้อย่างไร"], "answer": "เราคืนเงินภายใน 5 วันทำการหลังได้รับสินค้าคืน", "language": "th"},
]


@pytest.fixture
def kb(admin: Staff) -> list[Article]:
    return [services.article_create(actor=admin, data=dict(a)) for a in ARTICLES]


@pytest.fixture
def robot_channel(widget: Channel, admin: Staff) -> Channel:
    services.robot_settings_update(
        actor=admin,
        channel=widget,
        changes={"enabled": True, "welcome_message": "Hi, I'm the robot.", "handover_after_turns": 3},
    )
    return widget


def last_visitor_message(enquiry: Enquiry) -> Message:
    message = Message.objects.filter(room__enquiry=enquiry, author_visitor__isnull=False).order_by("-id").first()
    assert message is not None
    return message


@pytest.fixture
def say(api: Callable[..., Any]) -> Callable[[Enquiry, str], str]:
    """The customer writes ``text`` in the enquiry's room; the robot handles it (the task,
    run here). Returns what the robot did."""
    from rooms import services as room_services

    def post(enquiry: Enquiry, text: str) -> str:
        room_id = Room.objects.filter(enquiry=enquiry).values_list("id", flat=True).get()
        message, _created = room_services.message_post(room_id=room_id, text=text, visitor=enquiry.visitor)
        return services.robot_reply(message_id=message.pk)

    return post


def bot_messages(enquiry: Enquiry, what: str | None = None) -> list[Message]:
    query = Message.objects.filter(room__enquiry=enquiry, data__bot="robot").order_by("id")
    if what:
        query = query.filter(data__robot=what)
    return list(query)
