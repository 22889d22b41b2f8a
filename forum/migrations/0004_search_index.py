"""The full-text search index (see forum/search/): raw SQL, one shape per database.

SQLite: an FTS5 virtual table (rowid = post id; title, body and meta token columns).
PostgreSQL: a table of tsvector documents keyed by post id, with a GIN index.
Other databases get no table (search then reports that it is unsupported).
Existing posts are indexed after migrating (forum.search.signals) or with
`manage.py reindex`.
"""

from django.db import migrations

CREATE = {
    "sqlite": [
        "CREATE VIRTUAL TABLE IF NOT EXISTS forum_search USING fts5("
        "title, body, meta, tokenize = 'unicode61 remove_diacritics 0', columnsize = 0)",
    ],
    "postgresql": [
        "CREATE TABLE IF NOT EXISTS forum_search ("
        "post_id bigint PRIMARY KEY, document tsvector NOT NULL)",
        "CREATE INDEX IF NOT EXISTS forum_search_document ON forum_search USING gin (document)",
    ],
}


def create_index(apps, schema_editor):
    for sql in CREATE.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor in CREATE:
        schema_editor.execute("DROP TABLE IF EXISTS forum_search")


class Migration(migrations.Migration):

    dependencies = [
        ('forum', '0003_post_attachments'),
    ]

    operations = [
        migrations.RunPython(create_index, drop_index, elidable=False),
    ]
