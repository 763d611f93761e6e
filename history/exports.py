"""Exports (SPEC section 9): a file of enquiries, messages, notes or customers, written in the
background with the rights its requester has when it runs, downloadable by them only, for
CC_EXPORT_TTL_DAYS days.

- ``export_request`` stores a pending export and queues ``history.tasks.export_run`` on
  commit (Celery in production, a thread of the web process with the embedded ticker).
- ``export_run`` claims the export (``UPDATE ... WHERE status='pending'``: one winner),
  streams the rows from one query in chunks (constant memory: never a list of all rows) into
  a ``.part`` file under MEDIA_ROOT/exports/ (not publicly served: the API streams it to the
  requester), moves the heartbeat and progress every CC_EXPORT_PROGRESS_ROWS rows, and
  renames the file into place when done. Each write is conditional on the run's ``attempt``
  still being the export's, so a run declared stuck (and retried) stops at its next write.
- ``exports_sweep`` (the ticker every EXPORT_SWEEP_SECONDS; beat "sweep-exports" in
  production) queues pending exports whose task was lost, retries or fails running ones
  whose heartbeat stopped, and deletes expired files.
- ``exports_purge_before(moment)``: an erasure deletes finished files written before it
  (and makes running ones start again), so that no export keeps an erased customer's data.

Cells that a spreadsheet would run as a formula (starting with ``=``, ``+``, ``-``, ``@``,
a tab or a carriage return) get a leading ``'``. CSV is UTF-8 with a byte-order mark (so
that Excel reads Chinese, Japanese and Thai right); XLSX is written by XlsxWriter in its
constant-memory mode. Times are UTC. Column names are fixed English identifiers (the file
is read by programs as much as people).
"""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import datetime as dt
import functools
import logging
import os
import secrets
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import xlsxwriter
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, F, Func, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.utils.translation import gettext

from contactcenter.org import background, clock
from contactcenter.org.errors import Conflict, DomainError, InvalidInput, NotFound
from contactcenter.org.models import Staff
from customers.models import Customer
from enquiries.models import Enquiry, EnquiryNote, Visitor
from history.filters import INT_FIELDS, Filters, apply_filters, parse_filters, visible_enquiries
from history.models import Export
from rooms.models import Message

logger = logging.getLogger(__name__)

# Keys of an export's ``filters`` (those of history.filters.parse_filters).
FILTER_KEYS = frozenset({"from", "to", "channel", "tag", "conversation_tag", "owner", "rating", "customer", "status"})
EXPORTS_DIR = "exports"
# How often the embedded ticker runs exports_sweep (beat: "sweep-exports").
EXPORT_SWEEP_SECONDS = 10.0
# A pending export this old has lost its task (or its thread): the sweep queues it again.
PENDING_REQUEUE_SECONDS = 30
# Rows fetched per chunk of the streamed query (and per batch of the per-row lookups).
CHUNK_ROWS = 2000
# The longest text a spreadsheet cell holds (Excel's limit).
CELL_MAX_CHARS = 32767
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class Gone(DomainError):
    """The export's file has expired (or was deleted after an erasure): 410."""

    status_code = 410


class _Lost(Exception):
    """This run no longer owns the export (declared stuck and retried, or reset by an
    erasure, or deleted): stop and discard the file."""


def ttl() -> dt.timedelta:
    return dt.timedelta(days=settings.CC_EXPORT_TTL_DAYS)


# --------------------------------------------------------------------- requests


def _filters_of(raw: Any) -> Filters:
    """Parse an export's filters; unknown keys are refused (a typo must not export
    everything). A bad one raises InvalidInput naming ``filters.<key>``."""
    if not isinstance(raw, dict):
        raise InvalidInput.field("filters", gettext("Use an object of filters."))
    unknown = sorted(str(key) for key in raw if key not in FILTER_KEYS)
    if unknown:
        message = gettext("Unknown filter. Use any of: %(keys)s.") % {"keys": ", ".join(sorted(FILTER_KEYS))}
        raise _nested(unknown[0], message)
    try:
        return parse_filters(raw)
    except InvalidInput as exc:
        name = next(iter(exc.fields), "")
        raise _nested(name, exc.message) from None


