"""State changes of the organisation: staff, tags, destinations, settings, logins."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
import secrets
import uuid
import zoneinfo
from collections.abc import Callable, Sequence
from typing import Any

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext, ngettext

from contactcenter.org import clock, i18n
from contactcenter.org.cache import LocalTTLCache
from contactcenter.org.errors import Conflict, InvalidInput, NotAuthorized, NotFound
from contactcenter.org.events import ADMINS_GROUP, SessionEnded, StaffAvailability, staff_group
from contactcenter.org.models import AuthToken, Destination, OrgSettings, SocketTicket, Staff, Tag
from contactcenter.org.realtime import send_event_on_commit


def _require_admin(actor: Staff | None) -> None:
    if actor is not None and not actor.is_admin:
        raise NotAuthorized(gettext("Only admins can do this."))


def _clean_email(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise InvalidInput.field("email", gettext("Enter a valid email address.")) from None
    return email


def _check_password(password: str, staff: Staff | None = None) -> None:
    try:
        validate_password(password or "", user=staff)
    except ValidationError as exc:
        raise InvalidInput("; ".join(exc.messages), fields={"password": list(exc.messages)}) from None


def tags_resolve(*, names: Sequence[str] = (), ids: Sequence[int] = ()) -> list[Tag]:
    """Existing tags by name or id; an unknown one is a field error."""
    tags = list(Tag.objects.filter(name__in=list(names))) + list(Tag.objects.filter(id__in=list(ids)))
    missing = set(names) - {t.name for t in tags}
    missing_ids = set(ids) - {t.id for t in tags}
    if missing or missing_ids:
        unknown = sorted(str(x) for x in (*missing, *missing_ids))
        raise InvalidInput.field("tags", gettext("Unknown tag: %(names)s.") % {"names": ", ".join(unknown)})
    return list({t.id: t for t in tags}.values())


def staff_create(
    *,
    actor: Staff | None,
    email: str,
    password: str,
    display_name: str = "",
    role: str = Staff.Role.AGENT,
    tags: Sequence[Tag] = (),
    max_concurrent: int = 5,
    availability: str = Staff.Availability.OFFLINE,
) -> Staff:
    """Create a staff account. ``actor`` None means the command line (trusted)."""
    _require_admin(actor)
    email = _clean_email(email)
    if role not in Staff.Role.values:
        raise InvalidInput.field("role", gettext("Role must be 'agent' or 'admin'."))
    if availability not in Staff.Availability.values:
        raise InvalidInput.field("availability", gettext("Unknown availability."))
    if not 0 < max_concurrent <= 100:
        raise InvalidInput.field("max_concurrent", gettext("Must be between 1 and 100."))
    _check_password(password)
    display_name = (display_name or email.split("@")[0]).strip()[:120]
    staff = Staff(email=email, display_name=display_name, role=role, max_concurrent=max_concurrent)
    staff.availability = availability
    staff.set_password(password)
    try:
        with transaction.atomic():
            staff.save()
            staff.tags.set(list(tags))
            for created in staff_created_hooks:
                created(staff=staff)
    except IntegrityError:
        raise Conflict(gettext("A staff member with this email already exists."), code="email_taken") from None
    return staff


# Called with ``staff=`` the new staff row, inside the creating transaction (analytics:
# the first availability span starts).
staff_created_hooks: list[Callable[..., object]] = []


def on_staff_created(hook: Callable[..., object]) -> None:
    """Run ``hook(staff=...)`` when a staff account is created; idempotent."""
    if hook not in staff_created_hooks:
        staff_created_hooks.append(hook)


def staff_update(*, actor: Staff, staff: Staff, changes: dict[str, Any]) -> Staff:
    """Admin edits of a staff account (display name, role, limit, tags, active, password)."""
    _require_admin(actor)
    fields: list[str] = []
    with transaction.atomic():
        staff = Staff.objects.select_for_update(no_key=True).get(pk=staff.pk)
        if "display_name" in changes:
            name = str(changes["display_name"]).strip()
            if not name:
                raise InvalidInput.field("display_name", gettext("Display name cannot be empty."))
            staff.display_name = name[:120]
            fields.append("display_name")
        if "role" in changes:
            if changes["role"] not in Staff.Role.values:
                raise InvalidInput.field("role", gettext("Role must be 'agent' or 'admin'."))
            if staff.pk == actor.pk and changes["role"] != Staff.Role.ADMIN:
                raise Conflict(gettext("You cannot remove your own admin role."))
            staff.role = changes["role"]
            fields.append("role")
        if "max_concurrent" in changes:
            value = int(changes["max_concurrent"])
            if not 0 < value <= 100:
                raise InvalidInput.field("max_concurrent", gettext("Must be between 1 and 100."))
            staff.max_concurrent = value
            fields.append("max_concurrent")
        if "is_active" in changes:
            if staff.pk == actor.pk and not changes["is_active"]:
                raise Conflict(gettext("You cannot deactivate yourself."))
            staff.is_active = bool(changes["is_active"])
            fields.append("is_active")
        if "password" in changes:
            _check_password(changes["password"], staff)
            staff.set_password(changes["password"])
            fields.append("password")
        # Access ends with the credentials: deactivating an account or changing its
        # password ends the session, tokens and sockets at once (an admin changing their
        # own password logs in again).
        if "is_active" in changes and not staff.is_active:
            fields += _session_end(staff, reason=SessionEndReason.DEACTIVATED)
        elif "password" in changes:
            fields += _session_end(staff, reason=SessionEndReason.PASSWORD_CHANGED)
        if fields:
            staff.save(update_fields=sorted(set(fields)))
        if "tags" in changes:
            staff.tags.set(list(changes["tags"]))
    return staff


# Called with ``staff=`` the staff row, locked, inside the transaction that made it ACTIVE
# (enquiries: alert it of the enquiries already waiting for it).
staff_became_active_hooks: list[Callable[..., object]] = []


def on_staff_became_active(hook: Callable[..., object]) -> None:
    """Run ``hook(staff=...)`` whenever a staff member becomes ACTIVE; idempotent. Called
    from the apps' ``AppConfig.ready``."""
    if hook not in staff_became_active_hooks:
        staff_became_active_hooks.append(hook)


