"""Sessions read with the request's prefetch (forum/sessions.py, forum/request_cache.py).

Production's engine (with REDIS_URL): Django's cached_db, whose cache read is the
prefetch's MGET instead of a round trip of its own. A session must still work in
every way Django's does: missing from the cache, a POST, logging out, a hostile cookie.
"""

from __future__ import annotations

import warnings

import pytest
from django.conf import settings as django_settings
from django.contrib.sessions.backends import cached_db
from django.contrib.sessions.backends.cached_db import KEY_PREFIX
from django.core.cache import caches
from django.core.cache.backends.base import CacheKeyWarning
from django.test import Client

from forum import sessions
from tests.factories import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _engine(settings):
    settings.SESSION_ENGINE = "forum.sessions"


@pytest.fixture
def session_reads(monkeypatch) -> list[str]:
    """Sessions loaded by Django's own cached_db code (its cache GET, then the
    database), not from the prefetch."""
    reads, load = [], cached_db.SessionStore.load

    def spying(store):
        reads.append(store.session_key)
        return load(store)

    monkeypatch.setattr(cached_db.SessionStore, "load", spying)
    return reads


def _login(user) -> Client:
    client = Client()
    client.force_login(user)
    assert isinstance(client.session, sessions.SessionStore)
    return client


def test_a_members_page_reads_the_session_with_the_prefetch(board, session_reads):
    member = make_user("会话会员")
    client = _login(member)
    session_reads.clear()  # the login's own
    for _ in range(2):
        response = client.get(board.get_absolute_url())
        assert response.wsgi_request.user == member
    assert session_reads == []


def test_a_session_missing_from_the_cache_comes_from_the_database(board, session_reads):
    member = make_user("缓存丢了")
    client = _login(member)
    caches["default"].clear()  # a restarted Redis
    session_reads.clear()
    response = client.get(board.get_absolute_url())
    assert response.wsgi_request.user == member
    assert len(session_reads) == 1  # Django's own path: the cache, then the database
    session_reads.clear()
    assert client.get(board.get_absolute_url()).wsgi_request.user == member
    assert session_reads == []  # cached again by that read, and prefetched since


def test_writes_and_logging_out_work_as_djangos(board, thread):
    member = make_user("写与登出")
    client = _login(member)
    response = client.post(f"/t/{thread.pk}/reply/", {"body": "会话里的回复"})
    assert response.status_code in (200, 302)
    assert thread.posts.filter(body__contains="会话里的回复").exists()
    client.post("/accounts/logout/")
    assert not client.get(board.get_absolute_url()).wsgi_request.user.is_authenticated


@pytest.mark.parametrize("cookie", ["x" * 300, "a b c d e f g h", "\x01" * 32, "' or 1=1 --",
                                    "A" * 32, "0123456789abcdef0123456789abcde\u00e9"])
def test_a_hostile_cookie_is_a_guest_without_a_warning(board, cookie):
    client = Client()
    client.cookies[django_settings.SESSION_COOKIE_NAME] = cookie
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheKeyWarning)
        response = client.get(board.get_absolute_url())
    assert response.status_code == 200
    assert not response.wsgi_request.user.is_authenticated


def test_only_djangos_own_key_shape_is_looked_up_early():
    assert sessions.SessionStore.cache_key_for("a" * 32) == KEY_PREFIX + "a" * 32
    for odd in ("a" * 31, "a" * 33, "a" * 31 + " ", "a" * 31 + "é", ""):
        assert sessions.SessionStore.cache_key_for(odd) is None
