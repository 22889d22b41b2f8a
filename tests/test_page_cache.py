"""The guest page cache (forum/page_cache.py): served only to guests, never stores a
member's page, and every write shows on the very next guest request."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.admin import helpers
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from accounts import services as people
from accounts.models import Level
from forum import page_cache, services, views_counter
from forum.models import Board, SiteSettings, Thread
from forum.moderation import services as mod_services
from tests.factories import (
    fresh,
    make_board,
    make_reply,
    make_staff,
    make_thread,
    make_user,
    opening_post,
)

pytestmark = pytest.mark.django_db

CANARY = "PAGECACHE-CANARY-7f3a"


def guest() -> Client:
    return Client()


def get(client, url, **kwargs):
    response = client.get(url, **kwargs)
    return response, response.content.decode()


def warm(url, client=None) -> str:
    """Fetch twice as a guest; the second answer must come from the cache."""
    client = client or guest()
    first = client.get(url)
    assert first.status_code == 200
    assert first["X-Cache"] == "miss"
    second = client.get(url)
    assert second["X-Cache"] == "hit"
    return second.content.decode()


def next_guest_page(url) -> str:
    response = guest().get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture(autouse=True)
def _site_settings_exist(db):
    """The first page view would create the settings row, which (rightly) bumps the
    site generation under that very request."""
    SiteSettings.load()


@pytest.fixture
def staff_client(db):
    client = Client()
    client.force_login(make_staff("pc-admin", superuser=True))
    return client


# --- what is served and stored ----------------------------------------------------------

@pytest.mark.parametrize("url_of", [
    lambda t: reverse("forum:index"),
    lambda t: t.board.get_absolute_url(),
    lambda t: t.get_absolute_url(),
])
def test_a_guest_page_is_a_miss_then_a_hit_with_the_same_page(thread, url_of):
    url = url_of(thread)
    first = guest().get(url)
    second = guest().get(url)
    assert (first["X-Cache"], second["X-Cache"]) == ("miss", "hit")
    views = re.compile(rb"<em data-views>\d+</em>")  # the one thing that moves: +1 view
    assert views.sub(b"", first.content) == views.sub(b"", second.content)
    assert second["Content-Type"] == first["Content-Type"]
    assert second["Content-Language"] == "zh-hans"
    assert int(second["Content-Length"]) == len(second.content)
    assert "Cookie" in second["Vary"]
    # Browsers must ask again each time: the page changes with every reply.
    assert second["Cache-Control"] == "max-age=0, must-revalidate"
    assert not second.cookies and not first.cookies


def test_a_hit_carries_the_security_headers_of_the_page_it_copies(thread):
    """The cache answers before CSP's middleware: the policy comes stored with the page."""
    url = thread.get_absolute_url()
    miss = guest().get(url)
    hit = guest().get(url)
    assert (miss["X-Cache"], hit["X-Cache"]) == ("miss", "hit")
    for header in ("Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy",
                   "X-Frame-Options", "Content-Type", "Content-Language"):
        assert hit.get(header) == miss.get(header) is not None, header
    assert "default-src 'self'" in hit["Content-Security-Policy"]


def test_guest_pages_carry_no_csrf_token_and_set_no_cookie(thread):
    for url in (reverse("forum:index"), thread.board.get_absolute_url(),
                thread.get_absolute_url()):
        response, page = get(guest(), url)
        assert "csrfmiddlewaretoken" not in page
        assert not response.cookies


def test_etag_revalidation_answers_304_until_the_page_changes(thread):
    url = thread.get_absolute_url()
    etag = guest().get(url)["ETag"]
    assert guest().get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    make_reply(thread=thread, body="新的回复")
    response = guest().get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200 and "新的回复" in response.content.decode()


def test_head_is_served_from_and_stored_into_the_cache(thread):
    url = thread.get_absolute_url()
    head = guest().head(url)
    assert head.status_code == 200 and head["X-Cache"] == "miss"
    assert guest().get(url)["X-Cache"] == "hit"
    assert guest().head(url)["X-Cache"] == "hit"


