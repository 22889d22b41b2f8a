"""After `migrate` (and `flush`, which sends the same signal): keep the index sound.

Entries above the highest post id are left over from a flushed post table and
would otherwise match the next posts to get those ids; an empty index over a
database that has posts (the search migration just ran) is built on the spot.
"""

from __future__ import annotations

import sys

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models.signals import post_migrate
from django.dispatch import receiver

from .backends import TABLES


@receiver(post_migrate, dispatch_uid="forum.search.after_migrate")
def after_migrate(sender, app_config=None, using=DEFAULT_DB_ALIAS, verbosity=1, **kwargs):
    if app_config is None or app_config.name != "forum" or using != DEFAULT_DB_ALIAS:
        return
    tables = connections[using].introspection.table_names()
    if not all(table in tables for table in TABLES):
        return
    from . import index

    index.forget_flushed()
    if index.needs_rebuild():
        if verbosity:
            sys.stdout.write("  Building the search index (manage.py reindex)…\n")
        index.rebuild(fresh=True)
