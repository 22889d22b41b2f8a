"""Shared fixtures: a board with its cast (guest, member, author, moderator, staff)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import transaction
from django.test import Client

from forum import page_cache
from tests.factories import make_board, make_moderator, make_staff, make_thread, make_user


@pytest.fixture(autouse=True)
def _fast_hashing_and_empty_cache(settings):
    """Cheap password hashing; no cache state (nav, views, tokens, rate limits) leaks."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    cache.clear()
    page_cache.LOCAL.clear()
    yield
    cache.clear()
    page_cache.LOCAL.clear()


@pytest.fixture(autouse=True)
def _page_cache_bumps_in_test_transactions(monkeypatch):
    """The guest page cache bumps its generations after a commit. A test case's own
    transaction never commits, yet its writes are final for the test's later requests:
    there the bump happens at once. Tests with real commits keep the production path."""
    from forum import page_cache

    after_commit = page_cache._after_commit

    def bump_now_in_a_test_case(bump):
        connection = transaction.get_connection()
        if connection.in_atomic_block and getattr(connection.atomic_blocks[0],
                                                  "_from_testcase", False):
            bump()
        else:
            after_commit(bump)

    monkeypatch.setattr(page_cache, "_after_commit", bump_now_in_a_test_case)


@pytest.fixture(autouse=True)
def _abuse_limits_off(settings):
    """Rate limits, the duplicate guard and new-member rules are off unless a test turns
    them on (the moderation tests do, with the `abuse_limits` fixture below)."""
    settings.FORUM_RATE_LIMITS = {}
    settings.FORUM_DUPLICATE_SECONDS = 0
    settings.FORUM_NEW_MEMBER_POSTS = 0
    settings.FORUM_NEW_MEMBER_HOURS = 0


@pytest.fixture
def abuse_limits(settings):
    """The production defaults of forum.settings, for tests of the limits themselves."""
    settings.FORUM_RATE_LIMITS = {
        "post": "6/m", "thread": "10/h", "report": "20/h",
        "admin_login": "5/15m", "admin_login_ip": "30/h",
    }
    settings.FORUM_DUPLICATE_SECONDS = 60
    settings.FORUM_NEW_MEMBER_POSTS = 3
    settings.FORUM_NEW_MEMBER_HOURS = 24
    return settings


@pytest.fixture
def board(db):
    return make_board("gongwen", name="公文写作")


@pytest.fixture
def member(db):
    return make_user("member")


@pytest.fixture
def author(db):
    return make_user("author")


@pytest.fixture
def moderator(board):
    """Moderates `board` through Board.moderators; not staff."""
    return make_moderator(board, "boardmod")


@pytest.fixture
def staff(db):
    return make_staff("staffer")


@pytest.fixture
def thread(board, author):
    return make_thread(board=board, author=author, title="如何写好会议纪要",
                       body="会议纪要的第一段。")


@pytest.fixture
def client_for():
    """client_for(user) -> a test client logged in as user (None: a guest)."""

    def make(user=None, **kwargs) -> Client:
        client = Client(**kwargs)
        if user is not None:
            client.force_login(user)
        return client

    return make
