"""收藏 (favorites) and 自定义头衔 (custom titles): services, the thread-page button with
and without JS, the owner-only profile tab, the guest page cache, the query cost, and
the custom title's form, admin and author card."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.validators import MaxLengthValidator
from django.db import IntegrityError, connection, transaction
from django.http import Http404
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from accounts.favorites import add_favorite, favorites_of, is_favorite, remove_favorite
from accounts.models import Favorite, Profile
from forum import services
from forum.moderation import bans
from tests.factories import fresh, make_reply, make_thread, make_user
from tests.people_helpers import english, people_defaults  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("people_defaults")]

JSON = {"HTTP_X_REQUESTED_WITH": "XMLHttpRequest", "HTTP_ACCEPT": "application/json"}


def fav_url(thread) -> str:
    return reverse("accounts:favorite", args=[thread.pk])


def tab_url(user) -> str:
    return reverse("accounts:favorites", args=[user.get_username()])


# --- the service ------------------------------------------------------------------------

def test_adding_twice_keeps_one_favorite(member, thread):
    assert add_favorite(user=member, thread=thread) is True
    assert add_favorite(user=member, thread=thread) is False
    assert Favorite.objects.filter(user=member, thread=thread).count() == 1
    assert is_favorite(member, thread)


def test_removing_is_idempotent(member, thread):
    add_favorite(user=member, thread=thread)
    assert remove_favorite(user=member, thread=thread) is True
    assert remove_favorite(user=member, thread=thread) is False
    assert not Favorite.objects.exists() and not is_favorite(member, thread)


def test_the_database_refuses_a_duplicate(member, thread):
    Favorite.objects.create(user=member, thread=thread)
    with pytest.raises(IntegrityError), transaction.atomic():
        Favorite.objects.create(user=member, thread=thread)


def test_a_guest_cannot_keep_favorites(thread):
    with pytest.raises(PermissionDenied):
        add_favorite(user=AnonymousUser(), thread=thread)
    with pytest.raises(PermissionDenied):
        remove_favorite(user=AnonymousUser(), thread=thread)
    assert not is_favorite(AnonymousUser(), thread)
    assert not Favorite.objects.exists()


def test_a_banned_member_cannot_add_but_may_tidy_their_list(member, thread, staff):
    add_favorite(user=member, thread=thread)
    other = make_thread(board=thread.board)
    bans.ban_member(user=member, actor=staff, reason="广告",
                    expires_at=timezone.now() + datetime.timedelta(days=1))
    member = fresh(member)
    with pytest.raises(PermissionDenied):
        add_favorite(user=member, thread=other)
    assert remove_favorite(user=member, thread=thread) is True


def test_a_deleted_thread_cannot_be_added_and_leaves_the_list(member, thread, staff):
    kept = make_thread(board=thread.board, title="留着的主题")
    add_favorite(user=member, thread=thread)
    add_favorite(user=member, thread=kept)
    services.delete_thread(thread=thread, actor=staff)
    assert [f.thread for f in favorites_of(member)] == [kept]
    with pytest.raises(Http404):
        add_favorite(user=member, thread=fresh(thread))
    services.restore_thread(thread=fresh(thread), actor=staff)
    assert {f.thread_id for f in favorites_of(member)} == {thread.pk, kept.pk}


def test_the_list_is_newest_first(member, board):
    first, second = make_thread(board=board), make_thread(board=board)
    add_favorite(user=member, thread=second, at=timezone.now() - datetime.timedelta(days=1))
    add_favorite(user=member, thread=first)
    assert [f.thread for f in favorites_of(member)] == [first, second]


# --- the button on the thread page ----------------------------------------------------------

def test_member_sees_the_button_and_its_state(client_for, member, thread):
    client = english(client_for(member))
    page = client.get(thread.get_absolute_url()).content.decode()
    assert f'action="{fav_url(thread)}"' in page and 'aria-pressed="false"' in page
    add_favorite(user=member, thread=thread)
    page = client.get(thread.get_absolute_url()).content.decode()
    assert "★ Favorited" in page and 'value="remove"' in page


def test_form_post_without_js_toggles_and_redirects_back(client_for, member, thread):
    client = english(client_for(member))
    back = thread.get_absolute_url() + "?page=1"
    response = client.post(fav_url(thread), {"next": back})
    assert response.status_code == 302 and response["Location"] == back
    assert is_favorite(member, thread)
    page = client.get(back).content.decode()
    assert "Added to your favorites." in page and "★ Favorited" in page
    response = client.post(fav_url(thread), {"action": "remove", "next": back}, follow=True)
    assert "Removed from your favorites." in response.content.decode()
    assert not is_favorite(member, thread)


def test_next_pointing_elsewhere_is_ignored(client_for, member, thread):
    response = client_for(member).post(fav_url(thread), {"next": "https://evil.example/"})
    assert response["Location"] == thread.get_absolute_url()


def test_in_place_with_js_answers_json(client_for, member, thread):
    client = client_for(member)
    response = client.post(fav_url(thread), {"action": "add"}, **JSON)
    assert response.status_code == 200
    assert response.json() == {"favorited": True, "error": None}
    response = client.post(fav_url(thread), {"action": "add"}, **JSON)  # a double click
    assert response.json()["favorited"] is True
    assert Favorite.objects.count() == 1
    response = client.post(fav_url(thread), {"action": "remove"}, **JSON)
    assert response.json() == {"favorited": False, "error": None}


def test_a_guest_is_sent_to_log_in_and_nothing_is_written(client, thread):
    response = client.post(fav_url(thread))
    assert response.status_code == 302 and reverse("account_login") in response["Location"]
    response = client.post(fav_url(thread), **JSON)
    assert response.status_code == 401 and response.json()["login"] == reverse("account_login")
    assert not Favorite.objects.exists()


def test_get_is_refused(client_for, member, thread):
    assert client_for(member).get(fav_url(thread)).status_code == 405
    assert not Favorite.objects.exists()


def test_csrf_token_is_required(member, thread):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    assert client.post(fav_url(thread)).status_code == 403
    assert client.post(fav_url(thread), **JSON).status_code == 403
    assert not Favorite.objects.exists()


def test_deleted_or_missing_thread_is_a_404(client_for, member, thread, staff):
    services.delete_thread(thread=thread, actor=staff)
    assert client_for(member).post(fav_url(thread)).status_code == 404
    assert client_for(member).post(reverse("accounts:favorite", args=[999999])).status_code == 404
    assert not Favorite.objects.exists()


def test_banned_member_gets_the_reason_not_a_500(client_for, member, thread, staff):
    bans.ban_member(user=member, actor=staff, reason="多次发布广告",
                    expires_at=timezone.now() + datetime.timedelta(days=1))
    response = client_for(fresh(member)).post(fav_url(thread), **JSON)
    assert response.status_code == 403 and response.json()["favorited"] is False
    assert "多次发布广告" in response.json()["error"]


def test_guest_page_has_one_login_link_and_stays_cacheable(thread):
    url = thread.get_absolute_url()
    Client().get(url)  # the first page of a fresh site settles its settings row
    first = Client().get(url)
    Client().get(url)
    second = Client().get(url)
    assert second["X-Cache"] == "hit"
    page = second.content.decode()
    assert "js-favorite" not in page and "csrfmiddlewaretoken" not in page
    assert f"{reverse('account_login')}?next=" in page and "btn-favorite" in page
    assert not first.cookies and not second.cookies


def test_a_members_favorite_never_reaches_a_guest(client_for, member, thread):
    add_favorite(user=member, thread=thread)
    assert "is-favorited" in client_for(member).get(thread.get_absolute_url()).content.decode()
    assert "is-favorited" not in Client().get(thread.get_absolute_url()).content.decode()


def _favorite_queries(client, url) -> tuple[int, int]:
    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    sql = [q["sql"] for q in ctx.captured_queries]
    return len(sql), sum("accounts_favorite" in q for q in sql)


def test_the_state_costs_one_query_per_page_not_per_floor(client_for, member, thread):
    """The floors' growth is tests/test_query_budget.py's; here: one lookup for a member,
    favorited or not, and none for a guest."""
    for _ in range(12):
        make_reply(thread=thread, author=make_user())
    member_client = client_for(member)
    member_client.get(thread.get_absolute_url())  # the first visit of the day writes more
    total_before, fav_before = _favorite_queries(member_client, thread.get_absolute_url())
    add_favorite(user=member, thread=thread)
    total_after, fav_after = _favorite_queries(member_client, thread.get_absolute_url())
    assert fav_before == fav_after == 1
    assert total_before == total_after
    assert _favorite_queries(Client(), thread.get_absolute_url())[1] == 0  # guests: none


# --- the profile tab ------------------------------------------------------------------------

def test_owner_sees_the_tab_and_the_list(client_for, member, thread):
    add_favorite(user=member, thread=thread)
    client = english(client_for(member))
    profile = client.get(reverse("accounts:profile", args=[member.get_username()]))
    assert f'href="{tab_url(member)}"' in profile.content.decode()
    page = client.get(tab_url(member))
    assert page.status_code == 200
    html = page.content.decode()
    assert thread.title in html and 'name="action" value="remove"' in html


def test_remove_from_the_tab(client_for, member, thread):
    add_favorite(user=member, thread=thread)
    response = client_for(member).post(fav_url(thread), {"action": "remove",
                                                          "next": tab_url(member)})
    assert response["Location"] == tab_url(member)
    assert not Favorite.objects.exists()


def test_nobody_else_sees_the_tab_or_the_list(client_for, member, author, staff, thread):
    add_favorite(user=member, thread=thread)
    for viewer in (None, author, staff):
        client = client_for(viewer)
        assert client.get(tab_url(member)).status_code == 403
        profile = client.get(reverse("accounts:profile", args=[member.get_username()]))
        assert tab_url(member) not in profile.content.decode()


def test_tab_query_count_does_not_grow_with_favorites(client_for, member, board,
                                                      django_assert_max_num_queries):
    client = client_for(member)
    add_favorite(user=member, thread=make_thread(board=board))
    cache.clear()
    with CaptureQueriesContext(connection) as small:
        client.get(tab_url(member))
    for _ in range(8):
        add_favorite(user=member, thread=make_thread(board=make_thread(board=board).board))
    cache.clear()
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(tab_url(member))


def test_admin_lists_favorites_read_only(client_for, member, thread):
    add_favorite(user=member, thread=thread)
    admin = client_for(make_user("root", superuser=True))
    page = admin.get(reverse("admin:accounts_favorite_changelist"))
    assert page.status_code == 200 and member.get_username() in page.content.decode()
    assert admin.get(reverse("admin:accounts_favorite_add")).status_code == 403


# --- custom titles --------------------------------------------------------------------------

def edit_url(user) -> str:
    return reverse("accounts:edit_profile", args=[user.get_username()])


def test_member_sets_a_custom_title_in_settings(client_for, member):
    client = client_for(member)
    response = client.post(edit_url(member), {"custom_title": "  行政部  笔杆子 ", "bio": "",
                                              "signature": ""})
    assert response.status_code == 302
    assert Profile.objects.get(user=member).custom_title == "行政部 笔杆子"
    assert 'value="行政部 笔杆子"' in client.get(edit_url(member)).content.decode()


def test_too_long_title_is_refused_translated_and_the_input_kept(client_for, member):
    client = client_for(member)
    client.cookies["django_language"] = "zh-hans"
    long_title = "头" * 31
    response = client.post(edit_url(member), {"custom_title": long_title, "bio": "简介",
                                              "signature": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert f'value="{long_title}"' in html and "简介" in html
    with translation.override("zh-hans"):
        expected = MaxLengthValidator(30).message % {"limit_value": 30, "show_value": 31}
    assert "确保" in expected
    assert escape(expected) in html  # Django's own max_length message, in Chinese
    assert Profile.objects.get(user=member).custom_title == ""


def test_the_service_refuses_a_long_title_whoever_calls_it(member):
    from django.core.exceptions import ValidationError

    from accounts.services import save_profile

    with pytest.raises(ValidationError):
        save_profile(user=member, bio="", signature="", custom_title="x" * 31)
    assert Profile.objects.get(user=member).custom_title == ""
    save_profile(user=member, bio="b", signature="")  # None: the title stays as it was
    save_profile(user=member, bio="", signature="", custom_title="老秘")
    save_profile(user=member, bio="", signature="")
    assert Profile.objects.get(user=member).custom_title == "老秘"


def test_title_is_escaped_on_the_author_card_next_to_the_level(client_for, author, thread):
    from accounts.services import save_profile

    save_profile(user=author, bio="", signature="", custom_title='<script>alert(1)</script>')
    page = Client().get(thread.get_absolute_url()).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert ('<div class="author-title">&lt;script&gt;alert(1)&lt;/script&gt;</div>' in page)
    assert 'class="author-level"' in page  # the level stays


def test_a_new_title_shows_to_guests_at_once(client_for, author, thread):
    from accounts.services import save_profile

    url = thread.get_absolute_url()
    for _ in range(3):
        Client().get(url)
    assert Client().get(url)["X-Cache"] == "hit"
    save_profile(user=author, bio="", signature="", custom_title="笔杆子")
    assert "笔杆子" in Client().get(url).content.decode()


def test_staff_edit_the_title_in_the_admin(client_for, member):
    admin = client_for(make_user("root", superuser=True))
    profile = Profile.objects.get(user=member)
    url = reverse("admin:accounts_profile_change", args=[profile.pk])
    response = admin.post(url, {"custom_title": "版主", "bio": "", "signature": ""})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Profile.objects.get(user=member).custom_title == "版主"