def test_member_requests_bypass_the_cache(client_for, thread, member):
    warm(thread.get_absolute_url())
    response, page = get(client_for(member), thread.get_absolute_url())
    assert "X-Cache" not in response
    assert member.get_username() in page  # their own chrome, not the guest page
    assert "private" in response["Cache-Control"]


def test_an_anonymous_session_cookie_bypasses_the_cache(thread, settings):
    warm(thread.get_absolute_url())
    client = guest()
    client.cookies[settings.SESSION_COOKIE_NAME] = "whatever"
    assert "X-Cache" not in client.get(thread.get_absolute_url())


def test_authorization_header_bypasses_the_cache(thread):
    warm(thread.get_absolute_url())
    response = guest().get(thread.get_absolute_url(), HTTP_AUTHORIZATION="Basic eDp5")
    assert "X-Cache" not in response


def test_a_page_rendered_for_a_replier_never_reaches_a_guest(client_for, board, author):
    """The hidden block opened for a member who replied must not get into the cache."""
    secret = make_thread(board=board, author=author, title="含隐藏内容",
                         body=f"公开部分\n\n[hide]{CANARY}[/hide]")
    replier = make_user("replier")
    make_reply(thread=secret, author=replier, body="我回复了")
    url = secret.get_absolute_url()
    member_page = client_for(replier).get(url).content.decode()
    assert CANARY in member_page  # the replier reads it…
    for _ in range(3):  # …and no guest ever does, first request or cached
        response, page = get(guest(), url)
        assert CANARY not in page
    assert response["X-Cache"] == "hit"
    assert CANARY not in guest().get(url, HTTP_COOKIE="django_language=en").content.decode()


def test_post_requests_are_never_cached(thread):
    response = guest().post(thread.get_absolute_url())
    assert "X-Cache" not in response


def test_other_pages_are_not_cached(thread):
    response = guest().get(reverse("forum:print", args=[thread.pk]))
    assert "X-Cache" not in response


# --- the key: language and query parameters ---------------------------------------------

def test_each_language_has_its_own_page(thread, settings):
    url = reverse("forum:index")
    zh = warm(url)
    english = Client()
    english.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    first = english.get(url)
    assert first["X-Cache"] == "miss" and first["Content-Language"] == "en"
    assert english.get(url)["X-Cache"] == "hit"
    assert 'lang="en"' in first.content.decode() and 'lang="zh-hans"' in zh
    junk = Client()
    junk.cookies[settings.LANGUAGE_COOKIE_NAME] = "xx"  # unknown: the default's page
    assert junk.get(url)["X-Cache"] == "hit"


def test_known_parameters_are_normalised_into_the_key(thread):
    make_reply(thread=thread)
    url = thread.get_absolute_url()
    warm(url)
    assert guest().get(url + "?page=1")["X-Cache"] == "hit"  # the default page
    assert guest().get(url + "?page=abc")["X-Cache"] == "hit"  # parsed as the view does
    assert guest().get(url + "?order=desc")["X-Cache"] == "miss"
    assert guest().get(url + "?order=desc")["X-Cache"] == "hit"
    author_url = f"{url}?author={thread.author_id}"
    assert guest().get(author_url)["X-Cache"] == "miss"
    assert guest().get(author_url)["X-Cache"] == "hit"


def test_unknown_or_repeated_parameters_bypass_the_cache(thread):
    url = thread.get_absolute_url()
    warm(url)
    assert "X-Cache" not in guest().get(url + "?utm_source=x")
    assert "X-Cache" not in guest().get(url + "?page=1&page=2")
    assert "X-Cache" not in guest().get(thread.board.get_absolute_url() + "?order=desc")


def test_an_odd_spelling_is_served_but_never_stored(thread):
    """?page=<junk> is echoed in the page's login link: it must not become every guest's
    page."""
    url = thread.get_absolute_url()
    junk = url + "?page=%3Cjunk%3E"
    assert guest().get(junk)["X-Cache"] == "miss"
    assert guest().get(junk)["X-Cache"] == "miss"
    page = warm(url)
    assert "junk" not in page
    assert guest().get(junk)["X-Cache"] == "hit"


# --- what is not stored (a marked test view that misbehaves) ----------------------------

