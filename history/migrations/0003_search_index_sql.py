"""What the search index needs beyond Django's models, per database (history.search_models):

- PostgreSQL: a generated ``vector tsvector`` column (``to_tsvector('simple', tokens)``: the
  tokens are already normalised, so no dictionary) with a GIN index on each index table; the
  foreign keys cascade in the database too (a raw DELETE of messages by retention or erasure
  takes the index rows with it).
- SQLite: an FTS5 table per index table (external content, kept by triggers), tokenizer
  ``ascii`` (every non-ASCII character is part of a token: our tokens are space-separated).
- Both: triggers that queue an enquiry or customer in ``history_searchstale`` when a field
  the index holds changes, so that enquiries and customers need not know about search.
"""

from django.db import migrations

INDEXES = (
    # table, primary key column, fts table
    ("history_messageindex", "message_id", "history_messagefts"),
    ("history_enquiryindex", "enquiry_id", "history_enquiryfts"),
    ("history_customerindex", "customer_id", "history_customerfts"),
)
CASCADES = (
    ("history_messageindex", "message_id", "rooms_message"),
    ("history_messageindex", "room_id", "rooms_room"),
    ("history_messageindex", "enquiry_id", "enquiries_enquiry"),
    ("history_enquiryindex", "enquiry_id", "enquiries_enquiry"),
    ("history_customerindex", "customer_id", "customers_customer"),
)

# Who may find a message is in its tokens ("ⓢ<staff id>", history.search_tokens): a staff
# member who joins a room, or becomes an enquiry's owner, gets their token added to the
# room's rows (and the enquiry's and customer's rows rebuilt through the stale queue).
PERMISSION = (
    (
        "participant_ins",
        "rooms_roomparticipant",
        "INSERT",
        None,
        [
            "UPDATE history_messageindex SET tokens = tokens || ' ' || 'ⓢ' || NEW.staff_id WHERE room_id = NEW.room_id",
            "INSERT INTO history_searchstale (kind, object_id) SELECT 'e', enquiry_id FROM rooms_room"
            " WHERE id = NEW.room_id AND enquiry_id IS NOT NULL",
            "INSERT INTO history_searchstale (kind, object_id) SELECT 'c', v.customer_id FROM rooms_room r"
            " JOIN enquiries_enquiry e ON e.id = r.enquiry_id JOIN enquiries_visitor v ON v.id = e.visitor_id"
            " WHERE r.id = NEW.room_id AND v.customer_id IS NOT NULL",
        ],
    ),
    (
        "owner_upd",
        "enquiries_enquiry",
        "UPDATE OF owner_id",
        "NEW.owner_id IS NOT NULL AND OLD.owner_id IS DISTINCT FROM NEW.owner_id",
        [
            "UPDATE history_messageindex SET tokens = tokens || ' ' || 'ⓢ' || NEW.owner_id WHERE enquiry_id = NEW.id",
            "INSERT INTO history_searchstale (kind, object_id) VALUES ('e', NEW.id)",
            "INSERT INTO history_searchstale (kind, object_id) SELECT 'c', customer_id FROM enquiries_visitor"
            " WHERE id = NEW.visitor_id AND customer_id IS NOT NULL",
        ],
    ),
)

# (name, table, event, condition (OLD/NEW), statements inserting into history_searchstale)
STALE = (
    ("enquiry_ins", "enquiries_enquiry", "INSERT", None, ["SELECT 'e', NEW.id"]),
    (
        "enquiry_upd",
        "enquiries_enquiry",
        "UPDATE OF topic, first_message",
        "OLD.topic IS DISTINCT FROM NEW.topic OR OLD.first_message IS DISTINCT FROM NEW.first_message",
        ["SELECT 'e', NEW.id"],
    ),
    ("note_ins", "enquiries_enquirynote", "INSERT", None, ["SELECT 'e', NEW.enquiry_id"]),
    (
        "note_upd",
        "enquiries_enquirynote",
        "UPDATE OF text",
        "OLD.text IS DISTINCT FROM NEW.text",
        ["SELECT 'e', NEW.enquiry_id"],
    ),
    ("visitor_ins", "enquiries_visitor", "INSERT", "NEW.customer_id IS NOT NULL", ["SELECT 'c', NEW.customer_id"]),
    (
        "visitor_upd",
        "enquiries_visitor",
        "UPDATE OF first_name, last_name, customer_id, channel_identity",
        "OLD.first_name IS DISTINCT FROM NEW.first_name OR OLD.last_name IS DISTINCT FROM NEW.last_name"
        " OR OLD.customer_id IS DISTINCT FROM NEW.customer_id"
        " OR OLD.channel_identity IS DISTINCT FROM NEW.channel_identity",
        [
            "SELECT 'e', id FROM enquiries_enquiry WHERE visitor_id = NEW.id",
            "SELECT 'c', NEW.customer_id WHERE NEW.customer_id IS NOT NULL",
            "SELECT 'c', OLD.customer_id WHERE OLD.customer_id IS NOT NULL",
        ],
    ),
    ("customer_ins", "customers_customer", "INSERT", None, ["SELECT 'c', NEW.id"]),
    (
        "customer_upd",
        "customers_customer",
        "UPDATE OF name, email, phone, identifier, merged_into_id, erased_at",
        "OLD.name IS DISTINCT FROM NEW.name OR OLD.email IS DISTINCT FROM NEW.email"
        " OR OLD.phone IS DISTINCT FROM NEW.phone OR OLD.identifier IS DISTINCT FROM NEW.identifier"
        " OR OLD.merged_into_id IS DISTINCT FROM NEW.merged_into_id OR OLD.erased_at IS DISTINCT FROM NEW.erased_at",
        ["SELECT 'c', NEW.id"],
    ),
)


