"""Conversation tags (what a conversation was about, a two-level tree admins define:
"Billing" > "Refund") and an enquiry's topic and tags, set by its owner or an admin.

Deleting a tag deletes its children and takes it (and them) off every enquiry that had it:
the admin page shows how many enquiries that touches before it asks. Refusing while used
would make a tag that was ever set undeletable; renaming is the way to keep the links.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils.translation import gettext as _

from contactcenter.org.errors import Conflict, InvalidInput, NotAuthorized, NotFound
from contactcenter.org.models import Staff
from contactcenter.org.text import text_check
from enquiries import hooks, services
from enquiries.hooks import enquiry_event_append
from enquiries.models import ConversationTag, Enquiry, EnquiryEvent
from enquiries.selectors import tag_data

NAME_MAX = ConversationTag._meta.get_field("name").max_length or 60
# More than any sane tree; keeps a page and a picker small.
TAGS_MAX = 500
# Tags one enquiry may carry.
ENQUIRY_TAGS_MAX = 20

UNSET: Any = object()


# ---------------------------------------------------------------------------- reads


def conversation_tag_list() -> list[dict[str, Any]]:
    """Every tag, roots first by name, each root followed by its children by name, with
    how many enquiries carry it."""
    tags: list[Any] = list(
        ConversationTag.objects.select_related("parent").annotate(enquiries_count=Count("enquiries")).order_by("name")
    )
    roots = [t for t in tags if t.parent_id is None]
    children: dict[int, list[ConversationTag]] = {}
    for tag in tags:
        if tag.parent_id is not None:
            children.setdefault(tag.parent_id, []).append(tag)
    out: list[dict[str, Any]] = []
    for root in roots:
        for tag in [root, *children.get(root.pk, [])]:
            out.append({**tag_data(tag), "enquiries": tag.enquiries_count})  # type: ignore[attr-defined]
    return out


# ---------------------------------------------------------------------------- admin: the tree


def _require_admin(actor: Staff) -> None:
    if not actor.is_admin:
        raise NotAuthorized(_("Only admins can change conversation tags."))


def _clean_name(name: Any) -> str:
    if not isinstance(name, str):
        raise InvalidInput.field("name", _("The name must be text."))
    clean = text_check(" ".join(name.split()), field="name")
    if not clean:
        raise InvalidInput.field("name", _("Give the tag a name."))
    if len(clean) > NAME_MAX:
        raise InvalidInput.field("name", _("A tag's name is limited to %(n)s characters.") % {"n": NAME_MAX})
    if ">" in clean:
        raise InvalidInput.field("name", _('A tag\'s name cannot contain ">" (it separates a parent from its child).'))
    return clean


def _parent(parent_id: Any, *, tag: ConversationTag | None = None) -> ConversationTag | None:
    """The parent a tag may have: a root (no third level), not the tag itself."""
    if parent_id is None:
        return None
    if isinstance(parent_id, bool) or not isinstance(parent_id, int):
        raise InvalidInput.field("parent", _("Give the parent tag's id, or null for a top-level tag."))
    parent = ConversationTag.objects.filter(pk=parent_id).first()
    if parent is None:
        raise InvalidInput.field("parent", _("There is no such tag."))
    if parent.parent_id is not None:
        raise InvalidInput.field(
            "parent", _("%(name)s is already under another tag: tags have two levels only.") % {"name": parent.name}
        )
    if tag is not None:
        if parent.pk == tag.pk:
            raise InvalidInput.field("parent", _("A tag cannot be its own parent."))
        if tag.children.exists():
            raise InvalidInput.field(
                "parent", _("%(name)s has tags under it: it must stay a top-level tag.") % {"name": tag.name}
            )
    return parent


def _taken(name: str, parent: ConversationTag | None, *, exclude: int | None = None) -> bool:
    same = ConversationTag.objects.filter(name__iexact=name, parent=parent)
    if exclude is not None:
        same = same.exclude(pk=exclude)
    return same.exists()


def _duplicate(name: str, parent: ConversationTag | None) -> Conflict:
    where = (
        _("There is already a tag %(name)s under %(parent)s.") % {"name": name, "parent": parent.name}
        if parent
        else _("There is already a top-level tag %(name)s.") % {"name": name}
    )
    return Conflict(where, code="duplicate")


def conversation_tag_create(*, actor: Staff, name: Any, parent_id: Any = None) -> ConversationTag:
    """An admin adds a tag: at the top, or under a top-level tag. Names are unique (ignoring
    case) among a parent's children and among top-level tags (409 otherwise)."""
    _require_admin(actor)
    clean = _clean_name(name)
    with transaction.atomic():
        parent = _parent(parent_id)
        if ConversationTag.objects.count() >= TAGS_MAX:
            raise Conflict(_("There are already %(n)s conversation tags.") % {"n": TAGS_MAX}, code="too_many")
        if _taken(clean, parent):
            raise _duplicate(clean, parent)
        try:
            with transaction.atomic():
                return ConversationTag.objects.create(name=clean, parent=parent)
        except IntegrityError:  # the same name created at the same moment
            raise _duplicate(clean, parent) from None


