"""What a member's thread page needs to know about the member, in one query.

A page served from a members' shell (forum/member_pages.py) asks three small things
of the database: which of the page's authors the member follows, whether the thread is
in their favourites, and (for a hidden block that opens on replying) whether they
have a live reply in the thread. As three ORM queries that was a third of such a
page's CPU, nearly all of it building and compiling the queries; so they are one
UNION ALL statement, written once per process from the models' metadata.

The same facts are defined through the ORM elsewhere (accounts.follows,
accounts.favorites.is_favorite, forum.permissions' live-reply check):
tests/test_member_pages.py checks that both spellings agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from django.db import connection

FOLLOWED, FAVORITE, REPLIED = 1, 2, 3


@dataclass(frozen=True)
class Facts:
    followed: frozenset[int]  # the authors asked about whom the member follows
    favorited: bool
    replied: bool | None  # None: not asked


@cache
def _parts(vendor: str) -> dict[str, str]:
    from accounts.models import Favorite, Follow

    from .models import Post

    def table(model) -> str:
        return connection.ops.quote_name(model._meta.db_table)

    def column(model, name: str) -> str:
        return connection.ops.quote_name(model._meta.get_field(name).column)

    follow, favorite, post = table(Follow), table(Favorite), table(Post)
    # Names from the models' metadata, every value a parameter: no input reaches the SQL.
    return {
        "followed": (f"SELECT {FOLLOWED}, {column(Follow, 'followee')} FROM {follow}"  # noqa: S608
                     f" WHERE {column(Follow, 'follower')} = %s"
                     f" AND {column(Follow, 'followee')} IN ({{marks}})"),
        "favorite": (f"SELECT {FAVORITE}, 1 FROM {favorite}"  # noqa: S608
                     f" WHERE {column(Favorite, 'user')} = %s"
                     f" AND {column(Favorite, 'thread')} = %s"),
        # permissions._has_live_reply: a reply (not the opening post) still standing.
        "replied": (f"SELECT {REPLIED}, 1 FROM (SELECT 1 FROM {post}"  # noqa: S608
                    f" WHERE {column(Post, 'thread')} = %s AND {column(Post, 'author')} = %s"
                    f" AND {column(Post, 'is_deleted')} = %s AND {column(Post, 'floor')} > 1"
                    f" LIMIT 1) live"),
    }


def facts(user_id: int, thread_id: int, *, authors=(), replied: bool = False) -> Facts:
    """Favourite always; follows among `authors` (none: not asked); the live reply if
    `replied`."""
    parts = _parts(connection.vendor)
    selects = [parts["favorite"]]
    params: list = [user_id, thread_id]
    authors = sorted(set(authors))
    if authors:
        selects.append(parts["followed"].format(marks=", ".join(["%s"] * len(authors))))
        params += [user_id, *authors]
    if replied:
        selects.append(parts["replied"])
        params += [thread_id, user_id, False]
    with connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(selects), params)
        rows = cursor.fetchall()
    return Facts(
        followed=frozenset(value for kind, value in rows if kind == FOLLOWED),
        favorited=any(kind == FAVORITE for kind, _value in rows),
        replied=any(kind == REPLIED for kind, _value in rows) if replied else None,
    )