# Called with ``staff=`` the staff row (locked, its new availability saved or about to be)
# and ``previous=`` its availability before, inside the transaction that changed it
# (channels_adapters: tell the visitors whose directory or chat shows it).
staff_availability_hooks: list[Callable[..., object]] = []


def on_staff_availability_changed(hook: Callable[..., object]) -> None:
    """Run ``hook(staff=..., previous=...)`` whenever a staff member's availability changes;
    idempotent. Called from the apps' ``AppConfig.ready``."""
    if hook not in staff_availability_hooks:
        staff_availability_hooks.append(hook)


def staff_set_availability(*, actor: Staff, staff: Staff, availability: str) -> Staff:
    """Change availability. Becoming ACTIVE runs the ``on_staff_became_active`` hooks
    (enquiries alerts the staff member of enquiries waiting at their destinations, as if
    they had been active when those opened)."""
    if actor.pk != staff.pk:
        _require_admin(actor)
    if availability not in Staff.Availability.values:
        raise InvalidInput.field("availability", gettext("Availability must be one of active, busy, away, offline."))
    with transaction.atomic():
        locked = Staff.objects.select_for_update(no_key=True).get(pk=staff.pk)
        previous = locked.availability
        if previous == availability:
            return locked
        locked.availability = availability
        locked.save(update_fields=["availability"])
        send_event_on_commit(
            [staff_group(locked.pk), ADMINS_GROUP],
            StaffAvailability(staff_id=locked.pk, availability=availability),
        )
        for changed in staff_availability_hooks:
            changed(staff=locked, previous=previous)
        if availability == Staff.Availability.ACTIVE:
            for hook in staff_became_active_hooks:
                hook(staff=locked)
    return locked


