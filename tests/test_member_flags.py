"""The request's user is loaded with two flags (forum.permissions.with_member_flags):
moderates any board, has a ban in force. A member with neither costs no query for
either; the answers stay right for moderators and banned members, and a change made
between two requests shows on the second. The hidden-block reply check is made only
when a block on the page needs it."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from forum.models import Ban
from forum.moderation import bans
from tests.factories import make_user

pytestmark = pytest.mark.django_db

REASON = "多次发布广告"
MOD_TOOLS = 'class="mod-floor"'  # the per-floor moderation menu


def page_and_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return response.content.decode(), [q["sql"] for q in queries.captured_queries]


def separate_queries_on(table: str, sqls: list[str]) -> list[str]:
    """Queries that read `table` other than the one that loads the user."""
    return [s for s in sqls if f'"{table}"' in s and '"auth_user"."password"' not in s]


def test_plain_member_pays_no_query_for_moderation_or_bans(client_for, member, thread):
    page, sqls = page_and_queries(client_for(member), thread.get_absolute_url())
    assert separate_queries_on("forum_board_moderators", sqls) == []
    assert separate_queries_on("forum_ban", sqls) == []
    assert MOD_TOOLS not in page
    assert 'name="body"' in page  # the reply box: not banned


def test_moderator_still_sees_the_tools(client_for, moderator, thread):
    page, _ = page_and_queries(client_for(moderator), thread.get_absolute_url())
    assert MOD_TOOLS in page


def test_moderator_of_another_board_gets_no_tools_here(client_for, thread):
    from tests.factories import make_board, make_moderator

    other = make_moderator(make_board("other"), "othermod")
    page, _ = page_and_queries(client_for(other), thread.get_absolute_url())
    assert MOD_TOOLS not in page


def test_ban_given_between_requests_shows_on_the_next(client_for, member, staff, thread):
    client = client_for(member)
    page, _ = page_and_queries(client, thread.get_absolute_url())
    assert REASON not in page
    bans.ban_member(user=member, actor=staff, reason=REASON,
                    expires_at=timezone.now() + datetime.timedelta(days=3))
    page, _ = page_and_queries(client, thread.get_absolute_url())
    assert REASON in page
    assert 'name="body"' not in page
    response = client.post(f"/t/{thread.pk}/reply/", {"body": "我还想说一句"})
    assert response.status_code in (403, 404)  # refused either way; never written
    assert not thread.posts.filter(body="我还想说一句").exists()


def test_lifted_and_expired_bans_do_not_count(client_for, member, staff, thread):
    ban = bans.ban_member(user=member, actor=staff, reason=REASON,
                          expires_at=timezone.now() + datetime.timedelta(days=3))
    client = client_for(member)
    assert REASON in page_and_queries(client, thread.get_absolute_url())[0]
    Ban.objects.filter(pk=ban.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    page, _ = page_and_queries(client, thread.get_absolute_url())
    assert REASON not in page and 'name="body"' in page


def test_role_given_between_requests_shows_on_the_next(client_for, board, thread):
    member = make_user("soon-mod")
    client = client_for(member)
    assert MOD_TOOLS not in page_and_queries(client, thread.get_absolute_url())[0]
    board.moderators.add(member)
    assert MOD_TOOLS in page_and_queries(client, thread.get_absolute_url())[0]
    board.moderators.remove(member)
    assert MOD_TOOLS not in page_and_queries(client, thread.get_absolute_url())[0]


# --- the "has this member replied?" query of hidden blocks is made only when needed --------

def reply_checks(sqls: list[str]) -> list[str]:
    return [s for s in sqls if s.startswith('SELECT 1 AS "a" FROM "forum_post"')]


def test_no_reply_check_on_a_page_without_hidden_blocks(client_for, member, thread):
    _, sqls = page_and_queries(client_for(member), thread.get_absolute_url())
    assert reply_checks(sqls) == []


def test_hidden_block_still_opens_after_the_member_replies(client_for, member, thread):
    from tests.factories import make_reply

    secret = "只有回复者可见的内容"
    make_reply(thread=thread, body=f"开头\n\n[hide]{secret}[/hide]")
    client = client_for(member)
    page, sqls = page_and_queries(client, thread.get_absolute_url())
    assert secret not in page and len(reply_checks(sqls)) == 1
    make_reply(thread=thread, author=member, body="我来回复")
    page, _ = page_and_queries(client, thread.get_absolute_url())
    assert secret in page