def _postgresql(schema_editor) -> list[str]:
    sql = []
    for table, _pk, _fts in INDEXES:
        sql.append(
            f"ALTER TABLE {table} ADD COLUMN vector tsvector"
            " GENERATED ALWAYS AS (to_tsvector('simple'::regconfig, tokens)) STORED"
        )
        sql.append(f"CREATE INDEX {table}_vector ON {table} USING gin (vector)")
    with schema_editor.connection.cursor() as cursor:
        for table, column, target in CASCADES:
            cursor.execute(
                "SELECT c.conname FROM pg_constraint c JOIN pg_attribute a"
                " ON a.attrelid = c.conrelid AND a.attnum = ANY (c.conkey)"
                " WHERE c.conrelid = %s::regclass AND c.contype = 'f' AND a.attname = %s",
                [table, column],
            )
            for (name,) in cursor.fetchall():
                sql.append(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            sql.append(
                f"ALTER TABLE {table} ADD CONSTRAINT {table}_{column}_cascade FOREIGN KEY ({column})"
                f" REFERENCES {target} (id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED"
            )
    for name, table, event, condition, statements in PERMISSION:
        body = " ".join(f"{s};" for s in statements)
        sql.append(f"CREATE FUNCTION history_search_{name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {body} RETURN NULL; END $$")
        when = f" WHEN ({condition})" if condition else ""
        sql.append(
            f"CREATE TRIGGER history_search_{name} AFTER {event} ON {table} FOR EACH ROW{when}"
            f" EXECUTE FUNCTION history_search_{name}()"
        )
    for name, table, event, condition, selects in STALE:
        inserts = " ".join(f"INSERT INTO history_searchstale (kind, object_id) {s};" for s in selects)
        sql.append(
            f"CREATE FUNCTION history_stale_{name}() RETURNS trigger LANGUAGE plpgsql AS $$"
            f" BEGIN {inserts} RETURN NULL; END $$"
        )
        when = f" WHEN ({condition})" if condition else ""
        sql.append(
            f"CREATE TRIGGER history_stale_{name} AFTER {event} ON {table} FOR EACH ROW{when}"
            f" EXECUTE FUNCTION history_stale_{name}()"
        )
    return sql


def _sqlite() -> list[str]:
    sql = []
    for table, pk, fts in INDEXES:
        sql.append(
            f"CREATE VIRTUAL TABLE {fts} USING fts5(tokens, content='{table}', content_rowid='{pk}', tokenize='ascii')"
        )
        sql.append(
            f"CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN"
            f" INSERT INTO {fts} (rowid, tokens) VALUES (NEW.{pk}, NEW.tokens); END"
        )
        sql.append(
            f"CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN"
            f" INSERT INTO {fts} ({fts}, rowid, tokens) VALUES ('delete', OLD.{pk}, OLD.tokens); END"
        )
        sql.append(
            f"CREATE TRIGGER {fts}_au AFTER UPDATE ON {table} BEGIN"
            f" INSERT INTO {fts} ({fts}, rowid, tokens) VALUES ('delete', OLD.{pk}, OLD.tokens);"
            f" INSERT INTO {fts} (rowid, tokens) VALUES (NEW.{pk}, NEW.tokens); END"
        )
    for name, table, event, condition, statements in PERMISSION:
        body = " ".join(f"{s};" for s in statements)
        when = " WHEN " + condition.replace("IS DISTINCT FROM", "IS NOT") if condition else ""
        sql.append(f"CREATE TRIGGER history_search_{name} AFTER {event} ON {table} FOR EACH ROW{when} BEGIN {body} END")
    for name, table, event, condition, selects in STALE:
        inserts = " ".join(f"INSERT INTO history_searchstale (kind, object_id) {s};" for s in selects)
        when = " WHEN " + condition.replace("IS DISTINCT FROM", "IS NOT") if condition else ""
        sql.append(f"CREATE TRIGGER history_stale_{name} AFTER {event} ON {table} FOR EACH ROW{when} BEGIN {inserts} END")
    return sql


def forwards(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor == "postgresql":
        statements = _postgresql(schema_editor)
    elif vendor == "sqlite":
        statements = _sqlite()
    else:
        return
    for statement in statements:
        schema_editor.execute(statement, params=None)


def backwards(apps, schema_editor) -> None:
    vendor = schema_editor.connection.vendor
    for name, table, *_ in PERMISSION:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS history_search_{name}" + (f" ON {table}" if vendor == "postgresql" else ""), params=None)
        if vendor == "postgresql":
            schema_editor.execute(f"DROP FUNCTION IF EXISTS history_search_{name}()", params=None)
    for name, table, *_ in STALE:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS history_stale_{name}" + (f" ON {table}" if vendor == "postgresql" else ""), params=None)
        if vendor == "postgresql":
            schema_editor.execute(f"DROP FUNCTION IF EXISTS history_stale_{name}()", params=None)
    if vendor == "sqlite":
        for _table, _pk, fts in INDEXES:
            schema_editor.execute(f"DROP TABLE IF EXISTS {fts}", params=None)


class Migration(migrations.Migration):
    dependencies = [("history", "0002_search_index")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
