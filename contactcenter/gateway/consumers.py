"""Websocket consumers: thin. Authenticate, join groups, turn each client message into one
service call, forward layer events.

Protocol (JSON text frames, both ``/ws/staff/`` and ``/ws/visitor/``)
--------------------------------------------------------------------

Authentication
    ``/ws/staff/``: the dashboard's session cookie (the Origin must be an allowed host), or,
    for API clients, ``?ticket=<ticket>`` from ``POST /api/v1/auth/socket-ticket`` (token
    auth; the ticket works once, within 30 s; no Origin needed). ``?token=`` is refused: a
    URL ends up in proxy logs. ``/ws/visitor/?visitor_token=<token>`` for visitors. A
    refused socket is closed with 4401.

    A staff socket lives as long as its session: logout, a login elsewhere, deactivation,
    a password change and idle expiry (CC_IDLE_TIMEOUT_SECONDS; a ``message.post`` or
    ``typing`` counts as activity, as does any REST request) each send
    ``{"type": "session.ended", "data": {"reason"}}`` and close the socket with 4001; it
    gets nothing after that. A visitor socket gets ``session.ended`` (reason ``revoked``) and
    4401 when its tokens are revoked, and ``{"type": "visitor.token_renewed", "data":
    {"token"}}`` when its token is getting old: the client stores the new one. A visitor
    socket also joins its channel's group (``widget.<channel id>``): ``staff.availability``
    ``{staff_id, availability}`` of the people its directory shows and ``tag.availability``
    ``{tag_id, available}`` (channels_adapters/directory.py).

Server events are ``{"type": "<noun>.<verb>", "data": {...}}`` (SPEC section 8); the
first frame after accept is ``hello``. Each event reaches a socket once, even when the
socket is in several of the groups it was sent to. Client messages:

``{"type": "message.post", "room": ID, "text": "...", "client_id": "...", "reply_to": ID?}``
    Posts through ``rooms.services.messages_post``, the service behind ``message_post`` and
    ``POST /api/v1/rooms/<id>/messages``, by way of the process's socket writer
    (``contactcenter/gateway/socket_writer.py``), which commits the posts that queue up behind one
    commit together. Idempotent on ``client_id``: a retry returns the first message. A
    socket's posts are queued in the order sent (it may send the next before the first is
    answered) and answered in that order. Reply:
    ``{"type": "message.ack", "data": {"client_id", "message"}}``.
    The message also arrives as ``message.created`` to everyone in the room except the
    socket that posted it (its ack carries the message; the poster's other sockets get it):
    clients dedupe by message id.
    Pushback: when the process's socket writer is full the post is not taken (nothing
    stored) and the answer is ``{"type": "slow_down", "data": {"request": "message.post",
    "client_id", "room", "retry_after_ms"}}``. The client waits that long, sends the
    earliest refused post again alone and, once that is acked, the posts written after it,
    in order. Until a refused post comes again the socket's later posts are refused the same
    way, so that none overtakes it, however late the posts sent before the client read the
    ``slow_down`` arrive (the hold lapses only ``HOLD_GRACE`` seconds after
    ``retry_after_ms`` with no post arriving); a socket refused again and again is told to
    wait twice as long each time (at most 5 s). A post is refused before any work is spent
    on it (``_post_admit``).
``{"type": "typing", "room": ID}``
    A ``typing`` event (``{"room_id", "author"}``) to the room's other side: the visitor's
    goes to the room's staff, staff's to the room's staff and the visitor. Not stored;
    at most one per second per room per socket is forwarded, the rest are dropped.
``{"type": "read", "room": ID, "message": ID}`` (staff only)
    Moves the staff member's read marker (``rooms.services.room_mark_read``); a ``read``
    event follows to the room and to the staff member's other sockets.
``{"type": "sync", "rooms": {"<room id>": <last id>, ...}}``, or ``{"type": "sync", "room": ID, "after": ID}``
    For each room, one ``{"type": "sync.messages", "data": {"room", "messages", "has_more"}}``
    with the messages after that id, oldest first, at most ``SYNC_LIMIT``; with
    ``has_more`` the client asks again from the last id it got.
``{"type": "watch", "room": ID}`` / ``{"type": "unwatch", "room": ID}`` (admins only)
    Live monitoring: the socket joins (leaves) the room's group without making the admin a
    member and without touching any read state, so ``message.created`` / ``edited`` /
    ``recalled`` and ``typing`` of that room arrive. Replies ``{"type": "watching"|"unwatching",
    "data": {"room"}}``; an agent gets a 403 error. Watches last as long as the socket: a
    client re-sends them after a reconnect, then catches up (``sync`` or REST ``?after=``).
``{"type": "ping"}``
    ``{"type": "pong", "data": {}}``.

Close codes: 4401 not authenticated, 4001 the session ended (both final: the client does
not reconnect), 4503 ``CLOSE_RESYNC``: the server's realtime link (Redis) was interrupted
and events may have been missed; the client reconnects (retrying while Redis is still
down) and syncs, as after any drop (``contactcenter/org/channel_layers.py``).

A refused client message gets ``{"type": "error", "data": {"request", "status", "detail",
"code"?, "client_id"?, "room"?, "fields"?}}`` with the HTTP-like status of the domain error
(400 bad input, 403 not allowed, 404 unknown room, 409 closed enquiry, 429 too many
messages: ``code`` "rate_limited" and ``retry_after`` seconds; nothing stored; 503
``code`` "busy" with ``retry_after``: the post waited too long on a row lock
(``contactcenter/gateway/socket_writer.py``), nothing stored; as after a ``slow_down`` the
socket's later posts are held behind it (refused with ``slow_down``, those already queued
included) until it comes again, and the client resends from it, in order); the socket
stays open.

Reconnecting without loss: connect (the server joins the groups before ``hello``), then
``sync`` each room from the last message id the client holds. Anything committed before
the sync is in its answer, anything after arrives as ``message.created``; messages in both
are the same ids, so deduping by id gives every message exactly once. Message ids grow in
commit order within a room (``rooms.services.messages_post`` holds the room lock until
commit), so "after the last id" never skips a late commit.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import datetime as dt
import functools
import json
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs

import orjson
from channels.consumer import get_handler_name
from channels.db import DatabaseSyncToAsync, database_sync_to_async
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer
from django.conf import settings
from django.utils import translation

from contactcenter.gateway import socket_writer
from contactcenter.org import clock, i18n, ratelimit, realtime, request_ids, services
from contactcenter.org.auth import session_is_current
from contactcenter.org.channel_layers import CLOSE_RESYNC
from contactcenter.org.errors import Busy, DomainError, InvalidInput, NotAuthorized, RateLimited, lost_race
from contactcenter.org.events import (
    ADMINS_GROUP,
    SessionEnded,
    VisitorTokenRenewed,
    room_group,
    staff_group,
    visitor_group,
    widget_channel_group,
)
from contactcenter.org.inbox import ChannelQueue
from contactcenter.org.models import Staff
from contactcenter.org.outages import UNAVAILABLE_DETAIL, OutageLog, is_outage
from enquiries.auth import VisitorClaims, visitor_check, visitor_token_claims, visitor_token_for
from enquiries.models import Visitor
from rooms import services as room_services
from rooms.models import RoomMember
from rooms.selectors import access_room, message_data, room_messages
from rooms.services import PostRequest

logger = logging.getLogger(__name__)

TYPING_INTERVAL = 1.0  # seconds between forwarded typing events, per socket and room
TOUCH_INTERVAL = 60.0  # seconds between renewals of a staff session by its socket's activity
SEEN_EVENTS = 256  # ids of recently forwarded sends remembered per socket (dedupe)
SYNC_LIMIT = 200  # messages per sync.messages frame
SYNC_MAX_ROOMS = 100  # rooms per sync request
HOLD_GRACE = socket_writer.HOLD_GRACE  # seconds a socket's posts stay held after the retry time (_hold)
HOLD_REMEMBER = socket_writer.HOLD_REMEMBER  # refused client_ids remembered per held socket (_hold)
# The events a consumer acts on itself (``on_event``), besides forwarding them; only these
# are decoded from JSON on the receiving side.
ON_EVENT_KINDS = frozenset({"session.ended", "room.member_joined", "room.member_left"})
_socket_outage = OutageLog("Redis or the database, for sockets")
CLOCK_SKEW = 1.0  # seconds allowed between processes' clocks when comparing missed_at
# Client messages run their service call on a small pool of threads, each with its own
# database connection, rather than on Channels' single shared sync thread: a commit waits
# for PostgreSQL's WAL flush, and one thread would make every socket of the process wait
# for every other socket's commit (bench/RESULTS.md). Bounded: at most this many database
# connections per process for socket work. Two measured best on 2 cores: more threads only
# fight over the GIL and stretch the latency tail (p99 169 ms with 8, 22-47 ms with 2).
DB_THREADS = settings.CC_SOCKET_DB_THREADS
_db_pool = ThreadPoolExecutor(max_workers=DB_THREADS, thread_name_prefix="socket-db")


def socket_threads_warm_up(function: Callable[[], None]) -> None:
    """Run ``function`` (contactcenter.warmup.thread_warm_up: the thread's database
    connection opened, the hot tables' catalog read) now in each socket pool thread and in
    the socket writer's thread, so that a fresh process's first posts do not wait for
    their threads to start and connect (a visitor's first post, ~100 ms on the benchmark
    machine, bench/RESULTS.md "Session 13"). Does not wait."""
    barrier = threading.Barrier(DB_THREADS, timeout=10)

    def one() -> None:
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()  # one task per thread: every pool thread runs it once
        function()

    for _ in range(DB_THREADS):
        _db_pool.submit(one)
    socket_writer.writer.warm_up(function)


def socket_db_connections_close() -> None:
    """Close the database connections of the socket threads (tests, before the test
    database is dropped). Blocks until every pool thread has closed its own."""
    from django.db import connections

    barrier = threading.Barrier(DB_THREADS, timeout=10)

    def close() -> None:
        barrier.wait()  # one task per thread: all DB_THREADS are busy with this at once
        connections.close_all()

    for future in [_db_pool.submit(close) for _ in range(DB_THREADS)]:
        future.result(timeout=15)
    socket_writer.writer.connections_close()


def _db(func: Any) -> Any:
    """Like database_sync_to_async, on the socket pool (services are thread-safe: no state
    is shared between calls but the database)."""
    return DatabaseSyncToAsync(func, thread_sensitive=False, executor=_db_pool)


def _query(scope: dict[str, Any], name: str) -> str:
    values = parse_qs(scope.get("query_string", b"").decode()).get(name) or [""]
    return values[0]


def _id(content: dict[str, Any], name: str, *, required: bool = True) -> int | None:
    """A positive integer field of a client message (JSON numbers or digit strings)."""
    value = content.get(name)
    if value is None and not required:
        return None
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput.field(name, f"{name} must be an id.")
    return value


# ----------------------------------------------------------------- one service call each
# Each runs in Django's sync thread. ``principal`` is the Staff or Visitor of the socket.


def _json_loads(text: str) -> Any:
    """A client frame's JSON: orjson (a fifth of the standard library's time per frame), and
    what orjson refuses (an unpaired surrogate, NaN) as the standard library reads it, so a
    post with a bad text is still answered as that post (its client_id, the field)."""
    try:
        return orjson.loads(text)
    except ValueError:
        return json.loads(text)


def _is_visitor(principal: Any) -> bool:
    return not isinstance(principal, Staff)


@_db
def _typing(principal: Any, room_id: int, author: dict[str, Any]) -> None:
    room = access_room(principal, room_id)
    visitor_id = room.enquiry.visitor_id if room.enquiry is not None else None
    realtime.typing_send(room_id=room.pk, visitor_id=visitor_id, author=author)


@_db
def _mark_read(staff: Staff, room_id: int, message_id: int) -> None:
    room_services.room_mark_read(room_id=room_id, staff=staff, message_id=message_id)


@_db
def _watchable_room(staff: Staff, room_id: int) -> int:
    if not staff.is_admin:
        raise NotAuthorized("Only admins can monitor rooms.")
    return access_room(staff, room_id).pk


@_db
def _sync_room(principal: Any, room_id: int, after: int) -> dict[str, Any]:
    room = access_room(principal, room_id)
    found = list(room_messages(room, after=after, for_visitor=_is_visitor(principal), limit=SYNC_LIMIT + 1))
    return {
        "room": room.pk,
        "messages": [message_data(m, for_visitor=_is_visitor(principal)) for m in found[:SYNC_LIMIT]],
        "has_more": len(found) > SYNC_LIMIT,
    }


@_db
def _visitor(claims: VisitorClaims) -> Any:
    """The Visitor of a token's claims, or None if the token is refused (revoked, expired,
    no such visitor)."""
    visitor = Visitor.objects.filter(pk=claims.visitor_id).first()
    return visitor if visitor_check(claims, visitor) is None else None


class _PostAnswered:
    """In a socket's inbox: one of its posts was answered by the socket writer (its future is
    done); the socket's own loop sends the ack or the refusal (``_post_answered``)."""

    __slots__ = ("content", "future", "language")

    def __init__(self, future: asyncio.Future[dict[str, Any]], content: dict[str, Any], language: str) -> None:
        self.future = future
        self.content = content
        self.language = language  # the post's: a refusal worded here is worded in it


