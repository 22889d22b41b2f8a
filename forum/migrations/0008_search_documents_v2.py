"""Search: index documents gain day tokens (exact date filters read only the index) and,
on PostgreSQL, one positionless token per CJK character (single-character queries).

The index is emptied so forum.search.signals rebuilds it right after `migrate` with
the new documents. PostgreSQL also keeps documents up to a page inline
(`toast_tuple_target`): searches that walk the newest rows then read no TOAST table,
about twice as fast, for the same space.
"""

from django.db import migrations

FORWARD = {
    "sqlite": [
        "DELETE FROM forum_search",
        "DELETE FROM forum_search_title",
    ],
    "postgresql": [
        "TRUNCATE forum_search, forum_search_title",
        "ALTER TABLE forum_search SET (toast_tuple_target = 8160)",
        "ALTER TABLE forum_search_title SET (toast_tuple_target = 8160)",
    ],
}

BACKWARD = {
    "sqlite": FORWARD["sqlite"],
    "postgresql": [
        "TRUNCATE forum_search, forum_search_title",
        "ALTER TABLE forum_search RESET (toast_tuple_target)",
        "ALTER TABLE forum_search_title RESET (toast_tuple_target)",
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
        ('forum', '0007_search_titles'),
    ]

    operations = [
        migrations.RunPython(forward, backward, elidable=False),
    ]
