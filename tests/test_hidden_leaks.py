"""Hidden text reaches nobody who may not read it, on any channel (docs/hidden-content.md).

Every test plants a unique canary inside a hidden block and looks for it in the
whole response (body and headers) of each channel, for each kind of viewer.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from forum import markup, services
from forum.models import Post, SiteSettings
from forum.permissions import can_see_hidden
from tests.factories import make_reply, make_thread, make_user

pytestmark = pytest.mark.django_db

CANARY = "CANARY7Q9ZX"
CREDIT_CANARY = "CREDITCANARY55"


def _dump(response) -> str:
    """Everything a response carries: headers and body."""
    headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
    return headers + "\n" + response.content.decode("utf-8", "replace")


@pytest.fixture
def secret_thread(board, author):
    thread = make_thread(
        board=board, author=author, title="含隐藏内容的主题",
        body=f"公开的开头。\n\n[hide]回复可见 {CANARY} 的内容[/hide]\n\n"
             f"[hide=50]积分可见 {CREDIT_CANARY}[/hide]\n\n公开的结尾。",
    )
    for i in range(25):  # two pages of floors
        make_reply(thread=thread, body=f"第 {i} 条回复")
    return thread


@pytest.fixture
def viewers(member, author, moderator, staff):
    replier = make_user("replier", credits=10)
    rich = make_user("rich", credits=100)
    return {"guest": None, "member": member, "replier": replier, "rich": rich,
            "author": author, "moderator": moderator, "staff": staff}


def _channels(thread) -> list[str]:
    opening = Post.objects.get(thread=thread, floor=1)
    return [
        f"/t/{thread.pk}/",
        f"/t/{thread.pk}/?order=desc",
        f"/t/{thread.pk}/?order=desc&page=2",
        f"/t/{thread.pk}/?author={thread.author_id}",
        f"/t/{thread.pk}/?page=1&mode=read",
        f"/t/{thread.pk}/print/",
        f"/t/{thread.pk}/print/?page=1",
        f"/b/{thread.board.slug}/",
        "/",
        f"/p/{opening.pk}/quote/",
        f"/p/{opening.pk}/edit/",
    ]


def _reply_as(thread, user):
    services.create_reply(thread=thread, author=user, body="谢谢分享，学习了")


@pytest.mark.parametrize("who", ["guest", "member", "rich"])
def test_reply_hidden_text_absent_for_those_who_may_not_read(
        client_for, secret_thread, viewers, who):
    client = client_for(viewers[who])
    for url in _channels(secret_thread):
        response = client.get(url, follow=True)
        assert response.status_code in (200, 403, 404), url
        assert CANARY not in _dump(response), (who, url)


@pytest.mark.parametrize("who", ["guest", "member", "replier"])
def test_credit_hidden_text_absent_below_the_credits(client_for, secret_thread, viewers, who):
    if who == "replier":
        _reply_as(secret_thread, viewers["replier"])
    client = client_for(viewers[who])
    for url in _channels(secret_thread):
        assert CREDIT_CANARY not in _dump(client.get(url, follow=True)), (who, url)


@pytest.mark.parametrize("who", ["author", "moderator", "staff"])
def test_author_moderator_and_staff_always_read_hidden_text(client_for, secret_thread,
                                                            viewers, who):
    html = _dump(client_for(viewers[who]).get(f"/t/{secret_thread.pk}/"))
    assert CANARY in html and CREDIT_CANARY in html


def test_replier_reads_reply_block_but_not_credit_block(client_for, secret_thread, viewers):
    _reply_as(secret_thread, viewers["replier"])
    client = client_for(viewers["replier"])
    for url in (f"/t/{secret_thread.pk}/", f"/t/{secret_thread.pk}/print/",
                f"/t/{secret_thread.pk}/?mode=read"):
        html = _dump(client.get(url))
        assert CANARY in html, url
        assert CREDIT_CANARY not in html, url


def test_member_with_credits_reads_credit_block(client_for, secret_thread, viewers):
    html = _dump(client_for(viewers["rich"]).get(f"/t/{secret_thread.pk}/"))
    assert CREDIT_CANARY in html
    assert CANARY not in html  # has not replied


def test_deleted_reply_hides_content_again(client_for, secret_thread, viewers):
    replier = viewers["replier"]
    services.create_reply(thread=secret_thread, author=replier, body="回复一下")
    client = client_for(replier)
    assert CANARY in _dump(client.get(f"/t/{secret_thread.pk}/"))
    reply = Post.objects.filter(thread=secret_thread, author=replier).get()
    services.delete_post(post=reply, actor=viewers["staff"])
    assert CANARY not in _dump(client.get(f"/t/{secret_thread.pk}/"))


def test_reply_through_the_site_shows_content_at_once(client_for, secret_thread, viewers):
    client = client_for(viewers["member"])
    assert CANARY not in _dump(client.get(f"/t/{secret_thread.pk}/"))
    response = client.post(f"/t/{secret_thread.pk}/reply/", {"body": "学习了"}, follow=True)
    assert response.status_code == 200
    assert "学习了" in response.content.decode()  # landed on the new reply
    assert CANARY in _dump(client.get(f"/t/{secret_thread.pk}/"))


def test_quote_never_carries_hidden_text_whoever_quotes(client_for, secret_thread, viewers):
    opening = Post.objects.get(thread=secret_thread, floor=1)
    for who in ("author", "moderator", "staff", "member"):
        html = _dump(client_for(viewers[who]).get(f"/p/{opening.pk}/quote/"))
        assert "公开的开头" in html, who
        assert CANARY not in html and CREDIT_CANARY not in html, who


def test_edit_form_reaches_only_author_and_moderators(client_for, secret_thread, viewers):
    opening = Post.objects.get(thread=secret_thread, floor=1)
    url = f"/p/{opening.pk}/edit/"
    for who in ("member", "rich"):
        response = client_for(viewers[who]).get(url)
        assert response.status_code == 403 and CANARY not in _dump(response), who
    assert client_for(None).get(url).status_code == 302  # to the login page
    for who in ("author", "moderator", "staff"):
        assert CANARY in _dump(client_for(viewers[who]).get(url)), who


def test_meta_description_comes_from_public_text(client_for, secret_thread, viewers):
    html = client_for(viewers["author"]).get(f"/t/{secret_thread.pk}/").content.decode()
    head = html.split("</head>")[0]
    assert "公开的开头" in head
    assert CANARY not in head and CREDIT_CANARY not in head


def test_public_text_and_excerpt_never_carry_hidden_text(secret_thread):
    """Feeds, search, notifications and profile excerpts are built from these fields."""
    opening = Post.objects.get(thread=secret_thread, floor=1)
    for field in (opening.text_public, opening.html_public, markup.excerpt(opening.text_public),
                  markup.public_source(opening.body)):
        assert CANARY not in field and CREDIT_CANARY not in field


def test_admin_is_closed_to_non_staff(client_for, secret_thread, viewers):
    for who in ("guest", "member", "rich"):
        response = client_for(viewers[who]).get("/admin/forum/post/", follow=True)
        assert CANARY not in _dump(response), who
        assert "/admin/login/" in response.redirect_chain[-1][0], who


def test_error_pages_carry_no_hidden_text(client_for, secret_thread, viewers):
    client = client_for(viewers["member"])
    for url in ("/t/999999/", "/p/999999/", f"/t/{secret_thread.pk}/nothing/"):
        assert CANARY not in _dump(client.get(url))


def test_reply_preview_renders_only_the_submitted_text(client_for, secret_thread, viewers):
    response = client_for(viewers["member"]).post(
        f"/t/{secret_thread.pk}/reply/", {"body": "[hide]我的隐藏[/hide]", "preview": "1"})
    html = _dump(response)
    assert "我的隐藏" in html  # the writer previews their own block, marked as hidden
    assert 'class="hidden-content"' in html
    assert CANARY not in html


def test_pages_for_members_are_never_shared_by_caches(client_for, secret_thread, viewers):
    _reply_as(secret_thread, viewers["replier"])
    response = client_for(viewers["replier"]).get(f"/t/{secret_thread.pk}/")
    assert CANARY in _dump(response)
    assert "Cookie" in response.headers.get("Vary", "")
    assert "private" in response.headers.get("Cache-Control", "")


def test_time_limited_block_opens_after_its_days(client_for, board, author):
    old = timezone.now() - timedelta(days=10)
    thread = make_thread(board=board, author=author, created_at=old,
                         body=f"开头\n\n[hide=d7]{CANARY}[/hide]\n\n[hide=d30]{CREDIT_CANARY}[/hide]")
    html = _dump(client_for(None).get(f"/t/{thread.pk}/"))
    assert CANARY in html
    assert CREDIT_CANARY not in html


def test_time_limited_credit_block_needs_credits_until_then(client_for, board, author):
    thread = make_thread(board=board, author=author, body=f"开头\n\n[hide=d7,30]{CANARY}[/hide]")
    poor, rich = make_user(credits=5), make_user(credits=40)
    assert CANARY not in _dump(client_for(poor).get(f"/t/{thread.pk}/"))
    assert CANARY in _dump(client_for(rich).get(f"/t/{thread.pk}/"))


def test_site_setting_opens_every_hidden_block_after_some_days(client_for, board, author):
    old = timezone.now() - timedelta(days=40)
    thread = make_thread(board=board, author=author, created_at=old,
                         body=f"开头\n\n[hide]{CANARY}[/hide]")
    assert CANARY not in _dump(client_for(None).get(f"/t/{thread.pk}/"))
    settings_row = SiteSettings.load()
    settings_row.hide_open_after_days = 30
    settings_row.save()
    assert CANARY in _dump(client_for(None).get(f"/t/{thread.pk}/"))


def test_notices_name_what_each_viewer_needs(client_for, secret_thread, viewers):
    guest = client_for(None).get(f"/t/{secret_thread.pk}/").content.decode()
    assert "游客，如果您要查看本帖隐藏内容请回复" in guest
    assert "/accounts/login/" in guest and "/accounts/signup/" in guest
    member = client_for(viewers["member"]).get(f"/t/{secret_thread.pk}/").content.decode()
    assert "本帖隐藏的内容需要回复才可以浏览" in member
    assert "本帖隐藏的内容需要积分高于 50 才可浏览，您当前积分为 0" in member


def test_can_see_hidden_is_the_one_rule(secret_thread, viewers):
    opening = Post.objects.get(thread=secret_thread, floor=1)
    from django.contrib.auth.models import AnonymousUser

    assert not can_see_hidden(AnonymousUser(), opening)
    assert not can_see_hidden(viewers["member"], opening)
    assert can_see_hidden(viewers["author"], opening)
    assert can_see_hidden(viewers["moderator"], opening)
    assert can_see_hidden(viewers["staff"], opening)
    _reply_as(secret_thread, viewers["rich"])
    assert can_see_hidden(viewers["rich"], opening)  # replied and has 100 >= 50 credits


@pytest.mark.parametrize("shells", [True, False], ids=["member-shell", "rendered"])
def test_thread_page_decides_hidden_blocks_in_constant_queries(
        client_for, board, author, settings, shells):
    """Served from a members' shell (forum/member_pages.py) or rendered afresh."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.FORUM_PAGE_CACHE = shells
    member = make_user()
    counts = []
    for n in (3, 18):
        thread = make_thread(board=board, author=author, body=f"[hide]{CANARY}[/hide]")
        for i in range(n):
            make_reply(thread=thread, body=f"[hide]楼层 {i} 的隐藏[/hide] 公开")
        client = client_for(member)
        for _ in range(2):  # warm caches (nav, site settings, the day's first visit)
            client.get(f"/t/{thread.pk}/")
        with CaptureQueriesContext(connection) as ctx:
            client.get(f"/t/{thread.pk}/")
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]
