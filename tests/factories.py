"""Plain helpers that build forum objects through the same services the site uses.

A test states only what matters to it: `make_thread(board=b)` picks an author, a
title and a body; `make_reply(thread=t)` a replier. Users get an unusable password
unless one is asked for (hashing is the slow part of making a user).
"""

from __future__ import annotations

import itertools

from django.contrib.auth import get_user_model

from accounts.credits import adjust as adjust_credits
from forum import services
from forum.models import Board, Category, Post, Thread

_seq = itertools.count(1)


def _n() -> int:
    return next(_seq)


def make_user(username: str | None = None, *, password: str | None = None,
              staff: bool = False, superuser: bool = False, active: bool = True,
              credits: int | None = None, email: str | None = None):
    n = _n()
    username = username or f"user{n}"
    User = get_user_model()
    user = User.objects.create_user(
        username=username, email=email or f"u{n}@example.com", password=password,
        is_staff=staff or superuser, is_superuser=superuser, is_active=active,
    )
    if credits is not None:
        # Through the ledger, so that recount agrees (Profile.credits is its sum).
        adjust_credits(user_id=user.pk, amount=credits, note="test")
        user.profile.refresh_from_db()
    return user


def make_staff(username: str | None = None, **kwargs):
    return make_user(username, staff=True, **kwargs)


def make_category(name: str | None = None, *, position: int = 0) -> Category:
    return Category.objects.create(name=name or f"分类{_n()}", position=position)


def make_board(slug: str | None = None, *, name: str | None = None,
               category: Category | None = None, parent: Board | None = None,
               moderators=(), jammer: bool = False, description: str = "") -> Board:
    n = _n()
    board = Board.objects.create(
        category=category or (parent.category if parent else make_category()),
        parent=parent, name=name or f"版块{n}", slug=slug or f"board-{n}",
        description=description, jammer=jammer, position=n,
    )
    if moderators:
        board.moderators.add(*moderators)
    return board


def make_moderator(board: Board, username: str | None = None):
    """A member who moderates `board` (and only it)."""
    user = make_user(username)
    board.moderators.add(user)
    return user


def make_thread(*, board: Board | None = None, author=None, title: str | None = None,
                body: str | None = None, tags=(), created_at=None) -> Thread:
    n = _n()
    return services.create_thread(
        board=board or make_board(), author=author or make_user(),
        title=title or f"主题 {n}", body=body or f"主题正文 {n}", tags=tags,
        created_at=created_at,
    )


def make_reply(*, thread: Thread, author=None, body: str | None = None,
               created_at=None) -> Post:
    return services.create_reply(
        thread=thread, author=author or make_user(), body=body or f"回复 {_n()}",
        created_at=created_at,
    )


def make_secret_thread(*, board: Board, author, secret: str, replies: int = 4,
                       title: str = "含隐藏内容的主题") -> Thread:
    """A thread whose opening post hides `secret` until the reader replies, and some
    replies after it."""
    thread = make_thread(board=board, author=author, title=title,
                         body=f"公开的开头。\n\n[hide]回复可见 {secret}[/hide]\n\n公开的结尾。")
    for i in range(replies):
        make_reply(thread=thread, body=f"第 {i} 条回复")
    return thread


def make_replies(thread: Thread, count: int, *, author=None) -> list[Post]:
    return [make_reply(thread=thread, author=author) for _ in range(count)]


def opening_post(thread: Thread) -> Post:
    return Post.objects.get(thread=thread, floor=1)


def fresh(obj):
    """The same row, read again from the database."""
    return type(obj).objects.get(pk=obj.pk)
