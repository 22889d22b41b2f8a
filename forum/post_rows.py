"""A thread page's posts as plain rows: one values() query, no model instances.

Twenty posts with their author, profile, level and editor were ~100 model instances
per page, a third of a member's thread page (docs/performance.md). A floor only reads
fields, so it gets these slotted objects with the same attribute names the templates
and forum.permissions.HiddenAccess use on a Post.
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.db.models.functions import Substr

from accounts.follows import with_follow_state
from accounts.models import Level, avatar_url

# (attribute, field path) in query order; `description` and `author_followed` are
# annotations (the opening post's meta description, the viewer's follow state).
_POST = (
    ("pk", "pk"), ("floor", "floor"), ("is_deleted", "is_deleted"),
    ("created_at", "created_at"), ("edited_at", "edited_at"), ("author_id", "author_id"),
    ("author_ip", "author_ip"), ("html", "html"), ("html_public", "html_public"),
    ("hidden_fragments", "hidden_fragments"), ("has_hidden", "has_hidden"),
    ("description", "description"),
)
_CARD = (
    ("username", "author__username"),
    ("custom_title", "author__profile__custom_title"),
    ("avatar", "author__profile__avatar"),
    ("level_name", "author__profile__level__name"),
    ("thread_count", "author__profile__thread_count"),
    ("post_count", "author__profile__post_count"),
    ("credits", "author__profile__credits"),
    ("following_count", "author__profile__following_count"),
    ("follower_count", "author__profile__follower_count"),
)
_EDITOR = "edited_by__username"
_POST_NAMES = [name for name, _path in _POST]
_POST_PATHS = [path for _name, path in _POST]
_CARD_NAMES = [name for name, _path in _CARD]
_CARD_PATHS = [path for _name, path in _CARD]
DESCRIPTION_CHARS = 201  # og:description shows 200 characters; one more tells it was cut


class Card:
    """The author card's fields: the author (as `post.author`) and their profile (as
    `post.author.profile`) in one object."""

    __slots__ = (*_CARD_NAMES, "pk")

    def get_username(self) -> str:
        return self.username

    @property
    def profile(self) -> Card:
        return self

    @property
    def level(self) -> Level | None:
        # Unsaved, for its display_name (read only when the floor is rendered).
        return Level(name=self.level_name) if self.level_name is not None else None

    @property
    def initial(self) -> str:
        return self.username[:1].upper() if self.username else "?"

    @property
    def avatar_120(self) -> str:
        return avatar_url(self.avatar, 120)

    def key(self) -> tuple:
        """Everything a card shows (rendered_floors keys on it)."""
        return tuple(getattr(self, name) for name in _CARD_NAMES)


class Editor:
    __slots__ = ("username",)

    def __init__(self, username: str):
        self.username = username

    def get_username(self) -> str:
        return self.username


class PostRow:
    __slots__ = (*_POST_NAMES, "author", "edited_by", "author_followed")

    @property
    def id(self) -> int:
        return self.pk

    @property
    def text_public(self) -> str:
        return self.description


def annotated(posts: QuerySet, viewer) -> QuerySet:
    """`posts` with what a row has beyond fields: the meta description and whether the
    viewer follows the author (accounts.follows)."""
    posts = posts.annotate(description=Substr("text_public", 1, DESCRIPTION_CHARS))
    return with_follow_state(posts, viewer)


def load(posts: QuerySet, viewer) -> list[PostRow]:
    """Evaluate `posts` (from annotated(), filtered, ordered, sliced) as PostRows."""
    following = viewer.is_authenticated
    fields = [*_POST_PATHS, *_CARD_PATHS, _EDITOR]
    if following:
        fields.append("author_followed")
    out = []
    n_post, n_card = len(_POST), len(_CARD)
    for values in posts.values_list(*fields):
        post = PostRow()
        for name, value in zip(_POST_NAMES, values[:n_post], strict=True):
            setattr(post, name, value)
        card = Card()
        for name, value in zip(_CARD_NAMES, values[n_post:n_post + n_card], strict=True):
            setattr(card, name, value)
        card.pk = post.author_id
        post.author = card
        editor = values[n_post + n_card]
        post.edited_by = Editor(editor) if editor is not None else None
        post.author_followed = bool(values[-1]) if following else False
        out.append(post)
    return out
