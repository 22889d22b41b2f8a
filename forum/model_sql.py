"""INSERTs written from a model's metadata, for the few hot writes that run as one
hand-written statement (the reply on PostgreSQL, its credit, a post's notices).

Column names, order, types and the values' database form all come from the model, so
a new field or a renamed column needs no change here or in the statements.
"""

from __future__ import annotations

from django.db import connection as default_connection


def insert_fields(model) -> list:
    """The fields an INSERT writes: every concrete one but the primary key."""
    return [f for f in model._meta.concrete_fields if not f.primary_key]


def cast(field, connection=default_connection) -> str:
    """The field's column type for a cast (a bare parameter in a SELECT list is text);
    varchar without its length, whose cast would cut a value the insert must refuse."""
    kind = field.db_type(connection)
    return "varchar" if kind.startswith("varchar") else kind


def insert_parts(model, *, prefix: str, computed: dict[str, str] | None = None,
                 connection=default_connection) -> tuple[str, str]:
    """(column list, value list) of an INSERT … SELECT of one row: each value the
    named parameter `%(<prefix><attname>)s` cast to its column's type, or the SQL
    that `computed` gives for that attname."""
    computed = computed or {}
    quote = connection.ops.quote_name
    fields = insert_fields(model)
    columns = ", ".join(quote(f.column) for f in fields)
    values = ", ".join(computed.get(f.attname) or f"%({prefix}{f.attname})s::{cast(f, connection)}"
                       for f in fields)
    return columns, values


def db_value(obj, field, connection=default_connection):
    """The field's value of unsaved `obj` as the database takes it (defaults and
    auto_now applied, as Model.save would)."""
    return field.get_db_prep_save(field.pre_save(obj, True), connection)


def insert_params(obj, *, prefix: str, skip=(), connection=default_connection) -> dict:
    """The parameters insert_parts() names for `obj`, but the attnames in `skip`."""
    return {f"{prefix}{f.attname}": db_value(obj, f, connection)
            for f in insert_fields(type(obj)) if f.attname not in skip}