@pytest.mark.urls("tests.page_cache_urls")
@pytest.mark.parametrize("path", [
    "/sets-cookie/", "/csrf-token/", "/not-found/", "/varies/", "/private/", "/redirect/",
])
def test_responses_that_are_not_for_everyone_are_never_stored(path):
    for _ in range(2):
        response = guest().get(path)
        assert response["X-Cache"] == "miss"


@pytest.mark.urls("tests.page_cache_urls")
def test_a_plain_marked_view_is_stored():
    assert guest().get("/plain/")["X-Cache"] == "miss"
    assert guest().get("/plain/")["X-Cache"] == "hit"


# --- invalidation: every write shows on the very next guest request ---------------------

def test_a_reply_through_the_site_shows_everywhere_at_once(client_for, thread, member):
    board_url, index_url, url = (thread.board.get_absolute_url(), reverse("forum:index"),
                                 thread.get_absolute_url())
    for u in (board_url, index_url, url):
        warm(u)
    response = client_for(member).post(reverse("forum:reply", args=[thread.pk]),
                                       {"body": "刚刚发表的回复", "token": "b" * 32})
    assert response.status_code == 302
    assert "刚刚发表的回复" in next_guest_page(url)
    assert member.get_username() in next_guest_page(board_url)  # last poster
    index = next_guest_page(index_url)
    assert re.search(r"\b2\b", index)  # two posts in the board now


@pytest.mark.parametrize("through", ["service", "site"])
def test_a_reply_in_a_sub_board_shows_on_its_parents_list_at_once(
        client_for, board, author, member, through):
    """A reply bumps the thread, its board, the parent board (its sub-board row) and the
    index in one round trip, with the slugs of the thread's board as the writer has it."""
    child = make_board("zi-ban", name="子版块", parent=board)
    thread = make_thread(board=child, author=author, title="子版块里的主题")
    pages = [thread.get_absolute_url(), child.get_absolute_url(), board.get_absolute_url(),
             reverse("forum:index")]
    for u in pages:
        warm(u)
    if through == "site":
        response = client_for(member).post(reverse("forum:reply", args=[thread.pk]),
                                           {"body": "子版块的回复", "token": "c" * 32})
        assert response.status_code == 302
    else:
        services.create_reply(thread=Thread.objects.get(pk=thread.pk), author=member,
                              body="子版块的回复")
    assert "子版块的回复" in next_guest_page(pages[0])
    for u in pages[1:]:  # the last poster, on the board, the parent's row and the index
        assert member.get_username() in next_guest_page(u), u


def test_new_thread_shows_in_board_and_index(board, author):
    warm(board.get_absolute_url())
    make_thread(board=board, author=author, title="新开的主题")
    assert "新开的主题" in next_guest_page(board.get_absolute_url())


def test_edit_shows_at_once(thread):
    url = thread.get_absolute_url()
    warm(url)
    warm(thread.board.get_absolute_url())
    post = opening_post(thread)
    services.edit_post(post=post, editor=thread.author, body="改过的正文", title="改过的标题")
    assert "改过的正文" in next_guest_page(url)
    assert "改过的标题" in next_guest_page(thread.board.get_absolute_url())


def test_delete_and_restore_show_at_once(thread, moderator):
    reply = make_reply(thread=thread, body="将被删除的回复")
    url = thread.get_absolute_url()
    assert "将被删除的回复" in warm(url)
    mod_services.delete_post(post=reply, actor=moderator, reason="违规")
    assert "将被删除的回复" not in next_guest_page(url)
    assert guest().get(url)["X-Cache"] == "hit"
    mod_services.restore_post(post=fresh(reply), actor=moderator)
    assert "将被删除的回复" in next_guest_page(url)


def test_deleting_a_thread_takes_it_off_the_guest_board_page(thread, moderator):
    assert thread.title in warm(thread.board.get_absolute_url())
    warm(thread.get_absolute_url())
    mod_services.delete_thread(thread=thread, actor=moderator)
    assert thread.title not in next_guest_page(thread.board.get_absolute_url())
    assert guest().get(thread.get_absolute_url()).status_code == 404