def _lock_tag(tag_id: int) -> ConversationTag:
    tag = ConversationTag.objects.select_for_update(no_key=True).filter(pk=tag_id).first()
    if tag is None:
        raise NotFound(_("Conversation tag not found."))
    return tag


def conversation_tag_update(*, actor: Staff, tag_id: int, name: Any = UNSET, parent_id: Any = UNSET) -> ConversationTag:
    """An admin renames a tag and/or moves it (to the top, or under another top-level tag;
    a tag with children stays at the top). Enquiries keep it. Locks the tag row."""
    _require_admin(actor)
    clean = _clean_name(name) if name is not UNSET else None
    with transaction.atomic():
        tag = _lock_tag(tag_id)
        parent = tag.parent if parent_id is UNSET else _parent(parent_id, tag=tag)
        new_name = clean if clean is not None else tag.name
        if _taken(new_name, parent, exclude=tag.pk):
            raise _duplicate(new_name, parent)
        old_parent_id = tag.parent_id
        tag.name, tag.parent = new_name, parent
        try:
            with transaction.atomic():
                tag.save(update_fields=["name", "parent"])
        except IntegrityError:
            raise _duplicate(new_name, parent) from None
        if tag.parent_id != old_parent_id:
            hooks.tag_tree_changed([i for i in (old_parent_id, tag.parent_id) if i is not None])
    return tag


def conversation_tag_delete(*, actor: Staff, tag_id: int) -> dict[str, int]:
    """An admin deletes a tag with its children; the enquiries that had them lose them.
    -> {"tags": deleted tags, "enquiries": enquiries that lost a tag}."""
    _require_admin(actor)
    with transaction.atomic():
        tag = _lock_tag(tag_id)
        ids = [tag.pk, *tag.children.values_list("id", flat=True)]
        touched = (
            Enquiry.tags.through.objects.filter(conversationtag_id__in=ids).values("enquiry_id").distinct().count()
        )
        ConversationTag.objects.filter(pk__in=ids).delete()
        hooks.tag_tree_changed([tag.parent_id] if tag.parent_id is not None else [], deleted=True)
    return {"tags": len(ids), "enquiries": touched}


# ---------------------------------------------------------------------------- an enquiry's topic and tags


def _clean_tag_ids(tag_ids: Any) -> list[int]:
    if not isinstance(tag_ids, list | tuple):
        raise InvalidInput.field("tags", _("Give a list of conversation tag ids."))
    ids: list[int] = []
    for raw in tag_ids:
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise InvalidInput.field("tags", _("Give a list of conversation tag ids."))
        if raw not in ids:
            ids.append(raw)
    if len(ids) > ENQUIRY_TAGS_MAX:
        raise InvalidInput.field("tags", _("At most %(n)s tags per enquiry.") % {"n": ENQUIRY_TAGS_MAX})
    known = set(ConversationTag.objects.filter(pk__in=ids).values_list("id", flat=True))
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise InvalidInput.field(
            "tags", _("Unknown conversation tag: %(ids)s.") % {"ids": ", ".join(str(i) for i in unknown)}
        )
    return ids


def enquiry_classify(*, actor: Staff, enquiry_id: int, topic: Any = UNSET, tag_ids: Any = UNSET) -> Enquiry:
    """The owner of an enquiry, or an admin, sets its topic and/or its conversation tags
    (the whole list; empty clears). Everything is checked before anything is written; the
    change is logged (``topic_set``, ``tags_set``) and the room's staff and admins are told
    (``enquiry.updated``: their Inbox and panel load it again). Locks the enquiry row."""
    ids = _clean_tag_ids(tag_ids) if tag_ids is not UNSET else None
    with transaction.atomic():
        enquiry = Enquiry.objects.select_for_update(no_key=True).filter(pk=enquiry_id).first()
        if enquiry is None:
            raise NotFound(_("Enquiry not found."))
        if not actor.is_admin and enquiry.owner_id != actor.pk:
            raise NotAuthorized(_("Only the enquiry's owner or an admin can set its topic and tags."))
        if topic is not UNSET:
            before = enquiry.topic
            # Validates, saves and sends enquiry.updated ["topic"] on commit.
            enquiry = services.enquiry_topic_set(actor=actor, enquiry_id=enquiry_id, topic=topic)
            if enquiry.topic != before:
                _log(enquiry, EnquiryEvent.Type.TOPIC_SET, actor, {"cleared": not enquiry.topic})
        if ids is not None:
            # Deleted since they were checked (an admin's delete at the same moment): refused.
            if len(ConversationTag.objects.select_for_update(no_key=True).filter(pk__in=ids)) != len(ids):
                raise Conflict(_("A conversation tag was deleted meanwhile; choose again."), code="retry")
            had = set(enquiry.tags.values_list("id", flat=True))
            if had != set(ids):
                enquiry.tags.set(ids)
                _log(enquiry, EnquiryEvent.Type.TAGS_SET, actor, {"tags": ids})
                services.send_enquiry_updated(enquiry, ["tags"])
    return enquiry


def _log(enquiry: Enquiry, type_: str, actor: Staff, data: dict[str, Any]) -> None:
    enquiry_event_append(enquiry, type_, actor=actor, data=data)
