"""What the index holds for one post: its public text and title as tokens, plus filters.

Only public fields are read: the thread title and `Post.text_public` (the plain text
of the post without its hidden blocks, built by forum.markup at write time). Never
`Post.body`, `Post.html` or `Post.hidden_fragments`.

Filters (board, author, opening post, year, month, day) are tokens of a separate
`meta` field, so the full-text engine intersects them with the query inside the
index: a search reads only the index, never the post table.
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


def day_token(day: datetime.date) -> str:
    return f"d{day:%Y%m%d}"


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
    meta += [year_token(local.year), month_token(local.year, local.month),
             day_token(local.date())]
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


# The earliest day a date filter without a start reaches back to.
EPOCH = datetime.date(1980, 1, 1)


def date_tokens(date_from: datetime.date | None, date_to: datetime.date | None) -> list[str]:
    """The fewest year, month and day tokens that cover [date_from, date_to] exactly.

    Whole years become one token, whole months one token, and the remaining days one
    token each (at most 30 at each end). [] means "any date".
    """
    if date_from is None and date_to is None:
        return []
    start = date_from or EPOCH
    end = date_to or timezone.localdate() + datetime.timedelta(days=1)
    out: list[str] = []
    day = start
    while day <= end:
        year_end = datetime.date(day.year, 12, 31)
        next_month = (datetime.date(day.year + 1, 1, 1) if day.month == 12
                      else datetime.date(day.year, day.month + 1, 1))
        if day.month == 1 and day.day == 1 and year_end <= end:
            out.append(year_token(day.year))
            day = year_end + datetime.timedelta(days=1)
        elif day.day == 1 and next_month - datetime.timedelta(days=1) <= end:
            out.append(month_token(day.year, day.month))
            day = next_month
        else:
            out.append(day_token(day))
            day += datetime.timedelta(days=1)
    return out
