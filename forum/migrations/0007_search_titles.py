"""Search: a title index of its own, and single-character queries from one doclist.

- `forum_search_title` (opening posts: title and filter tokens) so "title matches
  first" asks a table of threads instead of a table of posts.
- SQLite: `forum_search` again with `prefix='1'` (a one-character prefix index).
- Both: the main index is emptied (its shape changed); forum.search.signals rebuilds
  it right after `migrate`, as `manage.py reindex` would.
"""

from django.db import migrations

FTS = "tokenize = 'unicode61 remove_diacritics 0', columnsize = 0, prefix = '1'"

FORWARD = {
    "sqlite": [
        "DROP TABLE IF EXISTS forum_search",
        f"CREATE VIRTUAL TABLE forum_search USING fts5(title, body, meta, {FTS})",
        f"CREATE VIRTUAL TABLE IF NOT EXISTS forum_search_title USING fts5(title, meta, {FTS})",
    ],
    "postgresql": [
        "TRUNCATE forum_search",
        "CREATE TABLE IF NOT EXISTS forum_search_title ("
        "post_id bigint PRIMARY KEY, document tsvector NOT NULL)",
        "CREATE INDEX IF NOT EXISTS forum_search_title_document "
        "ON forum_search_title USING gin (document)",
    ],
}

BACKWARD = {
    "sqlite": [
        "DROP TABLE IF EXISTS forum_search_title",
        "DROP TABLE IF EXISTS forum_search",
        "CREATE VIRTUAL TABLE forum_search USING fts5("
        "title, body, meta, tokenize = 'unicode61 remove_diacritics 0', columnsize = 0)",
    ],
    "postgresql": [
        "DROP TABLE IF EXISTS forum_search_title",
        "TRUNCATE forum_search",
    ],
}


def forward(apps, schema_editor):
    for sql in FORWARD.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


def backward(apps, schema_editor):
    for sql in BACKWARD.get(schema_editor.connection.vendor, []):
        schema_editor.execute(sql)


class Migration(migrations.Migration):

    dependencies = [
        ('forum', '0006_board_moderator_group'),
    ]

    operations = [
        migrations.RunPython(forward, backward, elidable=False),
    ]