def _nested(name: str, message: str) -> InvalidInput:
    """The error a nested serializer would give: {"filters": {name: [message]}}."""
    error = InvalidInput(f"filters.{name}: {message}" if name else message)
    error.fields = {"filters": {name: [message]}} if name else {"filters": [message]}  # type: ignore[dict-item]
    return error


def export_request(*, actor: Staff, kind: str, format: str, filters: dict[str, Any]) -> Export:  # noqa: A002
    """Store a pending export of ``kind`` in ``format`` and queue its run on commit.

    Refused (nothing written) for an unknown kind or format, bad filters (400 naming the
    field), or when ``actor`` already has CC_EXPORT_MAX_ACTIVE exports pending or running
    (409). Takes the actor's staff row lock, so that two requests at once cannot both pass
    the limit."""
    if kind not in Export.Kind.values:
        raise InvalidInput.field("kind", gettext("Use any of: %(values)s.") % {"values": ", ".join(Export.Kind.values)})
    if format not in Export.Format.values:
        raise InvalidInput.field(
            "format", gettext("Use any of: %(values)s.") % {"values": ", ".join(Export.Format.values)}
        )
    _filters_of(filters)  # validated now; parsed again (the same way) when it runs
    stored = {key: value for key, value in filters.items() if value not in (None, "")}
    for key in INT_FIELDS:  # numbers as numbers, so that exports_purge_before can match them
        if key in stored:
            stored[key] = int(stored[key])
    with transaction.atomic():
        Staff.objects.select_for_update().filter(pk=actor.pk).first()
        active = Export.objects.filter(
            requested_by_id=actor.pk, status__in=(Export.Status.PENDING, Export.Status.RUNNING)
        ).count()
        if active >= settings.CC_EXPORT_MAX_ACTIVE:
            raise Conflict(
                gettext("You already have %(n)d exports in progress; wait for one to finish.")
                % {"n": settings.CC_EXPORT_MAX_ACTIVE},
                code="export_limit",
            )
        export = Export.objects.create(
            requested_by=actor, kind=kind, format=format, filters=stored, created_at=clock.now()
        )
        _queue_on_commit(export.pk)
    return export


def _queue_on_commit(export_id: int) -> None:
    from history import tasks  # imported here: history.tasks imports this module

    background.run_after_commit(tasks.export_run, export_id)


def access_export(staff: Staff, export_id: int) -> Export:
    """The export, for its requester only: anyone else (admins included) gets 404, since
    the file holds what its requester could see, not what the caller can."""
    export = Export.objects.filter(pk=export_id, requested_by_id=staff.pk).first()
    if export is None:
        raise NotFound(gettext("Export not found."))
    return export


def exports_of(staff: Staff, *, limit: int = 50) -> QuerySet[Export]:
    """The staff member's own exports, newest first."""
    return Export.objects.filter(requested_by_id=staff.pk).order_by("-created_at", "-pk")[:limit]


def export_is_expired(export: Export, now: dt.datetime | None = None) -> bool:
    if export.purged_at is not None:
        return True
    return export.expires_at is not None and export.expires_at <= (now or clock.now())


def export_file_for_download(export: Export) -> Path:
    """The finished file: Conflict (409) while not done, Gone (410) once expired."""
    if export.status != Export.Status.DONE:
        raise Conflict(gettext("The export is not finished."), code="export_not_done")
    if export_is_expired(export) or not export.file:
        raise Gone(gettext("This export has expired. Request it again."), code="export_expired")
    full = _media_path(export.file)
    if not full.is_file():
        raise Gone(gettext("This export has expired. Request it again."), code="export_expired")
    return full


def _media_path(relative: str) -> Path:
    root = Path(settings.MEDIA_ROOT).resolve()
    full = (root / relative).resolve()
    if root not in full.parents:
        raise NotFound(gettext("Export not found."))
    return full


# -------------------------------------------------------------------------- run