@pytest.mark.parametrize("action, data, shows", [
    ("close", {"closed": "on"}, "badge-closed"),
    ("digest", {"digest": "on"}, "badge-digest"),
    ("highlight", {"color": "purple"}, "hl-purple"),
])
def test_a_toolbar_action_shows_at_once(client_for, thread, moderator, action, data, shows):
    url = thread.get_absolute_url()
    assert shows not in warm(url)
    response = client_for(moderator).post(
        reverse("forum:mod_thread", args=[thread.pk, action]), {**data, "reason": "测试"})
    assert response.status_code == 302
    assert shows in next_guest_page(url)


def test_sticking_from_the_toolbar_reorders_the_board(client_for, board, moderator, author):
    older = make_thread(board=board, author=author, title="较早的主题")
    make_thread(board=board, author=author, title="较新的主题")
    page = warm(board.get_absolute_url())
    assert page.index("较新的主题") < page.index("较早的主题")
    client_for(moderator).post(reverse("forum:mod_thread", args=[older.pk, "stick"]),
                               {"level": "1", "reason": ""})
    page = next_guest_page(board.get_absolute_url())
    assert page.index("较早的主题") < page.index("较新的主题")


def test_an_admin_action_shows_at_once(client_for, thread, moderator):
    url = thread.get_absolute_url()
    assert "badge-closed" not in warm(url)
    client = client_for(moderator)
    response = client.post(reverse("admin:forum_thread_changelist"), {
        "action": "close", helpers.ACTION_CHECKBOX_NAME: [thread.pk], "reason": "",
    })
    assert response.status_code == 302
    assert fresh(thread).is_closed
    assert "badge-closed" in next_guest_page(url)


