#!/usr/bin/env python
"""Generate a realistic conversation history into a PostgreSQL database, with COPY.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cc_bench_data \\
        nice .venv/bin/python bench/history_data.py --recreate --enquiries 500000 --messages-per-enquiry 10

Steps (each timed and reported): (re)create the database (--recreate), ``manage.py
migrate``, then COPY of every table (secondary indexes of the big tables dropped first and
built again after, foreign-key triggers off with ``session_replication_role = replica``:
the generator writes consistent ids itself), id sequences reset, ``VACUUM ANALYZE``, then
``manage.py search_reindex`` when the code base has that command; at the end the table
sizes.

What it makes (about two years ending three hours ago, more traffic lately, business hours):
32 staff (30 agents, 2 admins; password ``bench-password-42``), 8 routing tags and 5 staff
destinations, 9 channels of 7 kinds, customers (several visitors each on some, on
different channels; tags on 10%; notes on some), enquiries (closed 85%, missed ~11%,
resolved 1%, a few open/handling at the end, direct 5%) with owner, timestamps, rating
(35% of closed), topic (30%), conversation tags (45% of the served ones, from a two-level
tree), room, the owner's ``RoomMember`` and ``RoomParticipant`` rows (plus a second agent
on 8%: a transfer or a colleague who joined), a note on 40% of the missed ones, events
(opened, picked_up, resolved, closed/missed), and --messages-per-enquiry messages per
enquiry on average (visitor and staff in turn; 1% edited, 0.5% recalled). Texts are 70%
English, 27% Chinese, 2% Japanese, 1% Thai (by enquiry; LINE and WeChat lean Chinese),
words drawn with Zipf-like weights from bench/history_vocab.py.

Model columns the generator does not set are filled from the model's default (so columns
other branches add with a default do not break it); a NOT NULL column without one stops it
with its name.
"""

from __future__ import annotations

import argparse
import bisect
import io
import itertools
import json
import math
import os
import queue
import random
import secrets
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script: the repository's modules
sys.path.insert(0, str(ROOT / "bench"))  # and the vocabulary next to this file

import history_vocab as vocab  # noqa: E402 - after the path

PASSWORD = "bench-password-42"
SECRET_KEY = os.environ.get("CC_SECRET_KEY") or secrets.token_urlsafe(50)
# Big tables: their secondary indexes are dropped before COPY and built after.
BIG_TABLES = (
    "rooms_message",
    "enquiries_enquiry",
    "enquiries_enquiryevent",
    "rooms_room",
    "rooms_roommember",
    "rooms_roomparticipant",
    "enquiries_visitor",
    "customers_customer",
    "enquiries_enquiry_tags",
)

t0 = time.perf_counter()
timings: list[tuple[str, float]] = []


def log(msg: str) -> None:
    print(f"[{time.perf_counter() - t0:7.1f}s] {msg}", flush=True)


class Step:
    def __init__(self, name: str) -> None:
        self.name = name

    def __enter__(self) -> Step:
        self.start = time.perf_counter()
        log(f"{self.name} ...")
        return self

    def __exit__(self, *exc: object) -> None:
        took = time.perf_counter() - self.start
        timings.append((self.name, took))
        log(f"{self.name}: {took:.1f} s")


# ------------------------------------------------------------------------------ database


def with_db(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path="/" + name))


def connect(url: str) -> Any:
    import psycopg2  # the project's driver

    parts = urlsplit(url)
    return psycopg2.connect(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or 5432,
        user=parts.username or "postgres",
        password=parts.password or None,
        dbname=(parts.path or "/postgres").lstrip("/") or "postgres",
    )


def recreate(url: str) -> None:
    name = urlsplit(url).path.lstrip("/")
    conn = connect(with_db(url, "postgres"))
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def django_env(url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DJANGO_SETTINGS_MODULE="contactcenter.settings",
        DATABASE_URL=url,
        REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/7"),
        CC_SECRET_KEY=SECRET_KEY,
        CC_DEMO="0",
        CC_LOG_LEVEL="WARNING",
    )
    return env


def manage(url: str, *argv: str, timeout: float = 3600) -> str:
    result = subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "manage.py", *argv],
        cwd=ROOT,
        env=django_env(url),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        sys.exit(f"manage.py {' '.join(argv)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result.stdout


def has_command(url: str, name: str) -> bool:
    out = subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "manage.py", "help", "--commands"],
        cwd=ROOT,
        env=django_env(url),
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return name in out.split()


# ------------------------------------------------------------------------------ COPY


def copy_text(value: Any) -> str:
    """A value in COPY's text format."""
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False)
    text = str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        text = text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