class _PumpFailed:
    __slots__ = ("error",)

    def __init__(self, error: BaseException) -> None:
        self.error = error


async def _pump(receive: Any, inbox: ChannelQueue) -> None:
    """Move the client's messages into the consumer's inbox (when ``receive`` is not the
    inbox's own ``get``); a failure of ``receive`` reaches the consumer's loop."""
    try:
        while True:
            inbox.put_nowait(await receive())
    except asyncio.CancelledError:
        raise
    except BaseException as exc:
        inbox.put_nowait(_PumpFailed(exc))


class EventForwardMixin:
    groups_joined: list[str]

    async def dispatch(self, message: dict[str, Any]) -> None:
        """Channels' dispatch, without its ``aclose_old_connections()`` before every
        handler: that is a hop to the shared sync thread for each frame and each forwarded
        event (three per chat message), and it serialised the whole process on that one
        thread (bench/RESULTS.md). These consumers touch the database only through ``_db``
        and ``database_sync_to_async``, which close stale connections in their own threads."""
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        try:
            await self._serve(scope, receive, send)
        except Exception as exc:
            if not is_outage(exc):
                raise
            # Redis (the layer cannot subscribe) or PostgreSQL unreachable, while the socket
            # connects or outside a client message: close it, without a traceback per
            # attempt; the client retries with back-off, then syncs.
            _socket_outage.failed(exc)
            with contextlib.suppress(Exception):
                await send({"type": "websocket.close", "code": CLOSE_RESYNC})

    async def _serve(self, scope: Any, receive: Any, send: Any) -> None:
        """Channels' ``AsyncConsumer.__call__`` with one inbox per socket. Channels waits on
        the client and on the channel layer with two tasks per socket (a new one for each
        message) and ``asyncio.wait``: memory that an idle socket holds all its life
        (bench/RESULTS.md, "Round 6"). Here, with the pub/sub layer, the layer puts this
        socket's messages (as bytes) into the inbox and one loop dispatches the inbox in
        arrival order, one message at a time as Channels does. Under daphne as started by
        ``contactcenter/daphne_lean.py`` the inbox is daphne's own input queue (``receive``
        is its ``get``), so no task is added at all; elsewhere (tests' communicators) one
        task moves the client's messages into the inbox. Other layers: Channels' way."""
        layer = get_channel_layer(self.channel_layer_alias)  # type: ignore[attr-defined]
        attach = getattr(layer, "new_channel_into", None)
        if attach is None:
            await super().__call__(scope, receive, send)  # type: ignore[misc]
            return
        self.scope = scope
        self.channel_layer = layer
        self.base_send = send
        inbox = getattr(receive, "__self__", None)
        pump: asyncio.Task[None] | None = None
        if not isinstance(inbox, ChannelQueue) or getattr(receive, "__func__", None) is not ChannelQueue.get:
            inbox = ChannelQueue()
            pump = asyncio.ensure_future(_pump(receive, inbox))
        try:
            self.channel_name = await attach(inbox)
        except BaseException:
            if pump is not None:
                pump.cancel()
            raise
        self._inbox = inbox
        try:
            while True:
                item = await inbox.get()
                if isinstance(item, bytes):  # from the layer (a group's message comes decoded)
                    item = layer.deserialize(item)  # type: ignore[union-attr]
                elif isinstance(item, _PostAnswered):
                    await self._post_answered(item.future, item.content, item.language)  # type: ignore[attr-defined]
                    continue
                elif isinstance(item, _PumpFailed):
                    raise item.error
                await self.dispatch(item)
        except StopConsumer:
            pass
        finally:
            if pump is not None:
                pump.cancel()
            await layer.channel_close(self.channel_name)  # type: ignore[union-attr]

    async def event_forward(self, message: dict[str, Any]) -> None:
        if getattr(self, "resync_closing", False):
            return  # closed for a resync: a later event would hide the gap from the client
        if message.get("except_channel") == self.channel_name:  # type: ignore[attr-defined]
            return  # the socket that posted the message: its ack carried it
        if self.seen_before(message.get("id")):
            return
        # The event's JSON, encoded once by the sender for every socket (realtime._message).
        text = message.get("text")
        event = message.get("event")
        if text is None:
            text = json.dumps(event)
        await self.send(text_data=text)  # type: ignore[attr-defined]
        kind = message.get("kind") or (event or {}).get("type")
        if kind in ON_EVENT_KINDS:
            await self.on_event(event if event is not None else json.loads(text))

    def seen_before(self, send_id: str | None) -> bool:
        """One event per socket: a send to several groups this socket is in (an admin in a
        tag: "admins" and its staff group) arrives once per group, with the same id
        (realtime._send_now). Duplicates arrive together, so a short memory is enough."""
        if not send_id:
            return False
        seen: collections.OrderedDict[str, None] | None = getattr(self, "_seen_sends", None)
        if seen is None:
            seen = collections.OrderedDict()
            self._seen_sends = seen
        if send_id in seen:
            return True
        seen[send_id] = None
        if len(seen) > SEEN_EVENTS:
            seen.popitem(last=False)
        return False

    async def on_event(self, event: dict[str, Any]) -> None:
        return None

    async def realtime_resync(self, message: dict[str, Any]) -> None:
        """The channel layer lost events this socket may have needed (Redis unreachable,
        or a publish to one of its groups failed at ``missed_at``): close with
        ``CLOSE_RESYNC`` so that the client reconnects and syncs. A socket whose groups
        were joined after ``missed_at`` synced on connecting and stays open."""
        missed_at = message.get("missed_at")
        joined_at = getattr(self, "joined_at", None)
        if isinstance(missed_at, int | float) and joined_at is not None and joined_at > missed_at + CLOCK_SKEW:
            return
        self.resync_closing = True
        await self.close(code=CLOSE_RESYNC)  # type: ignore[attr-defined]

    async def join(self, group: str) -> None:
        if not hasattr(self, "joined_at"):
            self.joined_at = time.time()
        if group not in self.groups_joined:
            self.groups_joined.append(group)
            await self.channel_layer.group_add(group, self.channel_name)  # type: ignore[attr-defined]
            _socket_outage.ok()

    async def leave(self, group: str) -> None:
        if group in self.groups_joined:
            self.groups_joined.remove(group)
            await self.channel_layer.group_discard(group, self.channel_name)  # type: ignore[attr-defined]

    async def disconnect(self, code: int) -> None:
        # Posts still waiting for their batch are committed all the same; only their
        # answers are dropped with the socket (the client resends unanswered posts after
        # reconnecting and gets the stored message back: client_id).
        for answer in list(getattr(self, "_pending_answers", ())):
            answer.cancel()
        socket_writer.writer.forget(self.channel_name)  # type: ignore[attr-defined]
        for group in list(self.groups_joined):
            try:
                await self.leave(group)
            except Exception as exc:  # Redis down: the layer forgets the membership anyway
                logger.debug("leaving %s on disconnect failed: %s", group, exc)