def staff_set_preferences(
    *, actor: Staff, staff: Staff, language: str | None = None, time_zone: str | None = None
) -> Staff:
    """A staff member's own language (one of settings.CC_STAFF_LANGUAGES, "" for the browser's) and
    time zone (IANA name, "" for the business's); None leaves one as it is. Both are checked
    before anything is written. Takes the staff row lock."""
    if actor.pk != staff.pk:
        _require_admin(actor)
    if language is not None and language != "" and not i18n.is_staff_language(language):
        raise InvalidInput.field(
            "language",
            gettext("Unknown language: %(code)s. Choose one of: %(codes)s.")
            % {"code": language, "codes": ", ".join(i18n.staff_language_codes())},
        )
    if time_zone is not None and time_zone != "" and not i18n.is_time_zone(time_zone):
        raise InvalidInput.field(
            "time_zone",
            gettext("Unknown time zone: %(name)s. Use an IANA name such as Asia/Shanghai.") % {"name": time_zone},
        )
    with transaction.atomic():
        locked = Staff.objects.select_for_update(no_key=True).get(pk=staff.pk)
        fields = []
        if language is not None and locked.language != language:
            locked.language = language
            fields.append("language")
        if time_zone is not None and locked.time_zone != time_zone:
            locked.time_zone = time_zone
            fields.append("time_zone")
        if fields:
            locked.save(update_fields=fields)
    return locked


def custom_info_clean(value: Any) -> str:
    """A destination's custom info (a channel's or a tag's): text of at most
    ``CC_CUSTOM_INFO_MAX_CHARS`` characters (SPEC 2), else InvalidInput on ``custom_info``."""
    if not isinstance(value, str):
        raise InvalidInput.field("custom_info", gettext("Custom info must be text."))
    limit = settings.CC_CUSTOM_INFO_MAX_CHARS
    if len(value) > limit:
        raise InvalidInput.field(
            "custom_info",
            gettext("Custom info is limited to %(limit)s characters; this is %(length)s.")
            % {"limit": f"{limit:,}", "length": f"{len(value):,}"},
        )
    return value


def tag_create(*, actor: Staff, name: str, custom_info: Any = "") -> Tag:
    _require_admin(actor)
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise InvalidInput.field("name", gettext("Tag name must be 1 to 80 characters."))
    info = custom_info_clean(custom_info)
    try:
        with transaction.atomic():
            return Tag.objects.create(name=name, custom_info=info)
    except IntegrityError:
        raise Conflict(gettext("A tag with this name already exists.")) from None


def tag_custom_info_set(*, actor: Staff, tag_id: int, custom_info: Any) -> Tag:
    """An admin sets the custom info staff see when an enquiry to the tag starts (it wins
    over the channel's for enquiries routed to the tag). Locks the tag row."""
    _require_admin(actor)
    info = custom_info_clean(custom_info)
    with transaction.atomic():
        tag = Tag.objects.select_for_update(no_key=True).filter(pk=tag_id).first()
        if tag is None:
            raise NotFound(gettext("Tag not found."))
        tag.custom_info = info
        tag.save(update_fields=["custom_info"])
    return tag


@dataclasses.dataclass
class TagUsage:
    """What still uses a tag: ``blockers`` refuse its deletion (something would be lost),
    ``effects`` say what a deletion does. Texts for people."""

    blockers: list[str] = dataclasses.field(default_factory=list)
    effects: list[str] = dataclasses.field(default_factory=list)


# The apps above add what they know of a tag (channels routing to it, enquiries waiting on
# it): ``hook(tag=..., usage=...)`` appends to ``usage``. Registered in AppConfig.ready.
tag_usage_hooks: list[Callable[..., object]] = []


def on_tag_usage(hook: Callable[..., object]) -> None:
    """Let ``hook(tag=, usage=)`` add blockers and effects to a tag's usage; idempotent."""
    if hook not in tag_usage_hooks:
        tag_usage_hooks.append(hook)


def tag_usage(tag: Tag) -> TagUsage:
    """What deleting ``tag`` would refuse or do (a read: for the confirmation and the check)."""
    usage = TagUsage()
    members = Staff.objects.filter(tags=tag).count()
    if members:
        usage.effects.append(
            ngettext(
                "%(count)d staff member leaves the tag (the account stays).",
                "%(count)d staff members leave the tag (their accounts stay).",
                members,
            )
            % {"count": members}
        )
    for hook in tag_usage_hooks:
        hook(tag=tag, usage=usage)
    return usage