class Table:
    """COPY into one model's table: the columns given, every other one from its default."""

    def __init__(self, model: Any, columns: Sequence[str], now: datetime) -> None:
        from django.db import models

        self.table = model._meta.db_table
        self.columns = list(columns)
        rest: list[tuple[str, str]] = []
        for f in model._meta.concrete_fields:
            if f.column in self.columns:
                continue
            if f.primary_key and isinstance(f, models.AutoField | models.BigAutoField):
                continue  # the identity column numbers the rows
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
                value: Any = now
            elif f.has_default():
                value = f.get_default()
            elif f.null:
                value = None
            elif isinstance(f, models.CharField | models.TextField) and f.blank:
                value = ""
            else:
                sys.exit(f"{self.table}.{f.column} is NOT NULL without a default: the generator must set it")
            if isinstance(value, uuid.UUID):
                value = str(value)
            rest.append((f.column, copy_text(value)))
        self.all_columns = self.columns + [c for c, _ in rest]
        self.suffix = "".join("\t" + v for _, v in rest)

    def line(self, *values: Any) -> str:
        return "\t".join(map(copy_text, values)) + self.suffix + "\n"

    def sql(self) -> str:
        cols = ", ".join(f'"{c}"' for c in self.all_columns)
        return f'COPY "{self.table}" ({cols}) FROM STDIN'


def copy_lines(conn: Any, table: Table, lines: Iterable[str], chunk: int = 20000) -> int:
    """COPY ``lines`` in chunks, generating the next chunk in a thread while PostgreSQL
    takes the previous one."""
    q: queue.Queue[io.StringIO | None | BaseException] = queue.Queue(maxsize=3)

    def produce() -> None:
        try:
            it = iter(lines)
            while True:
                block = list(itertools.islice(it, chunk))
                if not block:
                    break
                q.put(io.StringIO("".join(block)))
            q.put(None)
        except BaseException as exc:  # handed to the consumer
            q.put(exc)

    thread = threading.Thread(target=produce, daemon=True)
    thread.start()
    rows = 0
    with conn.cursor() as cur:
        while True:
            item = q.get()
            if item is None:
                break
            if isinstance(item, BaseException):
                raise item
            cur.copy_expert(table.sql(), item)
            rows += cur.rowcount
    thread.join()
    return rows


# ------------------------------------------------------------------------------ text


class Texts:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.words = {lang: vocab.vocabulary(lang) for lang in vocab.TAIL_SIZE}
        self.cum = {lang: vocab.cum_weights(lang) for lang in vocab.TAIL_SIZE}
        self.total = {lang: self.cum[lang][-1] for lang in vocab.TAIL_SIZE}

    def draw(self, lang: str, k: int) -> list[str]:
        words, cum, total, r = self.words[lang], self.cum[lang], self.total[lang], self.rng.random
        hi = len(words) - 1
        return [words[bisect.bisect(cum, r() * total, 0, hi)] for _ in range(k)]

    def message(self, lang: str) -> str:
        lo, hi = vocab.WORDS_PER_MESSAGE[lang]
        k = self.rng.randint(lo, hi)
        words = self.draw(lang, k)
        rng = self.rng
        if lang == "en":
            if rng.random() < 0.08:
                words.insert(rng.randrange(len(words)), f"#{rng.randint(100000, 999999)}")
            text = " ".join(words)
            return text[0].upper() + text[1:] + rng.choice((".", ".", "?", "!", ""))
        if lang == "zh":
            if k > 6:
                cut = rng.randint(3, k - 2)
                return "".join(words[:cut]) + "，" + "".join(words[cut:]) + rng.choice(("。", "？", "！", ""))
            return "".join(words) + rng.choice(("。", "？", ""))
        if lang == "ja":
            return "".join(words) + rng.choice(("。", "？", ""))
        return "".join(words) + rng.choice((" ", ""))


