"""What the index holds for one post: its public text and title as tokens, plus filters.

Only public fields are read: the thread title and `Post.text_public` (the plain text
of the post without its hidden blocks, built by forum.markup at write time). Never
`Post.body`, `Post.html` or `Post.hidden_fragments`.

Filters (board, author, opening post, month, year) are tokens of a separate `meta`
field, so the full-text engine intersects them with the query instead of the
database checking candidate rows one by one.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone

from .tokenizer import tokens

OPENING = "op"


def board_token(board_id: int) -> str:
    return f"b{board_id}"


def author_token(author_id: int) -> str:
    return f"a{author_id}"


def year_token(year: int) -> str:
    return f"y{year}"


def month_token(year: int, month: int) -> str:
    return f"m{year}{month:02d}"


@dataclass(frozen=True)
class Document:
    post_id: int
    title: tuple[str, ...]
    body: tuple[str, ...]
    meta: tuple[str, ...]
    opening: bool = False  # an opening post: its title is also in the title index


def build(*, post_id: int, floor: int, author_id: int, created_at: datetime.datetime,
          text_public: str, title: str, board_id: int) -> Document:
    """The index document of one live post (the title belongs to the opening post)."""
    local = timezone.localtime(created_at)
    # The board token comes first: moving a thread rewrites it in place (see backends).
    meta = [board_token(board_id), author_token(author_id)]
    if floor == 1:
        meta.append(OPENING)
    meta += [year_token(local.year), month_token(local.year, local.month)]
    return Document(
        post_id=post_id,
        title=tuple(tokens(title)) if floor == 1 else (),
        body=tuple(tokens(text_public)),
        meta=tuple(meta),
        opening=floor == 1,
    )


# The columns `build` needs, for querysets that feed the index (values_list order).
FIELDS = ("pk", "floor", "author_id", "created_at", "text_public", "thread__title",
          "thread__board_id")


def from_row(row) -> Document:
    pk, floor, author_id, created_at, text_public, title, board_id = row
    return build(post_id=pk, floor=floor, author_id=author_id, created_at=created_at,
                 text_public=text_public, title=title, board_id=board_id)


def month_tokens(date_from: datetime.date | None, date_to: datetime.date | None) -> list[str]:
    """Year and month tokens covering [date_from, date_to] (local dates), or [] for "any".

    Whole years become one year token; the partial years at either end become their
    months. The exact day bounds are checked by the database afterwards; without a
    start date there is nothing worth narrowing.
    """
    if date_from is None:
        return []
    end = date_to or timezone.localdate() + datetime.timedelta(days=1)
    if date_from > end:
        return []
    out: list[str] = []
    year, month = date_from.year, date_from.month
    while (year, month) <= (end.year, end.month):
        if month == 1 and (year < end.year or end.month == 12):
            out.append(year_token(year))
            year += 1
            continue
        out.append(month_token(year, month))
        month += 1
        if month > 12:
            year, month = year + 1, 1
    return out