class ClientProtocolMixin:
    """Client messages of both consumers (module docstring). Subclasses give the principal."""

    _typing_at: dict[int, float]

    async def principal(self) -> Any:
        raise NotImplementedError

    def rate_key(self) -> tuple[str, int]:
        """Whose limits this socket counts against: ("staff" | "visitor", id)."""
        raise NotImplementedError

    def author(self, principal: Any) -> dict[str, Any]:
        raise NotImplementedError

    async def activity(self) -> None:
        """The person behind the socket did something (a post, typing)."""
        return None

    @classmethod
    async def encode_json(cls, content: Any) -> str:
        """The frames the consumer itself sends (acks, errors, synced messages) encoded by
        orjson, as the forwarded events are (``realtime``): the standard library's encoder
        was a tenth of the event loop's CPU per post (bench/RESULTS.md, session 11). What
        orjson refuses (an integer past 64 bits) goes through the standard library."""
        try:
            return realtime.json_text(content)
        except TypeError:
            return json.dumps(content)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None, **kwargs: Any) -> None:
        """Channels' JSON decoding, except that a frame that is not JSON (binary, broken,
        nested past the parser's recursion limit) gets an error frame instead of killing
        the consumer with a traceback."""
        request_ids.bind()  # each frame's own id, carried into its services' tasks and logs
        send = self.send_json  # type: ignore[attr-defined]
        if text_data is None:
            await send(_error("?", InvalidInput("Client messages are JSON text frames.")))
            return
        try:
            content = _json_loads(text_data)
        except (ValueError, RecursionError):
            await send(_error("?", InvalidInput("A client message must be valid JSON (not nested too deeply).")))
            return
        if isinstance(content, dict) and content.get("type") == "message.post" and not getattr(self, "_ended", False):
            # Pushback first, before the session and language work of receive_json: under
            # overload most posts are refused, and a refusal must cost next to nothing.
            try:
                self._post_admit(content.get("client_id") or "")
            except socket_writer.SlowDown as exc:
                await send(_slow_down("message.post", exc.retry_after_ms, content))
                return
        await self.receive_json(content, **kwargs)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        send = self.send_json  # type: ignore[attr-defined]
        if not isinstance(content, dict):
            await send(_error("?", InvalidInput("A client message is a JSON object with a type.")))
            return
        kind = content.get("type")
        handler = self._handlers.get(kind) if isinstance(kind, str) else None
        if handler is None:
            await send(_error(str(kind), InvalidInput(f"Unknown message type {kind!r}.")))
            return
        try:
            await handler(self, content)
        except Exception as exc:
            await self._refused(str(kind), exc, content)

    async def _refused(self, request: str, exc: Exception, content: dict[str, Any]) -> None:
        """Answer a client message that failed with ``exc``: an ``error`` frame (or, for a
        post the socket writer could not take, ``slow_down``)."""
        send = self.send_json  # type: ignore[attr-defined]
        if isinstance(exc, socket_writer.SlowDown):
            await send(_slow_down(request, exc.retry_after_ms, content))
            return
        if isinstance(exc, DomainError):
            await send(_error(request, exc, content))
            return
        conflict = lost_race(exc)
        if conflict is not None:  # a deadlock or the like: a lost race (409), not a bug
            logger.warning("websocket %s answered 409: %s", request, exc)
            await send(_error(request, conflict, content))
            return
        if is_outage(exc):
            # Retried by the client (a 5xx): a post is idempotent on its client_id.
            _socket_outage.failed(exc)
            error = DomainError(UNAVAILABLE_DETAIL)
            error.status_code = 503
        else:
            logger.error("websocket %s failed", request, exc_info=exc)
            error = DomainError("Something went wrong. Try again.")
            error.status_code = 500
        await send(_error(request, error, content))

    async def _client_ping(self, content: dict[str, Any]) -> None:
        await self.send_json({"type": "pong", "data": {}})  # type: ignore[attr-defined]

    async def _client_post(self, content: dict[str, Any]) -> None:
        client_id = content.get("client_id") or ""
        self._post_admit(client_id)
        # Refused before it is queued for the writer: one awaited cache round trip, shared
        # by all of this person's sockets and processes (contactcenter.org.ratelimit).
        await ratelimit.amessage_rate_check(*self.rate_key())
        principal = await self.principal()
        await self.activity()
        visitor = _is_visitor(principal)
        # The same service as REST (rooms.services.messages_post), through the process's
        # socket writer, which commits what has queued up together. Queued in the order
        # the socket sent them; the socket reads its next frame meanwhile, and each post is
        # answered as its batch commits.
        request = PostRequest(
            room_id=_id(content, "room"),  # type: ignore[arg-type]
            text=content.get("text"),
            client_id=client_id,
            staff=None if visitor else principal,
            visitor=principal if visitor else None,
            reply_to_id=_id(content, "reply_to", required=False),
            request_id=request_ids.current(),  # the frame's: its tasks carry it (README "Logs")
            sequence=self.channel_name,  # type: ignore[attr-defined]  # none overtakes a Busy one
        )
        language = translation.get_language() or settings.LANGUAGE_CODE
        try:
            future = socket_writer.writer.submit(request, self.channel_name, language)  # type: ignore[attr-defined]
        except socket_writer.SlowDown as exc:
            self._pushed_back(client_id, exc)
            raise
        self._strikes = 0
        inbox: ChannelQueue | None = getattr(self, "_inbox", None)
        if inbox is not None:
            # Answered by this socket's own loop, from its inbox: no task per post.
            self._answers.add(future)
            future.add_done_callback(functools.partial(self._answer_queue, inbox, content, language))
            return
        answer = asyncio.ensure_future(self._post_answer(future, content))
        self._answers.add(answer)
        answer.add_done_callback(self._answers.discard)

    def _answer_queue(
        self, inbox: ChannelQueue, content: dict[str, Any], language: str, future: asyncio.Future[Any]
    ) -> None:
        self._answers.discard(future)
        if not future.cancelled():  # cancelled: the socket is gone (disconnect)
            inbox.put_nowait(_PostAnswered(future, content, language))

    async def _post_answer(self, future: asyncio.Future[dict[str, Any]], content: dict[str, Any]) -> None:
        with contextlib.suppress(Exception):
            await future
        await self._post_answered(future, content)

    async def _post_answered(
        self, future: asyncio.Future[dict[str, Any]], content: dict[str, Any], language: str | None = None
    ) -> None:
        """Send the answer of a post whose future is done: its ack, or its refusal (worded in
        ``language`` when given: answered from the inbox, outside the frame's language)."""
        try:
            message = future.result()
        except Exception as exc:
            with translation.override(language) if language else contextlib.nullcontext():
                await self._post_refused(content, exc)
            return
        data = {"client_id": message["client_id"], "message": message}
        await self.send_json({"type": "message.ack", "data": data})  # type: ignore[attr-defined]

    async def _post_refused(self, content: dict[str, Any], exc: Exception) -> None:
        client_id = content.get("client_id")
        if isinstance(exc, Busy) and isinstance(client_id, str):
            # Waited too long on a row lock: like a slow_down, the socket's later posts
            # are held until the client sends this one again (it resends in order).
            self._hold(client_id, exc.retry_after * 1000)
        elif isinstance(exc, socket_writer.SlowDown) and isinstance(client_id, str):
            self._hold(client_id, exc.retry_after_ms)  # queued behind a Busy one: held too
        await self._refused("message.post", exc, content)

    @property
    def _answers(self) -> set[asyncio.Future[Any]]:
        """This socket's posts waiting for their answers (cancelled when it disconnects)."""
        answers: set[asyncio.Future[Any]] | None = getattr(self, "_pending_answers", None)
        if answers is None:
            answers = set()
            self._pending_answers = answers
        return answers

    def _post_admit(self, client_id: str) -> None:
        """Raise ``SlowDown`` if this post cannot be taken now: the socket is held behind a
        refused post (``_hold``), or the writer is full. Checked before any work is spent
        on the post (the rate limit's cache round trip and counter, the principal): under
        overload most posts are refused, and refusals must not eat the time of those taken."""
        if not isinstance(client_id, str):
            client_id = ""  # refused later as bad input; never a key of the hold's memory
        self._hold_check(client_id)
        try:
            socket_writer.writer.admit()
        except socket_writer.SlowDown as exc:
            self._pushed_back(client_id, exc)
            raise

    def _pushed_back(self, client_id: str, exc: socket_writer.SlowDown) -> None:
        """The writer refused this post: hold the socket's later posts behind it. Refused
        again and again: each time this socket waits twice as long (capped), so that
        retries cannot crowd out the posts the server is taking."""
        strikes = getattr(self, "_strikes", 0)
        self._strikes = strikes + 1
        doublings = min(strikes, settings.CC_SOCKET_PUSHBACK_MAX_DOUBLINGS)
        exc.retry_after_ms = min(socket_writer.RETRY_AFTER_MAX_MS, exc.retry_after_ms * 2**doublings)
        self._hold(client_id, exc.retry_after_ms)

    def _hold(self, client_id: str, retry_after_ms: int) -> None:
        """After a slow_down, later posts of this socket are refused too, until the client
        sends a refused post again (it resends in order from the earliest), so that a post
        never overtakes one written before it. Posts the client wrote before it read the
        slow_down keep arriving meanwhile (seconds of them on a loaded server): each is
        refused, noted, and keeps the hold; it lapses only HOLD_GRACE after the retry time
        with none arriving (a client that gave the refused post up)."""
        if getattr(self, "_held_from", None) is None:
            self._held_from: str | None = client_id
            self._held_refused: set[str] = set()
        self._held_note(client_id)
        self._held_retry_at = time.monotonic() + retry_after_ms / 1000
        self._held_until = max(getattr(self, "_held_until", 0.0), self._held_retry_at + HOLD_GRACE)

    def _held_note(self, client_id: str) -> None:
        if client_id and len(self._held_refused) < HOLD_REMEMBER:
            self._held_refused.add(client_id)

    def _hold_check(self, client_id: str) -> None:
        held_from = getattr(self, "_held_from", None)
        if held_from is None:
            return
        now = time.monotonic()
        # A refused post coming again was sent after the client read its slow_down: from
        # there on the client sends in the order written (the earliest refused first).
        if (client_id and (client_id == held_from or client_id in self._held_refused)) or now >= self._held_until:
            self._held_from = None
            self._held_refused = set()
            return
        self._held_note(client_id)
        self._held_until = max(self._held_until, now + HOLD_GRACE)  # still arriving: not given up
        raise socket_writer.SlowDown(max(socket_writer.RETRY_AFTER_MIN_MS, int((self._held_retry_at - now) * 1000)))

    async def _client_typing(self, content: dict[str, Any]) -> None:
        room_id = _id(content, "room")
        assert room_id is not None
        now = time.monotonic()
        if now - self._typing_at.get(room_id, -TYPING_INTERVAL) < TYPING_INTERVAL:
            return  # rate limit: drop, the client repeats while typing anyway
        if len(self._typing_at) > 1000:
            self._typing_at.clear()
        self._typing_at[room_id] = now
        principal = await self.principal()
        await self.activity()
        await _typing(principal, room_id, self.author(principal))

    async def _client_read(self, content: dict[str, Any]) -> None:
        principal = await self.principal()
        if _is_visitor(principal):
            raise NotAuthorized("Only staff have read markers.")
        room_id, message_id = _id(content, "room"), _id(content, "message")
        await _mark_read(principal, room_id, message_id)

    async def _client_sync(self, content: dict[str, Any]) -> None:
        rooms = content.get("rooms")
        if rooms is None and "room" in content:
            rooms = {str(_id(content, "room")): _id(content, "after", required=False) or 0}
        if not isinstance(rooms, dict) or not rooms:
            raise InvalidInput.field("rooms", 'rooms must be an object {"<room id>": <last message id>}.')
        if len(rooms) > SYNC_MAX_ROOMS:
            raise InvalidInput.field("rooms", f"At most {SYNC_MAX_ROOMS} rooms per sync.")
        wanted: list[tuple[int, int]] = []
        for key, after in rooms.items():
            room_id = _id({"room": key}, "room")
            last = _id({"after": after or 0}, "after")
            wanted.append((room_id, last))  # type: ignore[arg-type]
        principal = await self.principal()
        for room_id, after in wanted:
            try:
                data = await _sync_room(principal, room_id, after)
            except DomainError as exc:
                await self.send_json(_error("sync", exc, {"room": room_id}))  # type: ignore[attr-defined]
                continue
            await self.send_json({"type": "sync.messages", "data": data})  # type: ignore[attr-defined]

    # (Not named _sync & co.: channels' AsyncConsumer uses ``_sync`` as a flag.)
    _handlers: dict[str, Any] = {
        "ping": _client_ping,
        "message.post": _client_post,
        "typing": _client_typing,
        "read": _client_read,
        "sync": _client_sync,
    }


