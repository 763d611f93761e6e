"""The raw SQL of the posting hot path (rooms.services._hot_sql, and the owners' lock query
of enquiries.posting) is built from the models' metadata: its INSERT knows every column of
Message but the documented exclusions, and a message it stores reads back exactly as the
instance that was posted."""

from __future__ import annotations

from typing import Any

from django.db import connection

from rooms import services
from rooms.models import Message
from rooms.services import MESSAGE_INSERT_EXCLUDED, PostRequest, messages_post


def _inserted_columns() -> list[str]:
    sql = services._hot_sql_build().message_insert
    inside = sql[sql.index("(") + 1 : sql.rindex(")")]
    return [name.strip().strip('"') for name in inside.split(",")]


def test_the_insert_knows_every_message_column_but_the_documented_exclusions(db: Any) -> None:
    fields = Message._meta.concrete_fields
    # Leaving a column out is a decision (a post never sets it), made here and in services.
    assert MESSAGE_INSERT_EXCLUDED == {"id", "edited_at", "recalled_at"}
    wanted = [f.column for f in fields if f.name not in MESSAGE_INSERT_EXCLUDED]
    assert _inserted_columns() == wanted
    # What the INSERT leaves out must be fine to leave out: the key, or NULL when posted.
    for name in MESSAGE_INSERT_EXCLUDED:
        field = Message._meta.get_field(name)
        assert field.primary_key or field.null, f"{name} is NOT NULL: the INSERT must set it"  # type: ignore[union-attr]
    # And the table (as migrated) has no column the model, and so the INSERT, does not know.
    with connection.cursor() as cursor:
        table = {c.name for c in connection.introspection.get_table_description(cursor, Message._meta.db_table)}
    assert table == {f.column for f in fields}
    assert len(services._hot_sql_build().message_values) == len(wanted)


def test_a_posted_message_reads_back_as_it_was_posted(handled: Any) -> None:
    enquiry, owner = handled
    first = services.message_post(room_id=enquiry.room.pk, text="first", visitor=enquiry.visitor)[0]
    request = PostRequest(enquiry.room.pk, "hello @nobody", "rt1", staff=owner, reply_to_id=first.pk)
    [result] = messages_post([request])
    assert isinstance(result, tuple)
    posted, _created = result
    assert posted.reply_to_id == first.pk and posted.client_id == "rt1"
    stored = Message.objects.get(pk=posted.pk)
    for field in Message._meta.concrete_fields:
        assert getattr(stored, field.attname) == getattr(posted, field.attname), field.name


def test_the_lock_query_comes_from_the_owner_s_hook_and_names_its_columns_from_meta(
    handled: Any, django_assert_num_queries: Any
) -> None:
    """The rooms' pipeline locks an enquiry room's owner through the query enquiries
    registers (rooms.hooks): one statement, built from the models' metadata, loading what
    the posting rules read."""
    from channels_adapters.models import Channel
    from enquiries import posting
    from enquiries.models import Enquiry
    from rooms import hooks
    from rooms.models import Room

    assert hooks._locker is posting.rooms_lock
    sql = posting.lock_sql_build()
    for key, model in (("room", Room), ("enquiry", Enquiry), ("channel", Channel)):
        for name in posting.LOCKED_COLUMNS[key]:
            column = str(model._meta.get_field(name).column)  # type: ignore[union-attr]
            assert connection.ops.quote_name(column) in sql.before, (key, name)
    enquiry, _owner = handled
    expected = (enquiry.status, enquiry.visitor_id, enquiry.channel.kind)
    room_id = enquiry.room.pk
    with django_assert_num_queries(1):
        room = posting.rooms_lock([room_id])[room_id]
        assert room.enquiry is not None
        assert (room.enquiry.status, room.enquiry.visitor_id, room.enquiry.channel.kind) == expected
        assert room.enquiry.first_response_at is None  # loaded while unanswered


def test_a_loaded_instance_is_what_from_db_builds(handled: Any) -> None:
    """rooms.hooks.loaded_instance builds the locker's instances without Model.__init__ when
    nothing can tell (Django's __init__ and from_db, plain field attributes, no pre_init or
    post_init receiver): the same values, state and deferred fields as from_db, and a
    deferred field still loads on first use. With a post_init receiver it goes through
    from_db (the receiver sees the instance)."""
    from django.db.models.signals import post_init

    from enquiries.models import Enquiry
    from rooms import hooks

    enquiry, _owner = handled
    values = {
        "id": enquiry.pk,
        "status": enquiry.status,
        "visitor_id": enquiry.visitor_id,
        "channel_id": enquiry.channel_id,
    }
    assert hooks._plain_model(Enquiry)
    light = hooks.loaded_instance(Enquiry, values)
    names = [f.attname for f in Enquiry._meta.concrete_fields if f.attname in values]
    full = Enquiry.from_db(connection.alias, names, [values[n] for n in names])
    assert {k: v for k, v in vars(light).items() if k != "_state"} == {
        k: v for k, v in vars(full).items() if k != "_state"
    }
    assert (light._state.adding, light._state.db) == (full._state.adding, full._state.db) == (False, "default")
    assert light.get_deferred_fields() == full.get_deferred_fields()
    assert light.channel == enquiry.channel and light.status == enquiry.status
    assert light.created_at == enquiry.created_at  # deferred: loaded now
    seen: list[Any] = []

    def receiver(sender: Any, instance: Any, **kwargs: Any) -> None:
        seen.append(instance)

    post_init.connect(receiver, sender=Enquiry)
    try:
        again = hooks.loaded_instance(Enquiry, values)
    finally:
        post_init.disconnect(receiver, sender=Enquiry)
    assert seen == [again] and again.get_deferred_fields() == full.get_deferred_fields()


def test_a_new_message_is_what_init_builds(handled: Any) -> None:
    """rooms.services builds a posted message without Model.__init__ when nothing can tell:
    the same values, defaults, related instances cached and database as ``Message(**values)``;
    anything Django would check or refuse goes through ``__init__``."""
    import pytest
    from django.utils import timezone

    from rooms.models import Room

    enquiry, owner = handled
    room = Room.objects.get(pk=enquiry.room.pk)
    base = {"room": room, "kind": "text", "text": "hi", "author_staff": owner, "author_visitor": None}
    more: dict[str, Any] = {
        "client_id": "c1",
        "data": {},
        "forwarded_from": None,
        "reply_to": None,
        "created_at": timezone.now(),
    }
    for values in ({**base, **more}, base, {**base, "author_staff": None, "author_visitor": enquiry.visitor}):
        light, full = services._message_new(dict(values)), Message(**values)
        assert type(light) is Message
        assert {k: v for k, v in vars(light).items() if k != "_state"} == {
            k: v for k, v in vars(full).items() if k != "_state"
        }
        assert (light._state.adding, light._state.db) == (full._state.adding, full._state.db) == (True, "default")
        assert light._state.fields_cache == full._state.fields_cache
        assert "data" in values or light.data is not full.data  # a default made per instance
    # Django's own checks and errors.
    with pytest.raises(ValueError, match="must be a"):
        services._message_new({**base, "room": owner})
    with pytest.raises(TypeError, match="unexpected keyword"):
        services._message_new({**base, "nope": 1})
