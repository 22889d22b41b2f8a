"""forum/compiled_query.py: a queryset compiled once and run again with new values must
give what the queryset itself gives, for every value, on every connection."""

from __future__ import annotations

import datetime
import threading

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.backends import _member_query
from accounts.models import Level
from forum.compiled_query import CompiledQuery
from forum.models import Ban
from forum.permissions import with_member_flags
from tests.factories import make_moderator, make_user

pytestmark = pytest.mark.django_db(transaction=True)

FIELDS = ("pk", "username", "email", "is_staff", "is_active", "date_joined", "last_login")
PROFILE = ("credits", "post_count", "following_count", "unread_notification_count",
           "last_seen_at", "email_muted", "avatar", "custom_title", "level_id")


def _orm(pk: int, now):
    users = get_user_model().objects.select_related("profile", "profile__level")
    return with_member_flags(users, now=now).get(pk=pk)


def _same(compiled, orm) -> None:
    with CaptureQueriesContext(connection) as reads:
        compiled.profile.level  # noqa: B018 - loaded with the member, as select_related does
    assert reads.captured_queries == []
    for name in FIELDS:
        assert getattr(compiled, name) == getattr(orm, name), name
    for name in PROFILE:
        assert getattr(compiled.profile, name) == getattr(orm.profile, name), name
    assert compiled.profile.user is compiled  # both directions cached, as select_related does
    level = compiled.profile.level
    assert (level.name if level else None) == (orm.profile.level.name if orm.profile.level
                                               else None)
    assert bool(compiled.forum_moderates_any) == bool(orm.forum_moderates_any)
    assert bool(compiled.forum_banned) == bool(orm.forum_banned)


def test_the_member_row_is_the_orms_for_every_kind_of_member(board):
    level = Level.objects.create(name="秀才", min_credits=10)
    plain = make_user("普通会员")
    rich = make_user("有积分的")
    rich.profile.credits, rich.profile.level = 50, level
    rich.profile.email_muted = ["reply"]
    rich.profile.last_seen_at = timezone.now()
    rich.profile.save()
    moderator = make_moderator(board, "版主甲")
    banned = make_user("被禁言的")
    Ban.objects.create(user=banned, scope=Ban.Scope.POSTING, reason="灌水",
                       expires_at=timezone.now() + datetime.timedelta(days=1))
    now = timezone.now()
    for member in (plain, rich, moderator, banned):
        _same(_member_query().get(pk=member.pk, now=now), _orm(member.pk, now))
    assert _member_query().get(pk=banned.pk, now=now).forum_banned
    assert _member_query().get(pk=moderator.pk, now=now).forum_moderates_any
    assert _member_query().get(pk=10**9, now=now) is None


def test_each_call_uses_its_own_values_not_the_first(board):
    """The ban's expiry is compared with the `now` of each call."""
    banned = make_user("限时禁言")
    ends = timezone.now() + datetime.timedelta(hours=1)
    Ban.objects.create(user=banned, scope=Ban.Scope.POSTING, reason="灌水", expires_at=ends)
    query = _member_query()
    assert query.get(pk=banned.pk, now=ends - datetime.timedelta(minutes=1)).forum_banned
    assert not query.get(pk=banned.pk, now=ends + datetime.timedelta(minutes=1)).forum_banned
    other = make_user("另一个")
    assert query.get(pk=other.pk, now=timezone.now()).username == "另一个"


def test_another_threads_connection_compiles_its_own(board):
    member = make_user("线程里的")
    found = {}

    def load():
        try:
            found["user"] = _member_query().get(pk=member.pk, now=timezone.now())
        finally:
            connections.close_all()

    _member_query().get(pk=member.pk, now=timezone.now())
    worker = threading.Thread(target=load)
    worker.start()
    worker.join()
    assert found["user"].username == "线程里的"


def test_a_sentinel_missing_from_the_sql_is_refused():
    User = get_user_model()  # noqa: N806
    query = CompiledQuery("broken", User, lambda pk: User.objects.filter(pk=1), pk=-123_457)
    with pytest.raises(ImproperlyConfigured):
        query.get(pk=5)