def _slow_down(request: str, retry_after_ms: int, content: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {"request": request, "retry_after_ms": retry_after_ms}
    for key in ("client_id", "room"):
        if content.get(key) is not None:
            data[key] = content[key]
    return {"type": "slow_down", "data": data}


def _error(request: str, exc: DomainError, content: dict[str, Any] | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {"request": request, "status": exc.status_code, "detail": exc.message}
    if exc.code:
        data["code"] = exc.code
    if isinstance(exc, RateLimited | Busy):
        data["retry_after"] = exc.retry_after
    if exc.fields:
        data["fields"] = exc.fields
    for key in ("client_id", "room"):
        if content and content.get(key) is not None:
            data[key] = content[key]
    return {"type": "error", "data": data}


@database_sync_to_async
def _staff_from_scope(scope: dict[str, Any]) -> Staff | None:
    """Who opens a staff socket: an API client with a one-time ticket
    (``?ticket=``, from POST /api/v1/auth/socket-ticket), else the browser's session
    cookie. A token in the URL (``?token=``) is refused: proxies log URLs."""
    query = parse_qs(scope.get("query_string", b"").decode(errors="replace"), keep_blank_values=True)
    if "token" in query:
        return None
    if "ticket" in query:
        return services.socket_ticket_redeem(_query(scope, "ticket"))
    user = scope.get("user")
    session = scope.get("session")
    if isinstance(user, Staff) and session is not None and session_is_current(session, user):
        return user
    return None


@database_sync_to_async
def _staff_session_check(staff_id: int, epoch: Any) -> tuple[dt.datetime, list[int]] | None:
    """Re-read after the socket joined its staff group: the session is still the live one
    (a logout or a new login in between has sent its session.ended to the group already,
    or shows here). Returns when it idles out and the rooms to join."""
    staff = Staff.objects.filter(pk=staff_id, auth_epoch=epoch).first()
    if staff is None or not services.session_is_live(staff):
        return None
    assert staff.session_expires_at is not None
    rooms = list(RoomMember.objects.filter(staff=staff).values_list("room_id", flat=True))
    return staff.session_expires_at, rooms


@database_sync_to_async
def _staff_session_recheck(staff_id: int, epoch: Any) -> dt.datetime | None:
    """When the session of the socket ends now, or None if it has ended (and then it is
    ended for real: idle, as the sweep would, in case the sweep has not come by yet)."""
    staff = Staff.objects.filter(pk=staff_id, auth_epoch=epoch).first()
    if staff is not None and services.session_is_live(staff):
        return staff.session_expires_at
    services.staff_session_expire_if_due(staff_id=staff_id)
    return None


@_db
def _staff_touch(staff: Staff) -> dt.datetime | None:
    services.staff_session_touch(staff=staff)
    return staff.session_expires_at


class StaffConsumer(ClientProtocolMixin, EventForwardMixin, AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.groups_joined = []
        self._typing_at = {}
        self._watching: set[int] = set()  # rooms joined by "watch", not by membership
        self._ended = False
        staff = await _staff_from_scope(self.scope)
        if staff is None:
            await self.close(code=4401)
            return
        self.staff = staff
        # Groups first, then accept: once the client sees the socket open (and reloads its
        # panel over REST) every later event reaches it. Events that arrive meanwhile wait
        # in the consumer's queue until connect returns. The staff group comes before the
        # session's re-check, so that a session ending meanwhile is seen by one or the other.
        await self.join(staff_group(self.staff.pk))
        checked = await _staff_session_check(self.staff.pk, self.staff.auth_epoch)
        if checked is None:
            await self.leave(staff_group(self.staff.pk))
            await self.close(code=4401)
            return
        self._session_expires_at, rooms = checked
        if self.staff.is_admin:
            await self.join(ADMINS_GROUP)
        for room_id in rooms:
            await self.join(room_group(room_id))
        await self.accept()
        await self.send_json({"type": "hello", "data": {"staff_id": self.staff.pk}})

    async def principal(self) -> Any:
        return self.staff

    def rate_key(self) -> tuple[str, int]:
        return "staff", self.staff.pk

    def author(self, principal: Any) -> dict[str, Any]:
        return {"type": "staff", "id": self.staff.pk, "name": self.staff.display_name}

    async def activity(self) -> None:
        """A post or typing renews the session's idle timer, as a request does (at most
        once a minute). Pings, reads, syncs and watches do not: a dashboard left open
        sends those by itself."""
        idle = dt.timedelta(seconds=settings.CC_IDLE_TIMEOUT_SECONDS)
        if self._session_expires_at - clock.now() > idle - dt.timedelta(seconds=TOUCH_INTERVAL):
            return  # renewed less than a minute ago: no database trip
        self.staff.session_expires_at = self._session_expires_at
        self._session_expires_at = await _staff_touch(self.staff) or self._session_expires_at

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if self._ended or not await self._session_live():
            return
        # Refusals worded in the staff member's language, as over REST (contactcenter.org.i18n),
        # chosen once per socket and again only if the member's own choice changes.
        chosen: tuple[str, str] | None = getattr(self, "_language_chosen", None)
        if chosen is None or chosen[0] != self.staff.language:
            headers = dict(self.scope.get("headers") or [])
            accept = headers.get(b"accept-language", b"").decode("latin-1")
            chosen = (self.staff.language, i18n.staff_language(self.staff, accept))
            self._language_chosen = chosen
        with translation.override(chosen[1]):
            await super().receive_json(content, **kwargs)

    async def event_forward(self, message: dict[str, Any]) -> None:
        # Nothing after the session ended: not even events already queued for this socket.
        if self._ended or not await self._session_live():
            return
        if self.staff.pk in message.get("except_staff", ()):
            return  # this staff member is sent its own version of the event
        await super().event_forward(message)

    async def _session_live(self) -> bool:
        """False (and the socket ends) once the session has idled out. Costs nothing
        until the idle time the socket knows of has passed; then one read tells whether
        something renewed it meanwhile."""
        if clock.now() < self._session_expires_at:
            return True
        expires = await _staff_session_recheck(self.staff.pk, self.staff.auth_epoch)
        if expires is None:
            await self._end(SessionEnded(reason=services.SessionEndReason.IDLE).payload())
            return False
        self._session_expires_at = expires
        return True

    async def _end(self, event: dict[str, Any] | None = None) -> None:
        """The session is over: leave every group at once (nothing more is forwarded),
        tell the client why, and close with 4001."""
        if self._ended:
            return
        self._ended = True
        for group in list(self.groups_joined):
            await self.leave(group)
        if event is not None:
            await self.send_json(event)
        await self.close(code=4001)

    async def _client_watch(self, content: dict[str, Any]) -> None:
        room_id = await _watchable_room(self.staff, _id(content, "room"))
        if room_group(room_id) not in self.groups_joined:  # a member already gets the events
            self._watching.add(room_id)
            await self.join(room_group(room_id))
        await self.send_json({"type": "watching", "data": {"room": room_id}})

    async def _client_unwatch(self, content: dict[str, Any]) -> None:
        room_id = _id(content, "room")
        assert room_id is not None
        if room_id in self._watching:  # never drop the group of a room the admin is a member of
            self._watching.discard(room_id)
            await self.leave(room_group(room_id))
        await self.send_json({"type": "unwatching", "data": {"room": room_id}})

    async def _join_room(self, room_id: int) -> None:
        self._watching.discard(room_id)  # now a member: an unwatch must not leave the group
        await self.join(room_group(room_id))

    _handlers = {
        **ClientProtocolMixin._handlers,
        "watch": _client_watch,
        "unwatch": _client_unwatch,
    }

    async def on_event(self, event: dict[str, Any]) -> None:
        data = event.get("data", {})
        kind = event.get("type")
        if kind == "session.ended":
            # Logged out, idle, logged in elsewhere, deactivated, password changed: this
            # socket's credentials are dead (the event itself has been forwarded).
            await self._end()
            return
        if kind == "room.member_joined" and data.get("staff_id") == self.staff.pk:
            await self._join_room(data["room_id"])
        elif kind == "room.member_left" and data.get("staff_id") == self.staff.pk:
            await self.leave(room_group(data["room_id"]))


@database_sync_to_async
def _visitor_token_current(claims: VisitorClaims) -> tuple[int, int | None] | None:
    """The visitor's token epoch and channel if the token is still good (not revoked; the
    visitor exists), else None."""
    visitor = Visitor.objects.filter(pk=claims.visitor_id).only("id", "token_epoch", "channel_id").first()
    if visitor is None or visitor_check(claims, visitor) is not None:
        return None
    return visitor.token_epoch, visitor.channel_id


class VisitorConsumer(ClientProtocolMixin, EventForwardMixin, AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        self.groups_joined = []
        self._typing_at = {}
        self._visitor: Any = None  # loaded on the first client message: idle sockets stay light
        claims = visitor_token_claims(_query(self.scope, "visitor_token"))
        if claims is None or claims.expired():
            await self.close(code=4401)
            return
        self.visitor_id = claims.visitor_id
        self._claims = claims
        # Group before the revocation check (and before accept, as for staff): a revocation
        # in between is either seen by the check or closes the socket with its event.
        await self.join(visitor_group(self.visitor_id))
        current = await _visitor_token_current(claims)
        if current is None:
            await self.leave(visitor_group(self.visitor_id))
            await self.close(code=4401)
            return
        epoch, channel_id = current
        if channel_id is not None:
            # Its channel's directory changes (staff.availability, tag.availability).
            await self.join(widget_channel_group(channel_id))
        await self.accept()
        # Nothing of the upgrade request's headers is read after this (the language comes
        # from the URL or the visitor): emptied, the same list daphne keeps for the socket's
        # life (memory per idle socket, bench/RESULTS.md "Round 6").
        headers = self.scope.get("headers")
        if isinstance(headers, list):
            headers.clear()
        await self.send_json({"type": "hello", "data": {"visitor_id": self.visitor_id}})
        await self._renew_token(epoch)

    async def _renew_token(self, epoch: int) -> None:
        """Hand the visitor a fresh token once its own is RENEW_AFTER of its life old
        (the widget stores it): an active visitor never sees its token expire."""
        if self._claims.renewal_due():
            token = visitor_token_for(self.visitor_id, epoch)
            claims = visitor_token_claims(token)
            assert claims is not None
            self._claims = claims
            await self.send_json(VisitorTokenRenewed(token=token).payload())

    async def principal(self) -> Any:
        if self._visitor is None or self._claims.expired():
            self._visitor = await _visitor(self._claims)
            if self._visitor is None or self._claims.expired():
                await self.close(code=4401)
                raise NotAuthorized("This visitor token is no longer valid.")
        await self._renew_token(self._visitor.token_epoch)
        return self._visitor

    def author(self, principal: Any) -> dict[str, Any]:
        return {"type": "visitor", "id": principal.pk, "name": principal.display_name}

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        # Refusals and synced system messages worded in the visitor's language: the widget's
        # (the socket URL's ?lang=), else the one they started in (rooms.system_texts).
        asked: str | None = getattr(self, "_lang_asked", None)
        if asked is None:  # the URL's, parsed once per socket (not per frame)
            asked = self._lang_asked = _query(self.scope, "lang")
        if not asked and self._visitor is None:
            with contextlib.suppress(DomainError):  # refused again, and answered, below
                await self.principal()
        if not asked and self._visitor is not None:
            asked = self._visitor.chat_language or self._visitor.language
        # The language chosen for what was asked, kept per socket (asked again per frame).
        chosen: tuple[str, str] | None = getattr(self, "_language_chosen", None)
        if chosen is None or chosen[0] != asked:
            chosen = (asked, i18n.best_language(asked, i18n.language_codes()))
            self._language_chosen = chosen
        with translation.override(chosen[1]):
            await super().receive_json(content, **kwargs)

    def rate_key(self) -> tuple[str, int]:
        return "visitor", self.visitor_id

    async def on_event(self, event: dict[str, Any]) -> None:
        if event.get("type") == "session.ended":
            # The visitor's tokens were revoked (visitor_tokens_revoke).
            for group in list(self.groups_joined):
                await self.leave(group)
            await self.close(code=4401)