def tag_rename(*, actor: Staff, tag: Tag, name: str) -> Tag:
    """Rename ``tag``; its destination (what channels and enquiries show) follows. A name
    taken by another tag is a conflict (409)."""
    _require_admin(actor)
    name = (name or "").strip()
    if not name or len(name) > 80:
        raise InvalidInput.field("name", gettext("Tag name must be 1 to 80 characters."))
    try:
        with transaction.atomic():
            locked = Tag.objects.select_for_update().get(pk=tag.pk)
            locked.name = name
            locked.save(update_fields=["name"])
            Destination.objects.filter(tag=locked).update(name=name)
    except IntegrityError:
        raise Conflict(gettext("A tag with this name already exists.")) from None
    return locked


def tag_update(*, actor: Staff, tag: Tag, name: str | None = None, custom_info: Any = None) -> Tag:
    """Rename ``tag`` and/or set its custom info (None leaves one as it is), all or nothing:
    the custom info is checked before the name is written."""
    _require_admin(actor)
    if custom_info is not None:
        custom_info_clean(custom_info)
    with transaction.atomic():
        if name is not None:
            tag = tag_rename(actor=actor, tag=tag, name=name)
        if custom_info is not None:
            tag = tag_custom_info_set(actor=actor, tag_id=tag.pk, custom_info=custom_info)
    return tag


def tag_delete(*, actor: Staff, tag: Tag) -> None:
    """Delete ``tag`` unless something still depends on it (409 naming what: see
    tag_usage). Its members leave it; its destination stays, without the tag and with its
    name, for the history and reports of past enquiries. Takes the tag row lock."""
    _require_admin(actor)
    with transaction.atomic():
        locked = Tag.objects.select_for_update().filter(pk=tag.pk).first()
        if locked is None:
            raise NotFound(gettext("Tag not found."))
        usage = tag_usage(locked)
        if usage.blockers:
            raise Conflict(
                gettext("The tag “%(name)s” cannot be deleted: %(reasons)s")
                % {"name": locked.name, "reasons": " ".join(usage.blockers)},
                code="tag_in_use",
            )
        Staff.tags.through.objects.filter(tag=locked).delete()
        locked.delete()


def destination_for(*, tag: Tag | None = None, staff: Staff | None = None) -> Destination:
    """The destination routing to ``tag`` (broadcast) or ``staff`` (direct), made on first use."""
    if (tag is None) == (staff is None):
        raise InvalidInput(gettext("Give exactly one of a tag or a staff member as destination."))
    if tag is not None:
        dest, _ = Destination.objects.get_or_create(tag=tag, defaults={"type": Destination.Type.TAG, "name": tag.name})
    else:
        assert staff is not None
        dest, _ = Destination.objects.get_or_create(
            staff=staff, defaults={"type": Destination.Type.STAFF, "name": staff.display_name}
        )
    return dest