def test_an_admin_form_save_shows_at_once(staff_client, thread):
    """A board renamed in the admin: every page names it."""
    board = thread.board
    for u in (reverse("forum:index"), board.get_absolute_url(), thread.get_absolute_url()):
        warm(u)
    data = {
        "category": board.category_id, "name": "改名后的版块", "slug": board.slug,
        "description": "", "position": board.position,
    }
    change = reverse("admin:forum_board_change", args=[board.pk])
    form = staff_client.get(change).context["adminform"].form
    data = {**{k: v for k, v in form.initial.items() if v is not None and k != "moderators"},
            **data}
    response = staff_client.post(change, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Board.objects.get(pk=board.pk).name == "改名后的版块"
    for u in (reverse("forum:index"), board.get_absolute_url(), thread.get_absolute_url()):
        assert "改名后的版块" in next_guest_page(u)


def test_move_shows_in_both_boards(thread, staff):
    target = make_board("target-board", name="目标版块")
    old_url = thread.board.get_absolute_url()
    assert thread.title in warm(old_url)
    warm(target.get_absolute_url())
    mod_services.move_thread(thread=thread, actor=staff, board=target)
    assert thread.title in next_guest_page(target.get_absolute_url())
    assert "目标版块" in next_guest_page(thread.get_absolute_url())


def test_merge_and_split_show_at_once(board, author, staff):
    target = make_thread(board=board, author=author, title="合并目标")
    source = make_thread(board=board, author=author, title="被合并", body="来自被合并主题的正文")
    warm(target.get_absolute_url())
    mod_services.merge_threads(target=target, source=source, actor=staff)
    assert "来自被合并主题的正文" in next_guest_page(target.get_absolute_url())
    reply = make_reply(thread=target, body="将被拆分出去")
    assert "将被拆分出去" in warm(target.get_absolute_url())
    new = mod_services.split_thread(thread=target, post_ids=[reply.pk], actor=staff,
                                    title="拆分出的主题")
    assert "将被拆分出去" not in next_guest_page(target.get_absolute_url())
    assert "拆分出的主题" in next_guest_page(board.get_absolute_url())
    assert "将被拆分出去" in next_guest_page(new.get_absolute_url())


def test_tags_show_at_once(thread):
    url = thread.get_absolute_url()
    warm(url)
    services.set_tags(thread=thread, names=["新标签"])
    assert "新标签" in next_guest_page(url)


def test_a_new_avatar_shows_on_thread_pages(thread, author, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    url = thread.get_absolute_url()
    assert "<img src=" not in warm(url)
    image = io.BytesIO()
    Image.new("RGB", (64, 64), "red").save(image, format="PNG")
    people.save_profile(user=author, bio="", signature="",
                        avatar=SimpleUploadedFile("a.png", image.getvalue(), "image/png"))
    assert re.search(r'class="avatar"[^>]*>\s*<img src="[^"]+"', next_guest_page(url))


def test_level_changes_show_on_thread_pages(staff_client, thread):
    url = thread.get_absolute_url()
    warm(url)
    level = thread.author.profile.level
    assert level is not None
    Level.objects.filter(pk=level.pk).update(name="临时名")  # not through the admin: no hook
    level = Level.objects.get(pk=level.pk)
    level.name = "改名后的等级"
    level.save()
    assert "改名后的等级" in next_guest_page(url)


def test_credit_adjustment_shows_on_author_cards(thread):
    url = thread.get_absolute_url()
    warm(url)
    admin = make_staff("credit-admin", superuser=True)
    before = fresh(thread.author.profile).credits
    people.adjust_credits(user=thread.author, amount=4000, actor=admin, note="奖励")
    assert f"<dd>{before + 4000}</dd>" in next_guest_page(url)


def test_site_settings_show_at_once(thread):
    warm(reverse("forum:index"))
    warm(thread.get_absolute_url())
    site = SiteSettings.load()
    site.name = "新的站名"
    site.save()
    assert "新的站名" in next_guest_page(reverse("forum:index"))
    assert "新的站名" in next_guest_page(thread.get_absolute_url())


def test_a_new_member_shows_on_the_index(db):
    warm(reverse("forum:index"))
    make_user("brand-new-member")
    assert "brand-new-member" in next_guest_page(reverse("forum:index"))


@pytest.mark.django_db(transaction=True)
def test_with_real_commits_the_bump_follows_the_commit(board, author):
    """Outside a test case's transaction: bumped after the commit, and a rolled-back
    write bumps nothing."""
    from django.db import transaction

    SiteSettings.load()
    thread = make_thread(board=board, author=author, title="真正提交的主题")
    url = thread.get_absolute_url()
    warm(url)
    make_reply(thread=thread, body="提交后的回复")
    assert "提交后的回复" in next_guest_page(url)
    assert guest().get(url)["X-Cache"] == "hit"
    with pytest.raises(RuntimeError), transaction.atomic():
        make_reply(thread=thread, body="回滚的回复")
        raise RuntimeError
    response, page = get(guest(), url)
    assert response["X-Cache"] == "hit" and "回滚的回复" not in page


# --- view counts ------------------------------------------------------------------------

def shown_views(page: str) -> int:
    return int(re.search(r"<em data-views>(\d+)</em>", page).group(1))


def test_every_hit_counts_a_view_and_shows_the_exact_count(thread, settings):
    settings.FORUM_VIEW_FLUSH_EVERY = 4  # several flushes along the way
    url = thread.get_absolute_url()
    shown = []
    for _ in range(11):
        response, page = get(guest(), url)
        shown.append(shown_views(page))
    assert response["X-Cache"] == "hit"
    assert shown == list(range(1, 12))
    stored = Thread.objects.get(pk=thread.pk).view_count
    assert stored + views_counter.pending_views(thread.pk) == 11
    assert stored == 8  # two batches written to the database


def test_member_and_guest_views_add_up(client_for, thread, member):
    url = thread.get_absolute_url()
    warm(url)  # 2 views
    client_for(member).get(url)  # 3
    assert shown_views(next_guest_page(url)) == 4
    views_counter.flush_all()
    assert shown_views(next_guest_page(url)) == 5
    assert Thread.objects.get(pk=thread.pk).view_count == 4  # flushed before the 5th


def test_every_view_counts_once_through_hits_stale_entries_and_shells(
        client_for, thread, member, author, settings):
    """A page cache that finds the page counts the view in the same round trip; when the
    entry turns out stale and the page is rendered after all, the view is not counted
    a second time. Guests and members (whose pages come from shells), mixed."""
    settings.FORUM_VIEW_FLUSH_EVERY = 3
    url = thread.get_absolute_url()
    reader = client_for(member)
    views = 0
    for step in range(4):
        for _ in range(2):
            get(guest(), url)
            reader.get(url)
            views += 2
        services.create_reply(thread=Thread.objects.get(pk=thread.pk), author=author,
                              body=f"第 {step} 轮的回复")  # every entry goes stale
    shown = shown_views(next_guest_page(url))
    views += 1
    stored = Thread.objects.get(pk=thread.pk).view_count
    assert stored + views_counter.pending_views(thread.pk) == views
    assert shown == views


def test_a_made_up_thread_id_adds_no_view_counter(db):
    assert guest().get("/t/987654/").status_code == 404
    assert views_counter.pending_views(987654) == 0
    assert 987654 not in views_counter._pending_ids()


# --- each process's copy of the pages it served (page_cache.LOCAL) ----------------------

@pytest.fixture
def shared_entries_gone():
    """Drop the shared (Redis) copies of the pages this process keeps."""

    def drop() -> int:
        keys = list(page_cache.LOCAL._pages)
        cache.delete_many(keys)
        return len(keys)

    return drop


def test_a_kept_page_is_served_while_its_generations_hold(thread, author,
                                                          shared_entries_gone):
    url = thread.get_absolute_url()
    warm(url)
    assert shared_entries_gone() == 1
    response, page = get(guest(), url)
    assert response["X-Cache"] == "hit"  # from this process's copy
    services.create_reply(thread=Thread.objects.get(pk=thread.pk), author=author,
                          body="本地副本之后的回复")
    response, page = get(guest(), url)
    assert response["X-Cache"] == "miss" and "本地副本之后的回复" in page


def test_a_kept_page_lives_no_longer_than_the_shared_one(thread, settings, monkeypatch,
                                                        shared_entries_gone):
    url = thread.get_absolute_url()
    warm(url)
    shared_entries_gone()
    later = page_cache.time.time() + settings.FORUM_PAGE_CACHE_SECONDS
    monkeypatch.setattr(page_cache.time, "time", lambda: later)
    assert guest().get(url)["X-Cache"] == "miss"


def test_kept_pages_stay_within_their_byte_budget(board, author, settings,
                                                  shared_entries_gone):
    threads = [make_thread(board=board, author=author, title=f"主题 {i}") for i in range(4)]
    for t in threads:
        warm(t.get_absolute_url())
    one_page = max(map(page_cache.LOCAL._size, page_cache.LOCAL._pages.values()))
    page_cache.LOCAL.clear()
    settings.FORUM_PAGE_CACHE_LOCAL_BYTES = 2 * one_page + 10
    for t in threads:  # hits from the shared cache, each kept here too
        assert guest().get(t.get_absolute_url())["X-Cache"] == "hit"
    assert len(page_cache.LOCAL._pages) == 2
    assert page_cache.LOCAL._bytes <= settings.FORUM_PAGE_CACHE_LOCAL_BYTES
    settings.FORUM_PAGE_CACHE_LOCAL_BYTES = 0
    page_cache.LOCAL.clear()
    assert guest().get(threads[0].get_absolute_url())["X-Cache"] == "hit"
    assert shared_entries_gone() == 0


# --- the language switch for guests -----------------------------------------------------

def test_guests_switch_language_with_a_link(thread, settings):
    url = thread.get_absolute_url()
    page = warm(url)
    link = reverse("forum:language", args=["en"])
    assert re.search(f'href="{link}\\?next=(%2F|/)t(%2F|/){thread.pk}(%2F|/)"', page)
    response = guest().get(f"{link}?next={url}")
    assert response.status_code == 302 and response["Location"] == url
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "javascript:x"])
def test_language_switch_never_redirects_off_site(target):
    response = guest().get(reverse("forum:language", args=["en"]), {"next": target})
    assert response.status_code == 302 and response["Location"] == reverse("forum:index")


def test_language_switch_refuses_unknown_languages(db):
    assert guest().get(reverse("forum:language", args=["xx"])).status_code == 404


def test_members_keep_the_post_form(client_for, thread, member):
    page = client_for(member).get(thread.get_absolute_url()).content.decode()
    assert f'action="{reverse("set_language")}"' in page