EN_FIRST = "James Mary John Patricia Robert Jennifer Michael Linda David Elizabeth William Susan Richard Sarah".split()
EN_LAST = "Smith Johnson Williams Brown Jones Garcia Miller Davis Wilson Anderson Taylor Thomas Moore".split()
ZH_FIRST = "伟 芳 娜 敏 静 丽 强 磊 军 洋 勇 艳 杰 娟 涛 明 超 秀英 华 慧".split()
ZH_LAST = "王 李 张 刘 陈 杨 黄 赵 吴 周 徐 孙 马 朱 胡 郭 何 林".split()
TOPICS = {
    "en": ["Refund request", "Late delivery", "Login problem", "Change of address", "Invoice copy", "Damaged item"],
    "zh": ["退款申请", "物流延迟", "无法登录", "修改地址", "发票", "商品损坏"],
    "ja": ["返金", "配送遅延"],
    "th": ["คืนเงิน", "จัดส่งล่าช้า"],
}
CONVERSATION_TAGS = {
    "Billing": ["Refund", "Invoice", "Payment failed", "Double charge"],
    "Orders": ["Change order", "Cancel order", "Missing item"],
    "Shipping": ["Late delivery", "Damaged", "Wrong address", "Tracking"],
    "Account": ["Login", "Password", "Delete account"],
    "Product": ["Question", "Warranty", "Stock"],
    "Feedback": ["Complaint", "Praise", "Suggestion"],
}
# (kind, name, share of enquiries, share of Chinese/Japanese/Thai texts)
CHANNELS = [
    ("widget", "Website chat", 0.30, 0.15),
    ("widget", "Shop chat (HK)", 0.10, 0.70),
    ("weblink", "Support link", 0.05, 0.2),
    ("messenger", "Facebook page", 0.10, 0.1),
    ("whatsapp", "WhatsApp +44", 0.15, 0.1),
    ("line", "LINE official", 0.10, 0.6),
    ("line", "LINE Thailand", 0.03, 0.5),
    ("wechat", "WeChat service", 0.10, 0.95),
    ("email", "support@", 0.07, 0.15),
]
TAGS = ["Sales", "Support", "Billing", "Shipping", "VIP", "Chinese desk", "Returns", "Technical"]


# ------------------------------------------------------------------------------ generator


def timeline(rng: random.Random, n: int, end: datetime, days: int) -> list[datetime]:
    """``n`` moments over ``days`` days before ``end``: density growing 1 -> 3 over the span
    (inverse CDF of a linear density), in business hours mostly. Sorted."""
    hours = [1, 1, 1, 1, 1, 2, 4, 8, 14, 18, 18, 16, 14, 16, 18, 18, 16, 12, 9, 7, 5, 4, 3, 2]
    cum_hours = list(itertools.accumulate(hours))
    start = end - timedelta(days=days)
    a, b = 1.0, 3.0
    out = []
    for _ in range(n):
        u = rng.random()
        # density a + (b - a) x on [0, 1]; CDF a x + (b - a) x^2 / 2, normalised by (a + b) / 2
        c = u * (a + b) / 2
        x = (-a + math.sqrt(a * a + 2 * (b - a) * c)) / (b - a)
        day = min(int(x * days), days - 1)
        hour = bisect.bisect(cum_hours, rng.random() * cum_hours[-1])
        out.append(start + timedelta(days=day, hours=hour, seconds=rng.random() * 3600))
    out.sort()
    return [min(t, end - timedelta(minutes=5)) for t in out]


