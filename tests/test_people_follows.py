"""Follows: accounts.services.follow/unfollow, the counters, the views and the feed."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from accounts import services
from accounts.models import CreditAction, CreditLog, Follow, Profile
from forum.recount import recount_all
from tests.factories import fresh, make_reply, make_thread, make_user
from tests.people_helpers import balance, english, people_defaults  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("people_defaults")]


def counts(user) -> tuple[int, int]:
    p = Profile.objects.get(user=user)
    return p.following_count, p.follower_count


def nonzero(changes):
    return {k: v for k, v in changes.items() if v}


def test_follow_counts_once_however_often_it_is_repeated(member, author):
    assert services.follow(follower=member, followee=author) is True
    assert services.follow(follower=member, followee=author) is False
    assert Follow.objects.filter(follower=member, followee=author).count() == 1
    assert counts(member) == (1, 0)
    assert counts(author) == (0, 1)


def test_unfollow_is_idempotent_and_restores_the_counts(member, author):
    services.follow(follower=member, followee=author)
    assert services.unfollow(follower=member, followee=author) is True
    assert services.unfollow(follower=member, followee=author) is False
    assert counts(member) == (0, 0) and counts(author) == (0, 0)


def test_nobody_follows_themselves(member):
    with pytest.raises(ValidationError):
        services.follow(follower=member, followee=member)
    assert not Follow.objects.exists()
    assert counts(member) == (0, 0)


def test_the_database_refuses_a_self_follow_and_a_duplicate(member, author):
    with pytest.raises(IntegrityError), transaction.atomic():
        Follow.objects.create(follower=member, followee=member)
    Follow.objects.create(follower=member, followee=author)
    with pytest.raises(IntegrityError), transaction.atomic():
        Follow.objects.create(follower=member, followee=author)


def test_a_guest_cannot_follow(author):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        services.follow(follower=AnonymousUser(), followee=author)


def test_counters_equal_recount_after_follows_and_unfollows():
    people = [make_user() for _ in range(5)]
    for a in people:
        for b in people:
            if a != b and (a.pk + b.pk) % 3:
                services.follow(follower=a, followee=b)
    for a, b in zip(people, people[1:], strict=False):
        services.unfollow(follower=a, followee=b)
    assert nonzero(recount_all()) == {}


def test_recount_repairs_wrong_follow_counts(member, author):
    services.follow(follower=member, followee=author)
    Profile.objects.filter(user=author).update(follower_count=9)
    Profile.objects.filter(user=member).update(following_count=0)
    assert nonzero(recount_all()) == {"profile.follower_count": 1,
                                      "profile.following_count": 1}
    assert counts(author) == (0, 1) and counts(member) == (1, 0)


def test_being_followed_earns_credits_and_unfollowing_reverses_them(member, author):
    services.follow(follower=member, followee=author)
    assert balance(author) == 1
    services.unfollow(follower=member, followee=author)
    assert balance(author) == 0
    kinds = list(CreditLog.objects.filter(user=author, action=CreditAction.FOLLOWED)
                 .order_by("pk").values_list("kind", "amount"))
    assert kinds == [("award", 1), ("reversal", -1)]


# --- views ------------------------------------------------------------------------------

def test_follow_button_works_without_javascript(client_for, member, author):
    client = client_for(member)
    response = client.post(f"/u/{author.username}/follow/", {"next": "/t/1/"})
    assert response.status_code == 302 and response["Location"] == "/t/1/"
    assert counts(author) == (0, 1)
    client.post(f"/u/{author.username}/follow/", {"action": "unfollow"})
    assert counts(author) == (0, 0)


def test_follow_answers_json_for_the_in_place_button(client_for, member, author):
    response = client_for(member).post(
        f"/u/{author.username}/follow/", HTTP_X_REQUESTED_WITH="XMLHttpRequest")
    data = json.loads(response.content)
    assert data["following"] is True and data["followers"] == 1
    assert "1 粉丝" in data["summary"]


def test_follow_refuses_an_offsite_next(client_for, member, author):
    response = client_for(member).post(f"/u/{author.username}/follow/",
                                       {"next": "https://evil.example/"})
    assert response["Location"] == f"/u/{author.username}/"


def test_following_yourself_is_a_message_not_an_error_page(client_for, member):
    client = english(client_for(member))
    response = client.post(f"/u/{member.username}/follow/", follow=True)
    assert response.status_code == 200
    assert "You cannot follow yourself." in response.content.decode()


def test_a_guest_is_sent_to_log_in(client_for, author):
    response = client_for().post(f"/u/{author.username}/follow/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert counts(author) == (0, 0)


def test_follow_needs_post(client_for, member, author):
    assert client_for(member).get(f"/u/{author.username}/follow/").status_code == 405


def test_author_card_shows_the_follow_state_and_counts(client_for, member, thread, author):
    services.follow(follower=member, followee=author)
    page = client_for(member).get(thread.get_absolute_url()).content.decode()
    assert "0 关注 · 1 粉丝 · 1 帖子" in page
    assert 'name="action" value="unfollow"' in page
    assert f'href="/u/{author.username}/"' in page


def test_followers_and_following_lists_are_paginated(client_for, author):
    fans = [make_user(f"fan{i:02d}") for i in range(23)]
    for fan in fans:
        services.follow(follower=fan, followee=author)
    first = client_for().get(f"/u/{author.username}/followers/").content.decode()
    second = client_for().get(f"/u/{author.username}/followers/?page=2").content.decode()
    assert "fan22" in first and "fan00" not in first  # newest first, 20 a page
    assert "fan00" in second
    following = client_for().get(f"/u/{fans[0].username}/following/").content.decode()
    assert author.username in following


def test_feed_shows_threads_and_replies_of_followed_members_only(client_for, member, board):
    followed, stranger = make_user("followed"), make_user("stranger")
    services.follow(follower=member, followee=followed)
    mine = make_thread(board=board, author=followed, title="关注的人发的主题")
    make_reply(thread=mine, author=followed, body="关注的人回复")
    make_thread(board=board, author=stranger, title="陌生人的主题")
    page = client_for(member).get("/feed/").content.decode()
    assert "关注的人发的主题" in page and "关注的人回复" in page
    assert "陌生人的主题" not in page


def test_feed_needs_login(client_for):
    assert client_for().get("/feed/").status_code == 302


def test_unfollow_of_a_closed_account_still_works(member, author):
    services.follow(follower=member, followee=author)
    type(author).objects.filter(pk=author.pk).update(is_active=False)
    assert services.unfollow(follower=member, followee=fresh(author)) is True
    with pytest.raises(ValidationError):
        services.follow(follower=member, followee=fresh(author))