_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _validate_work_hours(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    error = InvalidInput.field(
        "work_hours",
        gettext('Work hours must be null or {"timezone": "Area/City", "days": {"mon": [["09:00", "18:00"]], ...}}.'),
    )
    if not isinstance(value, dict) or not isinstance(value.get("days"), dict):
        raise error
    tz = value.get("timezone", "UTC")
    try:
        zoneinfo.ZoneInfo(str(tz))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise InvalidInput.field("work_hours", gettext("Unknown time zone: %(name)s.") % {"name": tz}) from None
    days: dict[str, list[list[str]]] = {}
    for day, spans in value["days"].items():
        if day not in _DAYS or not isinstance(spans, list):
            raise error
        for span in spans:
            if (
                not isinstance(span, list | tuple)
                or len(span) != 2
                or not all(isinstance(t, str) and _TIME.match(t) for t in span)
                or span[0] >= span[1]
            ):
                raise error
        days[day] = [list(s) for s in spans]
    return {"timezone": str(tz), "days": days}


def org_settings_get() -> OrgSettings:
    obj, _ = OrgSettings.objects.get_or_create(pk=1)
    return obj


# Read by every enquiry's routing; org_settings_update invalidates it in its process.
_work_hours_cache = LocalTTLCache(ttl=5.0)


def org_work_hours() -> dict[str, Any] | None:
    """The org's work hours (``within_work_hours``), kept for a few seconds in this process:
    another process's change applies within that time."""
    return _work_hours_cache.get("work_hours", lambda: org_settings_get().work_hours)


def org_settings_update(*, actor: Staff, changes: dict[str, Any]) -> OrgSettings:
    _require_admin(actor)
    with transaction.atomic():
        org_settings_get()
        obj = OrgSettings.objects.select_for_update(no_key=True).get(pk=1)
        fields = []
        if "auto_close_enabled" in changes:
            obj.auto_close_enabled = bool(changes["auto_close_enabled"])
            fields.append("auto_close_enabled")
        if "auto_close_minutes" in changes:
            minutes = changes["auto_close_minutes"]
            if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= 7 * 24 * 60:
                raise InvalidInput.field(
                    "auto_close_minutes", gettext("Minutes must be a whole number from 1 to 10080.")
                )
            obj.auto_close_minutes = minutes
            fields.append("auto_close_minutes")
        if "work_hours" in changes:
            obj.work_hours = _validate_work_hours(changes["work_hours"])
            fields.append("work_hours")
        if "ratings_visible_to_agents" in changes:
            obj.ratings_visible_to_agents = bool(changes["ratings_visible_to_agents"])
            fields.append("ratings_visible_to_agents")
        if "agents_may_keep_open" in changes:
            obj.agents_may_keep_open = bool(changes["agents_may_keep_open"])
            fields.append("agents_may_keep_open")
        if "company_name" in changes:
            obj.company_name = str(changes["company_name"])[:120]
            fields.append("company_name")
        if "require_conversation_tag" in changes:
            obj.require_conversation_tag = bool(changes["require_conversation_tag"])
            fields.append("require_conversation_tag")
        if "retention_days" in changes:
            days = changes["retention_days"]
            if days is not None and (not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= 3650):
                raise InvalidInput.field("retention_days", gettext("Days must be a whole number from 1 to 3650."))
            obj.retention_days = days
            fields.append("retention_days")
        if fields:
            obj.save(update_fields=[*fields, "updated_at"])
            _work_hours_cache.invalidate()
    return obj


def within_work_hours(at: dt.datetime, work_hours: dict[str, Any] | None) -> bool:
    if not work_hours:
        return True
    local = at.astimezone(zoneinfo.ZoneInfo(work_hours.get("timezone", "UTC")))
    spans = work_hours.get("days", {}).get(_DAYS[local.weekday()], [])
    hhmm = local.strftime("%H:%M")
    return any(start <= hhmm < end for start, end in spans)


def _hash_token(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class SessionEndReason:
    """``reason`` of the ``session.ended`` event."""

    LOGGED_OUT = "logged_out"
    IDLE = "idle"
    DEACTIVATED = "deactivated"
    PASSWORD_CHANGED = "password_changed"
    SIGNED_IN_ELSEWHERE = "signed_in_elsewhere"


class SessionKind:
    BROWSER = "browser"  # cookie session of the dashboard
    TOKEN = "token"  # API client (POST /api/v1/auth/token)


SOCKET_TICKET_SECONDS = 30


def _idle() -> dt.timedelta:
    return dt.timedelta(seconds=settings.CC_IDLE_TIMEOUT_SECONDS)


def _set_offline(locked: Staff) -> list[str]:
    """Availability OFFLINE (told to the staff member's sockets and to admins). Caller
    holds the staff row lock and saves the returned fields."""
    if locked.availability == Staff.Availability.OFFLINE:
        return []
    previous = locked.availability
    locked.availability = Staff.Availability.OFFLINE
    send_event_on_commit(
        [staff_group(locked.pk), ADMINS_GROUP],
        StaffAvailability(staff_id=locked.pk, availability=Staff.Availability.OFFLINE),
    )
    for changed in staff_availability_hooks:
        changed(staff=locked, previous=previous)
    return ["availability"]


def _session_end(locked: Staff, *, reason: str, offline: bool = True) -> list[str]:
    """End every session of ``locked``: a new epoch (cookie sessions, tokens and socket
    tickets of the old one are dead), its tokens and tickets deleted, its open sockets told
    (``session.ended``) and closed on commit, and, unless ``offline`` is False, availability
    OFFLINE, so that routing offers nothing to nobody. Caller holds the staff row lock and
    saves the returned fields (``update_fields``)."""
    locked.auth_epoch = uuid.uuid4()
    locked.session_expires_at = None
    locked.session_kind = ""
    AuthToken.objects.filter(staff=locked).delete()
    SocketTicket.objects.filter(staff=locked).delete()
    # Sockets close on this event (consumers.StaffConsumer); sent before the availability
    # change, so a closing socket gets nothing after it.
    send_event_on_commit([staff_group(locked.pk)], SessionEnded(reason=reason))
    fields = ["auth_epoch", "session_expires_at", "session_kind"]
    if offline:
        fields += _set_offline(locked)
    return fields


def session_is_live(staff: Staff, now: dt.datetime | None = None) -> bool:
    """Whether ``staff`` (as loaded) has a live session: active and not idle too long."""
    expires = staff.session_expires_at
    return bool(staff.is_active) and expires is not None and expires > (now or clock.now())


def staff_login(*, staff: Staff, kind: str = SessionKind.BROWSER) -> uuid.UUID:
    """Start a new session (one device at a time): every earlier session and token of
    ``staff`` ends, and its open sockets are told (``session.ended``) and closed. Returns
    the new epoch.

    Availability: a browser login keeps it (the person is present on the new dashboard).
    A token login that takes over a live browser session sets OFFLINE: that dashboard is
    gone, and an API client sets its availability itself (``PATCH /api/v1/me``). A session
    that had already idled out ends as the idle sweep would have ended it (OFFLINE)."""
    with transaction.atomic():
        locked = Staff.objects.select_for_update(no_key=True).get(pk=staff.pk)
        now = clock.now()
        fields: list[str] = []
        if locked.session_expires_at is not None and locked.session_expires_at <= now:
            fields += _set_offline(locked)
        elif session_is_live(locked, now) and kind == SessionKind.TOKEN and locked.session_kind != kind:
            fields += _set_offline(locked)
        fields += _session_end(locked, reason=SessionEndReason.SIGNED_IN_ELSEWHERE, offline=False)
        locked.last_login = now
        locked.session_expires_at = now + _idle()
        locked.session_kind = kind
        locked.save(update_fields=sorted({*fields, "last_login"}))
    staff.auth_epoch = locked.auth_epoch
    staff.session_expires_at = locked.session_expires_at
    staff.session_kind = locked.session_kind
    staff.availability = locked.availability
    return locked.auth_epoch


def staff_session_end(*, staff: Staff, reason: str) -> bool:
    """End ``staff``'s session (see ``_session_end``). False if none was live and the
    reason is not a logout (idempotent for the sweep)."""
    with transaction.atomic():
        locked = Staff.objects.select_for_update(no_key=True).get(pk=staff.pk)
        if locked.session_expires_at is None and reason != SessionEndReason.LOGGED_OUT:
            return False
        locked.save(update_fields=_session_end(locked, reason=reason))
    staff.auth_epoch = locked.auth_epoch
    staff.session_expires_at = None
    staff.availability = locked.availability
    return True


def staff_logout(*, staff: Staff) -> None:
    """Log out: ends the staff member's session everywhere (one device at a time), its
    tokens and sockets, and sets availability OFFLINE."""
    staff_session_end(staff=staff, reason=SessionEndReason.LOGGED_OUT)


def staff_session_touch(*, staff: Staff) -> None:
    """Activity of ``staff`` (a request; a post or typing on a socket): its live session
    now ends CC_IDLE_TIMEOUT_SECONDS from now. Writes at most once a minute, and only to
    the session of the epoch ``staff`` was loaded with (never revives an ended one)."""
    now = clock.now()
    expires = staff.session_expires_at
    if expires is None or expires <= now or expires - now > _idle() - dt.timedelta(seconds=60):
        return
    renewed = now + _idle()
    Staff.objects.filter(pk=staff.pk, auth_epoch=staff.auth_epoch, session_expires_at__gt=now).update(
        session_expires_at=renewed
    )
    staff.session_expires_at = renewed


def staff_session_expire_if_due(*, staff_id: int, now: dt.datetime | None = None) -> bool:
    """End the session of ``staff_id`` if it has idled out; True if this call ended it.
    Re-checked under the row lock: safe to run from several processes at once."""
    now = now or clock.now()
    with transaction.atomic():
        locked = Staff.objects.select_for_update(no_key=True).filter(pk=staff_id).first()
        if locked is None or locked.session_expires_at is None or locked.session_expires_at > now:
            return False
        locked.save(update_fields=_session_end(locked, reason=SessionEndReason.IDLE))
    return True


def staff_sessions_expire_due(now: dt.datetime) -> int:
    """The idle sweep (run with the enquiry timers): ends every session idle for longer
    than CC_IDLE_TIMEOUT_SECONDS, which closes its sockets and sets its staff OFFLINE.
    Idle expiry has no request to hook: this is what keeps a socket from outliving it."""
    due = list(Staff.objects.filter(session_expires_at__lte=now).order_by().values_list("id", flat=True)[:500])
    return sum(staff_session_expire_if_due(staff_id=i, now=now) for i in due)


def token_issue(*, staff: Staff) -> str:
    """Log in an API client: returns a new token (shown once; only its hash is stored)."""
    epoch = staff_login(staff=staff, kind=SessionKind.TOKEN)
    key = secrets.token_hex(20)
    AuthToken.objects.create(staff=staff, key_hash=_hash_token(key), epoch=epoch, last_used_at=clock.now())
    return key


def token_authenticate(key: str, *, touch: bool = True) -> Staff | None:
    """The staff member of a live token, renewing its session's idle timer (unless
    ``touch`` is False: a background request); None if unknown, or its session has ended
    (logout, idle, deactivation, password change, a new login)."""
    try:
        token = AuthToken.objects.select_related("staff").get(key_hash=_hash_token(key))
    except AuthToken.DoesNotExist:
        return None
    now = clock.now()
    staff = token.staff
    if token.epoch != staff.auth_epoch or not session_is_live(staff, now):
        if token.epoch == staff.auth_epoch:
            # Idled out and not swept yet: end it now, as the sweep would.
            staff_session_expire_if_due(staff_id=staff.pk, now=now)
        AuthToken.objects.filter(pk=token.pk).delete()
        return None
    # Renew at most once a minute to keep hot paths free of writes.
    if now - token.last_used_at > dt.timedelta(seconds=60):
        AuthToken.objects.filter(pk=token.pk).update(last_used_at=now)
    if touch:
        staff_session_touch(staff=staff)
    return staff


def token_revoke(*, key: str) -> None:
    AuthToken.objects.filter(key_hash=_hash_token(key)).delete()


def socket_ticket_issue(*, staff: Staff) -> str:
    """A one-time ticket for ``/ws/staff/?ticket=`` (API clients; the browser uses its
    cookie), valid SOCKET_TICKET_SECONDS and once. ``staff`` is the authenticated staff
    member of a live token: the ticket belongs to that session (its epoch)."""
    now = clock.now()
    SocketTicket.objects.filter(expires_at__lt=now).delete()  # anyone's expired ones
    key = secrets.token_urlsafe(32)
    SocketTicket.objects.create(
        staff=staff,
        key_hash=_hash_token(key),
        epoch=staff.auth_epoch,
        expires_at=now + dt.timedelta(seconds=SOCKET_TICKET_SECONDS),
    )
    return key


def socket_ticket_redeem(key: str) -> Staff | None:
    """The staff member a ticket was issued to, if it is unused, unexpired and its session
    still live; the ticket is spent either way. Of several processes redeeming the same
    ticket at once exactly one wins: the conditional delete of its row (one row = won)."""
    if not key:
        return None
    ticket = SocketTicket.objects.filter(key_hash=_hash_token(key)).first()
    if ticket is None or SocketTicket.objects.filter(pk=ticket.pk).delete()[0] != 1:
        return None
    now = clock.now()
    staff = Staff.objects.filter(pk=ticket.staff_id).first()
    if ticket.expires_at <= now or staff is None or staff.auth_epoch != ticket.epoch:
        return None
    return staff if session_is_live(staff, now) else None