def generate(conn: Any, args: argparse.Namespace) -> dict[str, int]:
    from django.contrib.auth.hashers import make_password

    from channels_adapters.models import Channel
    from contactcenter.org.models import Destination, Staff, Tag
    from customers.models import Customer, CustomerTag
    from enquiries.models import ConversationTag, Enquiry, EnquiryEvent, EnquiryNote, Visitor
    from rooms.models import Message, Room, RoomMember, RoomParticipant

    rng = random.Random(args.seed)
    texts = Texts(rng)
    now = datetime.now(UTC).replace(microsecond=0)
    end = now - timedelta(hours=3)  # the last conversations of the timeline end before now
    counts: dict[str, int] = {}

    def next_id(model: Any) -> int:
        with conn.cursor() as cur:
            cur.execute(f'SELECT COALESCE(MAX(id), 0) + 1 FROM "{model._meta.db_table}"')
            return int(cur.fetchone()[0])

    def put(name: str, table: Table, lines: Iterable[str]) -> None:
        with Step(f"COPY {table.table}"):
            counts[table.table] = counts.get(table.table, 0) + copy_lines(conn, table, lines)
        log(f"  {counts[table.table]:,} rows")

    # --- staff, tags, destinations, channels, conversation/customer tags (small)
    password = make_password(PASSWORD)
    staff_t = Table(
        Staff, ["id", "email", "display_name", "role", "password", "auth_epoch", "max_concurrent", "created_at"], now
    )
    sid = next_id(Staff)
    agents = list(range(sid, sid + args.agents))
    admins = [sid + args.agents, sid + args.agents + 1]
    start = end - timedelta(days=args.days)
    staff_lines = []
    for i, pk in enumerate(agents + admins):
        is_admin = pk in admins
        email = f"admin{admins.index(pk)}@history.bench" if is_admin else f"agent{i}@history.bench"
        name = f"{rng.choice(EN_FIRST)} {rng.choice(EN_LAST)}" if i % 3 else rng.choice(ZH_LAST) + rng.choice(ZH_FIRST)
        staff_lines.append(
            staff_t.line(pk, email, name, "admin" if is_admin else "agent", password, uuid.uuid4(), 5, start)
        )
    put("staff", staff_t, staff_lines)

    tag_t = Table(Tag, ["id", "name", "created_at"], now)
    tid = next_id(Tag)
    tags = list(range(tid, tid + len(TAGS)))
    put("tags", tag_t, [tag_t.line(pk, name, start) for pk, name in zip(tags, TAGS, strict=True)])
    # Each agent serves two routing tags; an enquiry to a tag goes to one of its agents.
    staff_tags_t = Table(Staff.tags.through, ["staff_id", "tag_id"], now)
    tag_agents: dict[int, list[int]] = {t: [] for t in tags}
    lines = []
    for i, a in enumerate(agents):
        for t in {tags[i % len(tags)], tags[(i * 3 + 1) % len(tags)]}:
            tag_agents[t].append(a)
            lines.append(staff_tags_t.line(a, t))
    put("staff tags", staff_tags_t, lines)
    dest_t = Table(Destination, ["id", "name", "type", "tag_id", "staff_id"], now)
    did = next_id(Destination)
    tag_dest = {t: did + i for i, t in enumerate(tags)}
    staff_dest = {a: did + len(tags) + i for i, a in enumerate(agents[:5])}
    lines = [dest_t.line(tag_dest[t], TAGS[i], "tag", t, None) for i, t in enumerate(tags)]
    lines += [dest_t.line(d, f"Direct {a}", "staff", None, a) for a, d in staff_dest.items()]
    put("destinations", dest_t, lines)
    chan_t = Table(Channel, ["id", "kind", "name", "key", "destination_id", "created_at"], now)
    cid = next_id(Channel)
    channels = list(range(cid, cid + len(CHANNELS)))
    chan_dest = {c: tag_dest[tags[i % len(tags)]] for i, c in enumerate(channels)}
    put(
        "channels",
        chan_t,
        [
            chan_t.line(c, kind, name, secrets.token_urlsafe(16), chan_dest[c], start)
            for c, (kind, name, _, _) in zip(channels, CHANNELS, strict=True)
        ],
    )
    ctag_t = Table(ConversationTag, ["id", "name", "parent_id", "created_at"], now)
    ctid = next_id(ConversationTag)
    lines, leaf_tags, all_ctags = [], [], []
    for parent, children in CONVERSATION_TAGS.items():
        pid = ctid
        ctid += 1
        lines.append(ctag_t.line(pid, parent, None, start))
        all_ctags.append(pid)
        for child in children:
            lines.append(ctag_t.line(ctid, child, pid, start))
            leaf_tags.append(ctid)
            all_ctags.append(ctid)
            ctid += 1
    put("conversation tags", ctag_t, lines)
    custtag_t = Table(CustomerTag, ["id", "name", "created_at"], now)
    ctgid = next_id(CustomerTag)
    customer_tags = list(range(ctgid, ctgid + 10))
    put(
        "customer tags",
        custtag_t,
        [
            custtag_t.line(pk, name, start)
            for pk, name in zip(
                customer_tags,
                ["VIP", "Wholesale", "New", "Churn risk", "Reseller", "Press", "Partner", "Staff", "Blocked", "Beta"],
                strict=True,
            )
        ],
    )

    # --- enquiries: when, where, which language, which visitor
    E = args.enquiries
    with Step("plan enquiries"):
        created = timeline(rng, E, end, args.days)
        chan_idx = rng.choices(range(len(CHANNELS)), weights=[c[2] for c in CHANNELS], k=E)

        def lang_of(ci: int) -> str:
            if rng.random() >= CHANNELS[ci][3]:
                return "en"
            r = rng.random()
            if CHANNELS[ci][1] == "LINE Thailand":
                return "th" if r < 0.8 else "en"
            return "zh" if r < 0.92 else ("ja" if r < 0.97 else "th")

        # Visitors: one per (customer, channel); returning visitors make repeat enquiries.
        # First each enquiry either starts a new visitor or returns to an earlier one.
        n_visitors = int(E * 0.7)
        visitor_of = [0] * E
        v_channel: list[int] = []
        v_lang: list[str] = []
        v_first: list[datetime] = []
        langs = [""] * E
        for i in range(E):
            if len(v_channel) < n_visitors and (rng.random() < 0.7 or i < 10):
                v = len(v_channel)
                v_channel.append(chan_idx[i])
                v_lang.append(lang_of(chan_idx[i]))
                v_first.append(created[i])
            else:
                v = int(len(v_channel) * (1 - rng.random() ** 2))  # recent visitors return more
                v = min(v, len(v_channel) - 1)
            visitor_of[i] = v
            chan_idx[i] = v_channel[v]
            langs[i] = v_lang[v]
        n_visitors = len(v_channel)
        # Customers: 80% of visitors have their own; 20% are a second identity of an earlier one.
        customer_of_v = [0] * n_visitors
        n_customers = 0
        for v in range(n_visitors):
            if n_customers and rng.random() < 0.2:
                customer_of_v[v] = rng.randrange(n_customers)
            else:
                customer_of_v[v] = n_customers
                n_customers += 1

    # --- customers
    cust_t = Table(
        Customer,
        ["id", "name", "email", "phone", "identifier", "notes", "created_at", "updated_at", "last_seen_at"],
        now,
    )
    cust_base = next_id(Customer)
    vis_base = next_id(Visitor)
    c_first = [end] * n_customers
    c_last = [start] * n_customers
    c_lang = ["en"] * n_customers
    for v in range(n_visitors):
        c = customer_of_v[v]
        if v_first[v] < c_first[c]:
            c_first[c] = v_first[v]
            c_lang[c] = v_lang[v]
    for i in range(E):
        c = customer_of_v[visitor_of[i]]
        if created[i] > c_last[c]:
            c_last[c] = created[i]
    c_name: list[str] = []

    def customer_lines() -> Iterator[str]:
        for c in range(n_customers):
            if c_lang[c] in ("zh", "ja"):
                name = rng.choice(ZH_LAST) + rng.choice(ZH_FIRST)
            else:
                name = f"{rng.choice(EN_FIRST)} {rng.choice(EN_LAST)}"
            c_name.append(name)
            email = f"c{c}@example.com" if rng.random() < 0.6 else ""
            phone = f"+44 7{rng.randint(100000000, 999999999)}" if rng.random() < 0.4 else ""
            identifier = f"shop-{c}" if rng.random() < 0.15 else None
            notes = texts.message(c_lang[c]) if rng.random() < 0.05 else ""
            yield cust_t.line(cust_base + c, name, email, phone, identifier, notes, c_first[c], c_last[c], c_last[c])

    put("customers", cust_t, customer_lines())
    ctags_t = Table(Customer.tags.through, ["customer_id", "customertag_id"], now)
    put(
        "customer tags",
        ctags_t,
        (
            ctags_t.line(cust_base + c, t)
            for c in range(n_customers)
            if rng.random() < 0.1
            for t in rng.sample(customer_tags, rng.choice((1, 1, 2)))
        ),
    )

    # --- visitors
    vis_t = Table(
        Visitor,
        ["id", "first_name", "last_name", "email", "language", "chat_language", "channel_id", "channel_identity"]
        + ["customer_id", "created_at"],
        now,
    )

    def visitor_lines() -> Iterator[str]:
        for v in range(n_visitors):
            c = customer_of_v[v]
            kind = CHANNELS[v_channel[v]][0]
            name = c_name[c]
            first, _, last = name.partition(" ")
            identity = "" if kind in ("widget", "weblink") else f"{kind}-{v}"
            if kind == "email":
                identity = f"v{v}@example.com"
            yield vis_t.line(
                vis_base + v,
                first,
                last,
                identity if kind == "email" else "",
                v_lang[v],
                v_lang[v] if kind in ("widget", "weblink") else "",
                channels[v_channel[v]],
                identity,
                cust_base + c,
                v_first[v],
            )

    put("visitors", vis_t, visitor_lines())

    # --- enquiries, rooms, members, participants, events, notes, tags, messages
    enq_base = next_id(Enquiry)
    room_base = next_id(Room)
    msg_base = next_id(Message)
    with Step("plan statuses and messages"):
        statuses = []
        for i in range(E):
            if i >= E - args.live:
                statuses.append(rng.choice(("open", "handling", "handling")))
                continue
            r = rng.random()
            statuses.append("missed" if r < 0.11 else ("resolved" if r < 0.12 else "closed"))
        target = E * args.messages_per_enquiry
        n_msgs = [rng.randint(1, 2) if s == "missed" else (rng.randint(1, 3) if s == "open" else 0) for s in statuses]
        served = [i for i, s in enumerate(statuses) if s not in ("missed", "open")]
        per = max(2.0, (target - sum(n_msgs)) / max(1, len(served)))
        for i in served:
            n_msgs[i] = max(2, int(rng.gammavariate(3.0, per / 3.0) + 0.5))
        diff = target - sum(n_msgs)
        while diff != 0:  # exactly E * messages-per-enquiry in total
            i = served[rng.randrange(len(served))]
            step = 1 if diff > 0 else -1
            if n_msgs[i] + step >= 2:
                n_msgs[i] += step
                diff -= step
        first_msg_id = list(itertools.accumulate([0] + n_msgs[:-1]))

    # Who served each enquiry, and when: computed once, used by several tables.
    owner: list[int | None] = [None] * E
    second: list[int | None] = [None] * E
    dest = [0] * E
    kind = ["broadcast"] * E
    for i in range(E):
        c = chan_idx[i]
        if rng.random() < 0.05:
            a = rng.choice(list(staff_dest))
            dest[i], kind[i] = staff_dest[a], "direct"
            candidates = [a]
        else:
            t = tags[(c + (i % 3 == 0)) % len(tags)]
            dest[i] = tag_dest[t]
            candidates = tag_agents[t] or agents
        if statuses[i] not in ("missed", "open"):
            owner[i] = rng.choice(candidates)
            if rng.random() < 0.08:
                second[i] = rng.choice([a for a in agents if a != owner[i]])

    enq_cols = ["id", "channel_id", "destination_id", "kind", "visitor_id", "status", "missed_reason", "owner_id"]
    enq_cols += ["first_message", "topic", "created_at", "picked_up_at", "first_response_at", "resolved_at"]
    enq_cols += ["closed_at", "missed_at", "rating_score", "rating_comment", "rated_at"]
    enq_t = Table(Enquiry, enq_cols, now)
    room_t = Table(Room, ["id", "kind", "enquiry_id", "created_at", "last_message_at"], now)
    member_t = Table(RoomMember, ["room_id", "staff_id", "role", "last_read_message_id", "joined_at"], now)
    part_t = Table(
        RoomParticipant,
        ["room_id", "staff_id", "first_joined_at", "enquiry_id", "enquiry_created_at", "enquiry_status"],
        now,
    )
    event_t = Table(EnquiryEvent, ["enquiry_id", "type", "actor_id", "by_visitor", "created_at"], now)
    note_t = Table(EnquiryNote, ["enquiry_id", "text", "contact", "created_at"], now)
    etag_t = Table(Enquiry.tags.through, ["enquiry_id", "conversationtag_id"], now)
    msg_t = Table(
        Message,
        ["id", "room_id", "kind", "text", "author_staff_id", "author_visitor_id", "created_at", "edited_at"]
        + ["recalled_at"],
        now,
    )
    # Per-enquiry times of the messages, decided when the messages are written (first),
    # then reused for the enquiry row (last message, resolve, close).
    first_text = [""] * E
    last_msg_at: list[datetime] = [end] * E
    picked: list[Any] = [None] * E  # datetime when picked up

    def message_lines() -> Iterator[str]:
        line, r, rr = msg_t.line, rng.random, rng.randint
        mid = msg_base
        for i in range(E):
            room = room_base + i
            vis = vis_base + visitor_of[i]
            lang = langs[i]
            t = created[i]
            staff = owner[i]
            if staff is not None:
                picked[i] = t + timedelta(seconds=rr(3, 60))
            for k in range(n_msgs[i]):
                text = texts.message(lang)
                by_visitor = k % 2 == 0 or staff is None
                if k == 0:
                    first_text[i] = text
                elif k == 1 and picked[i] is not None:
                    t = picked[i] + timedelta(seconds=rr(5, 90))
                else:
                    t = t + timedelta(seconds=rr(5, 180))
                author = staff if not by_visitor else None
                if author is not None and second[i] is not None and k < n_msgs[i] // 2:
                    author = second[i]  # transferred: the first agent wrote the start
                x = r()
                edited = t + timedelta(seconds=20) if x < 0.01 else None
                recalled = t + timedelta(seconds=30) if 0.01 <= x < 0.015 else None
                yield line(mid, room, "text", text, author, None if author else vis, t, edited, recalled)
                mid += 1
            last_msg_at[i] = t

    put("messages", msg_t, message_lines())

    fin: list[dict[str, Any]] = [{}] * E

    def enquiry_lines() -> Iterator[str]:
        r, rr = rng.random, rng.randint
        for i in range(E):
            s = statuses[i]
            c = created[i]
            f: dict[str, Any] = {"missed_reason": "", "resolved": None, "closed": None, "missed": None}
            f["first_response"] = (c + timedelta(seconds=rr(10, 150))) if picked[i] and n_msgs[i] > 1 else None
            if s in ("closed", "resolved"):
                f["resolved"] = last_msg_at[i] + timedelta(seconds=rr(10, 300))
                if s == "closed":
                    f["closed"] = f["resolved"] + timedelta(minutes=15)
            elif s == "missed":
                f["missed"] = c + timedelta(seconds=60)
                f["missed_reason"] = rng.choices(
                    ("timeout", "nobody_available", "out_of_hours", "note_left"), weights=(55, 20, 15, 10)
                )[0]
            rating = comment = rated = None
            if s == "closed" and r() < 0.35:
                rating = rng.choices((1, 2, 3, 4, 5), weights=(5, 4, 10, 25, 56))[0]
                comment = texts.message(langs[i]) if r() < 0.2 else ""
                rated = f["closed"]
            fin[i] = f
            topic = rng.choice(TOPICS[langs[i]]) if r() < 0.3 else ""
            yield enq_t.line(
                enq_base + i,
                channels[chan_idx[i]],
                dest[i],
                kind[i],
                vis_base + visitor_of[i],
                s,
                f["missed_reason"],
                owner[i],
                first_text[i][:1000],
                topic,
                c,
                picked[i],
                f["first_response"],
                f["resolved"],
                f["closed"],
                f["missed"],
                rating,
                comment or "",
                rated,
            )

    put("enquiries", enq_t, enquiry_lines())
    put(
        "rooms",
        room_t,
        (room_t.line(room_base + i, "enquiry", enq_base + i, created[i], last_msg_at[i]) for i in range(E)),
    )

    def member_lines() -> Iterator[str]:
        for i in range(E):
            if owner[i] is not None:
                last = msg_base + first_msg_id[i] + n_msgs[i] - 1
                yield member_t.line(room_base + i, owner[i], "owner", last, picked[i])

    put("room members", member_t, member_lines())

    def participant_lines() -> Iterator[str]:
        for i in range(E):
            if owner[i] is not None:
                e, c, st = enq_base + i, created[i], statuses[i]
                if second[i] is not None:
                    yield part_t.line(room_base + i, second[i], picked[i], e, c, st)
                    yield part_t.line(room_base + i, owner[i], picked[i] + timedelta(minutes=2), e, c, st)
                else:
                    yield part_t.line(room_base + i, owner[i], picked[i], e, c, st)

    put("room participants", part_t, participant_lines())

    def event_lines() -> Iterator[str]:
        for i in range(E):
            e = enq_base + i
            f = fin[i]
            yield event_t.line(e, "opened", None, True, created[i])
            if picked[i] is not None:
                yield event_t.line(e, "picked_up", second[i] or owner[i], False, picked[i])
            if second[i] is not None:
                yield event_t.line(e, "transferred", second[i], False, picked[i] + timedelta(minutes=2))
            if f.get("resolved"):
                yield event_t.line(e, "resolved", owner[i], False, f["resolved"])
            if f.get("closed"):
                yield event_t.line(e, "closed", None, False, f["closed"])
            if f.get("missed"):
                yield event_t.line(e, "missed", None, False, f["missed"])

    if not args.no_events:
        put("events", event_t, event_lines())

    def note_lines() -> Iterator[str]:
        for i in range(E):
            f = fin[i]
            if f.get("missed") and (f["missed_reason"] == "note_left" or rng.random() < 0.3):
                yield note_t.line(enq_base + i, texts.message(langs[i]), f"c{i}@example.com", f["missed"])

    put("notes", note_t, note_lines())

    def etag_lines() -> Iterator[str]:
        for i in range(E):
            if owner[i] is not None and rng.random() < 0.45:
                for t in rng.sample(leaf_tags, rng.choice((1, 1, 1, 2))):
                    yield etag_t.line(enq_base + i, t)
                if rng.random() < 0.05:
                    yield etag_t.line(enq_base + i, rng.choice([t for t in all_ctags if t not in leaf_tags]))

    put("enquiry tags", etag_t, etag_lines())
    return counts