@dataclasses.dataclass
class _Run:
    export_id: int
    attempt: int
    total: int = 0
    rows: int = 0

    def beat(self) -> None:
        """Progress and heartbeat, only while this run still owns the export."""
        progress = min(99, self.rows * 100 // self.total) if self.total else 0
        moved = Export.objects.filter(pk=self.export_id, status=Export.Status.RUNNING, attempt=self.attempt).update(
            progress=progress, rows=self.rows, heartbeat_at=clock.now()
        )
        if not moved:
            raise _Lost


def export_claim(*, export_id: int) -> int | None:
    """Take a pending export for this runner: the new attempt number, or None when another
    runner has it (or it is gone or finished). Settled by the conditional UPDATE."""
    now = clock.now()
    won = Export.objects.filter(pk=export_id, status=Export.Status.PENDING).update(
        status=Export.Status.RUNNING,
        started_at=now,
        heartbeat_at=now,
        attempt=F("attempt") + 1,
        progress=0,
        rows=0,
        error="",
    )
    if not won:
        return None
    return Export.objects.filter(pk=export_id).values_list("attempt", flat=True).first()


def export_run(*, export_id: int) -> str:
    """Claim and write the export; safe to call twice and from several workers (one wins).
    Returns "done", "failed", "skipped" (not pending) or "lost" (taken back meanwhile)."""
    attempt = export_claim(export_id=export_id)
    if attempt is None:
        return "skipped"
    export = Export.objects.select_related("requested_by").get(pk=export_id)
    run = _Run(export_id=export.pk, attempt=attempt)
    relative = f"{EXPORTS_DIR}/{export.pk}-{secrets.token_hex(8)}.{export.format}"
    full = _media_path(relative)
    part = full.with_name(full.name + ".part")
    try:
        full.parent.mkdir(parents=True, exist_ok=True)
        _write(export, run, part)
        os.replace(part, full)
    except _Lost:
        _unlink(part)
        return "lost"
    except Exception as exc:
        _unlink(part)
        message = exc.message if isinstance(exc, DomainError) else gettext("The export failed.")
        if not isinstance(exc, DomainError):
            logger.exception("export %s failed", export.pk)
        Export.objects.filter(pk=export.pk, status=Export.Status.RUNNING, attempt=attempt).update(
            status=Export.Status.FAILED, error=message, finished_at=clock.now()
        )
        return "failed"
    now = clock.now()
    finished = Export.objects.filter(pk=export.pk, status=Export.Status.RUNNING, attempt=attempt).update(
        status=Export.Status.DONE,
        progress=100,
        rows=run.rows,
        file=relative,
        size=full.stat().st_size,
        finished_at=now,
        expires_at=now + ttl(),
    )
    if not finished:
        _unlink(full)
        return "lost"
    logger.info("export %s done: %s %s, %d rows", export.pk, export.kind, export.format, run.rows)
    return "done"


def _unlink(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        path.unlink()


def _write(export: Export, run: _Run, path: Path) -> None:
    staff = export.requested_by
    if not staff.is_active:
        raise InvalidInput(gettext("The account that asked for this export is deactivated."))
    filters = _filters_of(export.filters)
    columns, count, rows = KINDS[export.kind](staff, filters, export.filters)
    run.total = count()
    run.beat()
    every = settings.CC_EXPORT_PROGRESS_ROWS
    # A pause after every chunk (CC_EXPORT_PAUSE_MS) leaves the cores, and the database, to
    # the chat for a moment: an export is not in a hurry.
    pause = settings.CC_EXPORT_PAUSE_MS / 1000
    with _open_sink(export.format, path) as sink:
        sink.write(columns)
        for row in rows():
            sink.write(row)
            run.rows += 1
            if run.rows % every == 0:
                run.beat()
            if pause > 0 and run.rows % CHUNK_ROWS == 0:
                time.sleep(pause)


# ----------------------------------------------------------------------- sinks


def neutralise(value: str) -> str:
    """A cell a spreadsheet would take for a formula gets a leading quote."""
    if value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return _utc_text(value)
    if isinstance(value, str):
        return neutralise(value)
    return value


def _utc_text(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


class _CsvSink:
    def __init__(self, path: Path) -> None:
        # utf-8-sig: a byte-order mark, so that Excel reads the file as UTF-8.
        self._file = path.open("w", encoding="utf-8-sig", newline="")
        self._writer = csv.writer(self._file)

    def write(self, row: Sequence[Any]) -> None:
        self._writer.writerow([_csv_cell(value) for value in row])

    def close(self) -> None:
        self._file.close()


class _XlsxSink:
    def __init__(self, path: Path) -> None:
        # constant_memory: each row is flushed to a temporary file as the next one starts.
        # Strings stay strings (never numbers, formulas or links).
        self._book = xlsxwriter.Workbook(
            str(path),
            {
                "constant_memory": True,
                "strings_to_numbers": False,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "remove_timezone": True,
            },
        )
        self._sheet = self._book.add_worksheet("export")
        self._time = self._book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        self._header = self._book.add_format({"bold": True})
        self._row = 0

    def write(self, row: Sequence[Any]) -> None:
        sheet, r = self._sheet, self._row
        for c, value in enumerate(row):
            if value is None or value == "":
                continue
            if isinstance(value, dt.datetime):
                sheet.write_datetime(r, c, value.astimezone(dt.UTC).replace(tzinfo=None), self._time)
            elif isinstance(value, bool):
                sheet.write_boolean(r, c, value)
            elif isinstance(value, int | float):
                sheet.write_number(r, c, value)
            else:
                text = neutralise(str(value))[:CELL_MAX_CHARS]
                sheet.write_string(r, c, text, self._header if r == 0 else None)
        self._row += 1

    def close(self) -> None:
        self._book.close()


@contextlib.contextmanager
def _open_sink(fmt: str, path: Path) -> Iterator[_CsvSink | _XlsxSink]:
    sink: _CsvSink | _XlsxSink = _XlsxSink(path) if fmt == Export.Format.XLSX else _CsvSink(path)
    try:
        yield sink
    finally:
        sink.close()


# ------------------------------------------------------------------------ rows

# Each kind: (staff, filters, the stored filters) -> (columns, count(), rows()).
Rows = tuple[list[str], Callable[[], int], Callable[[], Iterator[Sequence[Any]]]]


def _enquiries_of(staff: Staff, filters: Filters) -> QuerySet[Enquiry]:
    return apply_filters(visible_enquiries(staff), filters)


def _batches(qs: QuerySet[Any], fields: Sequence[str]) -> Iterator[list[tuple[Any, ...]]]:
    """The rows of ``qs`` (ordered by the caller) in lists of CHUNK_ROWS, read by one query
    streamed in chunks (a server-side cursor on PostgreSQL, fetchmany on SQLite): never a
    list of all rows. One query, not keyset pages: an agent's permission filter (a hashed
    set of the rooms they served) is then built once, not once per page."""
    batch: list[tuple[Any, ...]] = []
    for row in qs.values_list(*fields).iterator(chunk_size=CHUNK_ROWS):
        batch.append(row)
        if len(batch) >= CHUNK_ROWS:
            yield batch
            batch = []
    if batch:
        yield batch


def _visitor_name(visitor_id: int | None, first: str, last: str, email: str, phone: str) -> str:
    if visitor_id is None:
        return ""
    return f"{first or ''} {last or ''}".strip() or email or phone or f"Visitor {visitor_id}"


def _seconds(start: dt.datetime | None, end: dt.datetime | None) -> int | None:
    if start is None or end is None:
        return None
    return max(0, int((end - start).total_seconds()))


def _file_url(message_id: int) -> str:
    return f"{settings.CC_EXPORT_BASE_URL}/api/v1/messages/{message_id}/file"


ENQUIRY_COLUMNS = [
    "id",
    "created (UTC)",
    "closed (UTC)",
    "channel",
    "destination",
    "customer id",
    "customer",
    "visitor",
    "email",
    "owner",
    "status",
    "missed reason",
    "topic",
    "conversation tags",
    "rating",
    "comment",
    "wait seconds",
    "handle seconds",
    "messages",
]
_ENQUIRY_FIELDS = (
    "pk",
    "created_at",
    "resolved_at",
    "closed_at",
    "missed_at",
    "picked_up_at",
    "channel__name",
    "destination__name",
    "visitor__customer_id",
    "visitor__customer__name",
    "visitor_id",
    "visitor__first_name",
    "visitor__last_name",
    "visitor__email",
    "visitor__phone",
    "owner__display_name",
    "status",
    "missed_reason",
    "topic",
    "rating_score",
    "rating_comment",
    "n_messages",
)


def _count_of(qs: QuerySet[Any]) -> Subquery:
    """COUNT(*) of a correlated queryset, as a subquery the outer row's index lookups
    answer (a join with GROUP BY made PostgreSQL scan all messages for every page)."""
    return Subquery(qs.order_by().annotate(n=Func(F("pk"), function="COUNT")).values("n"), output_field=IntegerField())


def _enquiry_rows(staff: Staff, filters: Filters, raw: dict[str, Any]) -> Rows:
    enquiries = _enquiries_of(staff, filters)
    messages = Message.objects.filter(room__enquiry_id=OuterRef("pk"), recalled_at__isnull=True).exclude(
        kind=Message.Kind.SYSTEM
    )
    page_qs = enquiries.annotate(n_messages=_count_of(messages))

    def rows() -> Iterator[Sequence[Any]]:
        for page in _batches(page_qs.order_by("pk"), _ENQUIRY_FIELDS):
            ids = [row[0] for row in page]
            tags: dict[int, list[str]] = {}
            through = Enquiry.tags.through.objects.filter(enquiry_id__in=ids).order_by("conversationtag__name")
            for enquiry_id, name, parent in through.values_list(
                "enquiry_id", "conversationtag__name", "conversationtag__parent__name"
            ):
                tags.setdefault(enquiry_id, []).append(f"{parent} > {name}" if parent else name)
            for (
                pk,
                created,
                resolved,
                closed,
                missed,
                picked,
                channel,
                destination,
                customer_id,
                customer_name,
                visitor_id,
                first,
                last,
                email,
                phone,
                owner,
                status,
                missed_reason,
                topic,
                rating,
                comment,
                messages,
            ) in page:
                ended = resolved or closed or missed
                yield (
                    pk,
                    created,
                    ended,
                    channel,
                    destination,
                    customer_id,
                    customer_name or ("" if customer_id is None else f"Customer {customer_id}"),
                    _visitor_name(visitor_id, first, last, email, phone),
                    email,
                    owner,
                    status,
                    missed_reason,
                    topic,
                    "; ".join(tags.get(pk, [])),
                    rating,
                    comment,
                    _seconds(created, picked or missed),
                    _seconds(picked, resolved or closed),
                    messages or 0,
                )

    return ENQUIRY_COLUMNS, enquiries.count, rows


MESSAGE_COLUMNS = [
    "enquiry",
    "message id",
    "time (UTC)",
    "author kind",
    "author",
    "text",
    "file name",
    "file url",
]


def _message_rows(staff: Staff, filters: Filters, raw: dict[str, Any]) -> Rows:
    enquiries = _enquiries_of(staff, filters)
    messages = Message.objects.filter(room__enquiry__in=enquiries.values("pk"), recalled_at__isnull=True)
    fields = (
        "pk",
        "created_at",
        "author_staff_id",
        "author_staff__display_name",
        "author_visitor_id",
        "author_visitor__first_name",
        "author_visitor__last_name",
        "author_visitor__email",
        "author_visitor__phone",
        "text",
        "data",
    )

    def rows() -> Iterator[Sequence[Any]]:
        # One query, streamed (see _batches), in the order of the enquiries.
        chunk = messages.order_by("room__enquiry_id", "pk").values_list("room__enquiry_id", *fields)
        for (
            enquiry_id,
            pk,
            created,
            staff_id,
            staff_name,
            visitor_id,
            first,
            last,
            email,
            phone,
            text,
            data,
        ) in chunk.iterator(chunk_size=CHUNK_ROWS):
            if staff_id is not None:
                kind, name = "staff", staff_name or ""
            elif visitor_id is not None:
                kind, name = "visitor", _visitor_name(visitor_id, first, last, email, phone)
            else:
                kind, name = "system", ""
            info = data.get("file") if isinstance(data, dict) else None
            file_name = str(info.get("name") or "") if isinstance(info, dict) else ""
            yield (
                enquiry_id,
                pk,
                created,
                kind,
                name,
                text,
                file_name,
                _file_url(pk) if isinstance(info, dict) else "",
            )

    return MESSAGE_COLUMNS, messages.count, rows


NOTE_COLUMNS = ["enquiry", "time (UTC)", "contact", "text", "file names", "file urls"]


def _note_rows(staff: Staff, filters: Filters, raw: dict[str, Any]) -> Rows:
    notes = EnquiryNote.objects.filter(enquiry__in=_enquiries_of(staff, filters).values("pk"))

    def rows() -> Iterator[Sequence[Any]]:
        fields = ("pk", "enquiry_id", "created_at", "contact", "text", "files")
        for page in _batches(notes.order_by("pk"), fields):
            for _pk, enquiry_id, created, contact, text, files in page:
                files = [f for f in files if isinstance(f, dict)] if isinstance(files, list) else []
                yield (
                    enquiry_id,
                    created,
                    contact,
                    text,
                    "; ".join(str(f.get("name") or "") for f in files),
                    "; ".join(_file_url(int(f["message"])) for f in files if str(f.get("message", "")).isdigit()),
                )

    return NOTE_COLUMNS, notes.count, rows


CUSTOMER_COLUMNS = [
    "id",
    "name",
    "email",
    "phone",
    "tags",
    "custom fields",
    "enquiries",
    "first seen (UTC)",
    "last seen (UTC)",
]


def _customer_rows(staff: Staff, filters: Filters, raw: dict[str, Any]) -> Rows:
    """Customers with an enquiry the staff member may see that matches the filters (any
    status unless ``status`` is given); admins without filters: every customer. Customers
    merged into another are left out (their rows belong to the other now), and so are erased
    and visitor-less ones (listed nowhere, as on the Customers page)."""
    customers = Customer.objects.filter(merged_into__isnull=True, erased_at__isnull=True).filter(
        Exists(Visitor.objects.filter(customer_id=OuterRef("pk")))
    )
    if "status" not in raw:
        filters = dataclasses.replace(filters, status=tuple(Enquiry.Status.values))
    if not staff.is_admin or raw:
        matching = apply_filters(visible_enquiries(staff), filters).filter(visitor__customer_id=OuterRef("pk"))
        customers = customers.filter(Exists(matching))
    counted = customers.annotate(
        n_enquiries=_count_of(visible_enquiries(staff).filter(visitor__customer_id=OuterRef("pk")))
    )

    def rows() -> Iterator[Sequence[Any]]:
        fields = ("pk", "name", "email", "phone", "custom_fields", "created_at", "last_seen_at", "n_enquiries")
        for page in _batches(counted.order_by("pk"), fields):
            ids = [row[0] for row in page]
            tags: dict[int, list[str]] = {}
            through = Customer.tags.through.objects.filter(customer_id__in=ids).order_by("customertag__name")
            for customer_id, name in through.values_list("customer_id", "customertag__name"):
                tags.setdefault(customer_id, []).append(name)
            for pk, name, email, phone, custom, created, last_seen, count in page:
                pairs = custom if isinstance(custom, list) else []
                yield (
                    pk,
                    name,
                    email,
                    phone,
                    "; ".join(tags.get(pk, [])),
                    "; ".join(f"{p.get('name', '')}: {p.get('value', '')}" for p in pairs if isinstance(p, dict)),
                    count or 0,
                    created,
                    last_seen,
                )

    return CUSTOMER_COLUMNS, customers.count, rows


KINDS: dict[str, Callable[[Staff, Filters, dict[str, Any]], Rows]] = {
    Export.Kind.ENQUIRIES: _enquiry_rows,
    Export.Kind.MESSAGES: _message_rows,
    Export.Kind.NOTES: _note_rows,
    Export.Kind.CUSTOMERS: _customer_rows,
}


# ---------------------------------------------------------------------- sweeps


def exports_queue_pending(now: dt.datetime | None = None) -> int:
    """Queue again the pending exports whose task (or thread) was lost; a duplicate run is
    harmless (the claim settles it)."""
    now = now or clock.now()
    cutoff = now - dt.timedelta(seconds=PENDING_REQUEUE_SECONDS)
    ids = list(
        Export.objects.filter(status=Export.Status.PENDING, created_at__lt=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:100]
    )
    from history import tasks  # history.tasks imports this module

    for export_id in ids:
        background.run_task(tasks.export_run, export_id)
    return len(ids)


def exports_recover_stuck(now: dt.datetime | None = None) -> tuple[int, int]:
    """Running exports whose heartbeat stopped CC_EXPORT_STALE_SECONDS ago (a crashed
    worker): back to pending while they have tries left, else failed. Returns (retried,
    failed). Conditional updates: safe from several sweepers at once."""
    now = now or clock.now()
    stale = Q(
        status=Export.Status.RUNNING, heartbeat_at__lt=now - dt.timedelta(seconds=settings.CC_EXPORT_STALE_SECONDS)
    )
    retried = Export.objects.filter(stale, attempt__lt=settings.CC_EXPORT_MAX_ATTEMPTS).update(
        status=Export.Status.PENDING
    )
    failed = Export.objects.filter(stale, attempt__gte=settings.CC_EXPORT_MAX_ATTEMPTS).update(
        status=Export.Status.FAILED, error=gettext("The export stopped and could not be finished."), finished_at=now
    )
    if retried or failed:
        logger.warning("exports: %d stuck runs retried, %d failed", retried, failed)
    return retried, failed


def exports_purge_expired(now: dt.datetime | None = None) -> int:
    """Delete the files of expired exports (the rows stay, showing that they expired)."""
    now = now or clock.now()
    expired = Export.objects.filter(status=Export.Status.DONE, expires_at__lte=now).exclude(file="")
    return _delete_files(expired, now=now, purged=False)


def _delete_files(exports: QuerySet[Export], *, now: dt.datetime, purged: bool) -> int:
    """The row first (from then on nobody is offered the file), then the file itself once
    the caller's transaction commits (at once outside one): a rolled-back erasure leaves
    the rows as they were, and the files with them."""
    deleted = 0
    for pk, relative in list(exports.values_list("pk", "file")):
        changes: dict[str, Any] = {"file": ""}
        if purged:
            changes["purged_at"] = now
        if Export.objects.filter(pk=pk, file=relative).update(**changes):
            transaction.on_commit(functools.partial(_delete_file, relative))
            deleted += 1
    return deleted


def _delete_file(relative: str) -> None:
    with contextlib.suppress(NotFound):
        _unlink(_media_path(relative))


def exports_purge_before(moment: dt.datetime, *, customer_id: int | None = None) -> int:
    """After an erasure at ``moment``: delete every finished export file written before it
    that could hold the erased customer's data (all kinds can; one filtered on another
    customer cannot), and start again the exports running at that moment (they may have read
    the customer's rows already; the erasure is committed, so their next run cannot).
    Returns the number of files deleted."""
    now = clock.now()
    done = Export.objects.filter(status=Export.Status.DONE, finished_at__lte=moment).exclude(file="")
    running = Export.objects.filter(status=Export.Status.RUNNING, started_at__lte=moment)
    if customer_id is not None:
        other = Q(filters__customer__isnull=False) & ~Q(filters__customer=customer_id)
        done = done.exclude(other)
        running = running.exclude(other)
    running.update(status=Export.Status.PENDING)
    deleted = _delete_files(done, now=now, purged=True)
    if deleted:
        logger.info("erasure: deleted %d export files written before it", deleted)
    return deleted


def exports_on_erasure(customer_id: int, visitor_ids: Sequence[int], enquiry_ids: Sequence[int]) -> None:
    """The erasure hook (history.hooks.register_erasure_hook): inside the erasure's
    transaction, every export written before it that could hold the customer is purged."""
    exports_purge_before(clock.now(), customer_id=customer_id)


def exports_sweep() -> dict[str, int]:
    """The periodic work (ticker and beat): stuck runs, lost tasks, expired files."""
    now = clock.now()
    retried, failed = exports_recover_stuck(now)
    queued = exports_queue_pending(now)
    expired = exports_purge_expired(now)
    return {"retried": retried, "failed": failed, "queued": queued, "expired": expired}