# ------------------------------------------------------------------------------ main


def secondary_indexes(conn: Any, table: str) -> list[tuple[str, str]]:
    with conn.cursor() as cur:
        cur.execute(
            """
            SELECT i.relname, pg_get_indexdef(i.oid)
            FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
            WHERE x.indrelid = %s::regclass
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
            """,
            [table],
        )
        return list(cur.fetchall())


def table_sizes(conn: Any, tables: Sequence[str]) -> list[tuple[str, int, str, str, str]]:
    out = []
    with conn.cursor() as cur:
        for t in tables:
            cur.execute(
                "SELECT (SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass),"
                " pg_size_pretty(pg_table_size(%s)), pg_size_pretty(pg_indexes_size(%s)),"
                " pg_size_pretty(pg_total_relation_size(%s))",
                [t, t, t, t],
            )
            rows, data, idx, total = cur.fetchone()
            out.append((t, int(rows), data, idx, total))
    return out


def main(argv: Sequence[str] | None = None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db-url", default=os.environ.get("DATABASE_URL", ""), help="default: DATABASE_URL")
    p.add_argument("--recreate", action="store_true", help="drop and create the database first")
    p.add_argument("--enquiries", type=int, default=500_000)
    p.add_argument("--messages-per-enquiry", type=int, default=10)
    p.add_argument("--agents", type=int, default=30)
    p.add_argument("--days", type=int, default=730)
    p.add_argument("--live", type=int, default=40, help="the last N enquiries are still open/handling")
    p.add_argument("--seed", type=int, default=14)
    p.add_argument("--no-events", action="store_true", help="skip enquiry events")
    p.add_argument("--keep-indexes", action="store_true", help="COPY into the indexed tables as they are")
    p.add_argument("--no-reindex", action="store_true", help="do not run manage.py search_reindex")
    p.add_argument(
        "--upgrade",
        action="store_true",
        help="no new data: migrate an already generated database (e.g. after merging new code), then"
        " search_reindex, VACUUM ANALYZE and the sizes, each timed",
    )
    args = p.parse_args(argv)
    if not args.db_url.startswith("postgres"):
        sys.exit("Give a PostgreSQL --db-url (or DATABASE_URL).")
    os.environ.update(django_env(args.db_url))

    if args.recreate:
        with Step("recreate database"):
            recreate(args.db_url)
    with Step("manage.py migrate"):
        manage(args.db_url, "migrate", "--no-input")

    import django

    django.setup()
    conn = connect(args.db_url)
    if args.upgrade:
        finish(conn, args, {})
        return
    with conn.cursor() as cur:
        cur.execute("SELECT COUNT(*) FROM rooms_message")
        if cur.fetchone()[0]:
            sys.exit("rooms_message is not empty: use --recreate (or a fresh database).")
        cur.execute("SET maintenance_work_mem = '512MB'")
        cur.execute("SET synchronous_commit = off")
        # No per-row foreign-key triggers: the generator's ids are consistent (and it writes
        # messages before the enquiries that carry their first text).
        cur.execute("SET session_replication_role = replica")

    dropped: list[tuple[str, str, str]] = []
    if not args.keep_indexes:
        with conn.cursor() as cur:
            for table in BIG_TABLES:
                for name, definition in secondary_indexes(conn, table):
                    cur.execute(f'DROP INDEX "{name}"')
                    dropped.append((table, name, definition))
        conn.commit()
        log(f"dropped {len(dropped)} secondary indexes of {len(BIG_TABLES)} tables (built again after COPY)")

    with Step("generate + COPY (total)"):
        counts = generate(conn, args)
        conn.commit()

    with Step("build indexes (total)"), conn.cursor() as cur:
        for table, name, definition in dropped:
            s = time.perf_counter()
            cur.execute(definition)
            conn.commit()
            log(f"  {table}: {name} {time.perf_counter() - s:.1f} s")

    with Step("reset id sequences"), conn.cursor() as cur:
        cur.execute(
            """
            SELECT c.relname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
            WHERE c.relkind = 'r' AND a.attname = 'id' AND c.relnamespace = 'public'::regnamespace
            """
        )
        for (table,) in cur.fetchall():
            cur.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
            seq = cur.fetchone()[0]
            if seq:
                cur.execute(f'SELECT setval(%s, COALESCE((SELECT MAX(id) FROM "{table}"), 0) + 1, false)', [seq])
        conn.commit()

    finish(conn, args, counts)


def finish(conn: Any, args: argparse.Namespace, counts: dict[str, int]) -> None:
    """VACUUM ANALYZE, the search index, the report."""
    conn.commit()
    conn.autocommit = True
    with Step("VACUUM ANALYZE"), conn.cursor() as cur:
        cur.execute("SET session_replication_role = DEFAULT")
        cur.execute("VACUUM (ANALYZE)")

    if not args.no_reindex:
        if has_command(args.db_url, "search_reindex"):
            with Step("manage.py search_reindex"):
                out = manage(args.db_url, "search_reindex")
                log(out.strip()[-2000:])
            with Step("VACUUM ANALYZE after reindex"), conn.cursor() as cur:
                cur.execute("VACUUM (ANALYZE)")
        else:
            log("manage.py search_reindex: not in this code base (skipped)")

    print("\n## Steps\n")
    print("| step | seconds |\n| --- | --- |")
    for name, took in timings:
        print(f"| {name} | {took:.1f} |")
    print("\n## Tables\n")
    print("| table | rows | data | indexes | total |\n| --- | --- | --- | --- | --- |")
    with conn.cursor() as cur:
        cur.execute(
            "SELECT relname FROM pg_class WHERE relkind = 'r' AND relnamespace = 'public'::regnamespace"
            " ORDER BY pg_total_relation_size(oid) DESC LIMIT 14"
        )
        biggest = [r[0] for r in cur.fetchall()]
        cur.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        db_size = cur.fetchone()[0]
    for t, rows, data, idx, total in table_sizes(conn, biggest):
        print(f"| {t} | {rows:,} | {data} | {idx} | {total} |")
    print(f"\nDatabase size: {db_size}. Rows written: {json.dumps(counts)}")
    conn.close()


if __name__ == "__main__":
    main()
