"""The pages, through the test client, for guest, member, author, moderator and staff."""

from __future__ import annotations

import html
import re

import pytest
from django.urls import reverse

from forum import services
from forum.models import Post, Thread
from forum.views.threads import post_url
from tests.factories import (
    fresh,
    make_board,
    make_replies,
    make_reply,
    make_thread,
    make_user,
    opening_post,
)

pytestmark = pytest.mark.django_db

ROLES = ["guest", "member", "author", "moderator", "staff"]
SECRET = "只有回复者才能看到的秘密"


def text(response) -> str:
    return response.content.decode()


def floors_on(response) -> list[int]:
    """Floor numbers of the <article id="p…"> elements, in page order."""
    ids = [int(i) for i in re.findall(r'<article class="floor[^"]*" id="p(\d+)"', text(response))]
    by_id = dict(Post.objects.filter(pk__in=ids).values_list("pk", "floor"))
    return [by_id[i] for i in ids]


def textarea(response, name: str = "body") -> str:
    """The text a browser would show in the textarea (a leading newline is dropped)."""
    match = re.search(rf'<textarea[^>]*name="{name}"[^>]*>(.*?)</textarea>', text(response), re.S)
    assert match, f"no <textarea name={name}> in the page"
    value = html.unescape(match.group(1))
    return value[1:] if value.startswith("\n") else value


def token_of(response) -> str:
    match = re.search(r'name="token" value="([0-9a-f]+)"', text(response))
    assert match, "no one-time token in the form"
    return match.group(1)


@pytest.fixture
def cast(member, author, moderator, staff):
    return {"guest": None, "member": member, "author": author, "moderator": moderator,
            "staff": staff}


@pytest.fixture(params=ROLES)
def role(request):
    return request.param


@pytest.fixture
def as_role(role, cast, client_for):
    return client_for(cast[role])


@pytest.fixture
def small_pages(settings):
    settings.FORUM_POSTS_PER_PAGE = 5
    settings.FORUM_THREADS_PER_PAGE = 3


# --- index ------------------------------------------------------------------------------

def test_index_lists_categories_boards_and_counts(as_role, board, thread):
    make_reply(thread=thread)
    response = as_role.get("/")
    assert response.status_code == 200
    page = text(response)
    assert board.category.name in page
    assert f'href="{board.get_absolute_url()}"' in page
    assert "<span>1</span> / <span>2</span>" in page  # threads / posts


def test_index_links_the_boards_last_post(client, board, thread):
    reply = make_reply(thread=thread)
    page = text(client.get("/"))
    assert f'href="{reverse("forum:post", args=[reply.pk])}"' in page
    assert thread.title in page


def test_index_shows_site_statistics(client, board, thread):
    newest = make_user("新会员")
    page = text(client.get("/"))
    assert newest.username in page


# --- board ------------------------------------------------------------------------------

def test_board_page_lists_threads_for_every_role(as_role, board, thread):
    response = as_role.get(board.get_absolute_url())
    assert response.status_code == 200
    assert thread.title in text(response)
    assert f'href="{reverse("forum:new_thread", args=[board.slug])}"' in text(response)


def test_board_lists_sticky_threads_first(client, board, staff):
    sticky = make_thread(board=board, title="置顶的老主题")
    make_thread(board=board, title="新的普通主题")
    services.set_thread_flags(thread=sticky, actor=staff, sticky=Thread.Sticky.BOARD)
    page = text(client.get(board.get_absolute_url()))
    assert page.index("置顶的老主题") < page.index("新的普通主题")


def test_board_lists_threads_by_last_reply(client, board):
    old = make_thread(board=board, title="早先的主题")
    make_thread(board=board, title="后来的主题")
    make_reply(thread=old)
    page = text(client.get(board.get_absolute_url()))
    assert page.index("早先的主题") < page.index("后来的主题")


def test_board_digest_filter_shows_only_digest_threads(client, board, staff):
    digest = make_thread(board=board, title="精华主题")
    make_thread(board=board, title="普通主题")
    services.set_thread_flags(thread=digest, actor=staff, is_digest=True)
    page = text(client.get(board.get_absolute_url() + "?filter=digest"))
    assert "精华主题" in page
    assert "普通主题" not in page


def test_board_hides_deleted_threads(client, board, staff):
    gone = make_thread(board=board, title="被删除的主题")
    services.delete_thread(thread=gone, actor=staff)
    assert "被删除的主题" not in text(client.get(board.get_absolute_url()))


def test_board_pagination(client, board, small_pages):
    for i in range(7):
        make_thread(board=board, title=f"第{i}号主题")
    first = text(client.get(board.get_absolute_url()))
    last = text(client.get(board.get_absolute_url() + "?page=3"))
    assert "第6号主题" in first and "第0号主题" not in first
    assert "第0号主题" in last and "第6号主题" not in last
    assert 'href="?page=2"' in first


def test_board_lists_sub_boards(client, board):
    child = make_board(parent=board, name="子版块")
    assert f'href="{child.get_absolute_url()}"' in text(client.get(board.get_absolute_url()))


def test_unknown_board_is_404(client, db):
    assert client.get("/b/no-such-board/").status_code == 404


# --- thread -----------------------------------------------------------------------------

def test_thread_page_renders_for_every_role(as_role, thread):
    make_reply(thread=thread, body="第一条回复")
    response = as_role.get(thread.get_absolute_url())
    assert response.status_code == 200
    page = text(response)
    assert thread.title in page
    assert "会议纪要的第一段。" in page and "第一条回复" in page
    assert floors_on(response) == [1, 2]


def test_thread_page_shows_time_author_and_links(client, thread):
    page = text(client.get(thread.get_absolute_url()))
    assert thread.author.username in page
    assert f'href="{reverse("forum:print", args=[thread.pk])}"' in page
    assert f'href="{reverse("forum:prev", args=[thread.pk])}"' in page
    assert f'href="{reverse("forum:next", args=[thread.pk])}"' in page
    assert f'href="?author={thread.author_id}"' in page
    assert 'href="?order=desc"' in page


def test_thread_shows_floors_in_ascending_order(client, thread, small_pages):
    make_replies(thread, 3)
    assert floors_on(client.get(thread.get_absolute_url())) == [1, 2, 3, 4]


def test_thread_pages_are_floor_ranges(client, thread, small_pages):
    make_replies(thread, 11)  # floors 1..12, five per page
    url = thread.get_absolute_url()
    assert floors_on(client.get(url)) == [1, 2, 3, 4, 5]
    assert floors_on(client.get(url + "?page=2")) == [6, 7, 8, 9, 10]
    assert floors_on(client.get(url + "?page=3")) == [11, 12]


def test_deleted_floor_keeps_its_place_on_the_page(client, thread, staff, small_pages):
    replies = make_replies(thread, 6)
    services.delete_post(post=replies[1], actor=staff)  # floor 3
    url = thread.get_absolute_url()
    assert floors_on(client.get(url)) == [1, 2, 3, 4, 5]
    assert floors_on(client.get(url + "?page=2")) == [6, 7]


def test_descending_order_keeps_the_opening_post_first(client, thread, small_pages):
    make_replies(thread, 11)
    url = thread.get_absolute_url()
    assert floors_on(client.get(url + "?order=desc")) == [1, 12, 11, 10, 9, 8]
    assert floors_on(client.get(url + "?order=desc&page=2")) == [7, 6, 5, 4, 3]
    assert floors_on(client.get(url + "?order=desc&page=3")) == [2]


def test_only_this_author_shows_only_their_floors(client, thread, author, small_pages):
    other = make_user()
    for who in [other, author, other, author]:
        make_reply(thread=thread, author=who)
    response = client.get(thread.get_absolute_url() + f"?author={author.pk}")
    assert floors_on(response) == [1, 3, 5]
    assert f'href="{thread.get_absolute_url()}"' in text(response)  # "show all floors"


def test_thread_shows_tags(client, board, author):
    thread = make_thread(board=board, author=author, tags=["公文", "纪要"])
    page = text(client.get(thread.get_absolute_url()))
    # Each tag links to its tag page (/tags/<slug>/).
    assert '<a class="tag" rel="tag" href="/tags/%E5%85%AC%E6%96%87/">公文</a>' in page
    assert '<a class="tag" rel="tag" href="/tags/%E7%BA%AA%E8%A6%81/">纪要</a>' in page


def test_thread_shows_the_edit_note(client, thread, author):
    services.edit_post(post=opening_post(thread), editor=author, body="修订后的正文")
    page = text(client.get(thread.get_absolute_url()))
    assert "修订后的正文" in page
    assert 'class="edit-note"' in page


def test_deleted_reply_shows_a_stub_to_members(client_for, thread, member, staff):
    reply = make_reply(thread=thread, body="将被删除的回复")
    services.delete_post(post=reply, actor=staff)
    response = client_for(member).get(thread.get_absolute_url())
    assert "将被删除的回复" not in text(response)
    assert floors_on(response) == [1, 2]


def test_deleted_reply_stays_readable_for_moderators(client_for, thread, moderator, staff):
    reply = make_reply(thread=thread, body="将被删除的回复")
    services.delete_post(post=reply, actor=staff)
    assert "将被删除的回复" in text(client_for(moderator).get(thread.get_absolute_url()))


def test_deleted_thread_is_404_for_members(client_for, thread, member, staff):
    services.delete_thread(thread=thread, actor=staff)
    assert client_for(member).get(thread.get_absolute_url()).status_code == 404
    assert client_for().get(thread.get_absolute_url()).status_code == 404


def test_deleted_thread_is_visible_to_its_moderator(client_for, thread, moderator, staff):
    services.delete_thread(thread=thread, actor=staff)
    assert client_for(moderator).get(thread.get_absolute_url()).status_code == 200


def test_edit_links_only_for_author_and_moderators(client_for, thread, cast):
    edit = f'href="{reverse("forum:edit", args=[opening_post(thread).pk])}"'
    shown = {role: edit in text(client_for(user).get(thread.get_absolute_url()))
             for role, user in cast.items()}
    assert shown == {"guest": False, "member": False, "author": True, "moderator": True,
                     "staff": True}


def test_members_get_a_reply_form(client_for, thread, member):
    page = text(client_for(member).get(thread.get_absolute_url()))
    assert f'action="{reverse("forum:reply", args=[thread.pk])}"' in page
    assert 'name="token"' in page


def test_guest_sees_a_login_prompt_instead_of_the_reply_box(client, thread):
    page = text(client.get(thread.get_absolute_url()))
    box = page[page.index('id="reply"'):]
    login = reverse("account_login")
    assert f'href="{login}?next=/t/{thread.pk}/"' in box
    assert f'href="{reverse("account_signup")}"' in box
    assert '<textarea' not in box
    assert f'action="{reverse("forum:reply", args=[thread.pk])}"' not in page


def test_closed_thread_shows_members_why_they_cannot_reply(client_for, thread, member, staff):
    services.set_thread_flags(thread=thread, actor=staff, is_closed=True)
    page = text(client_for(member).get(thread.get_absolute_url()))
    assert 'id="reply-form"' not in page
    assert 'class="badge badge-closed"' in page


def test_closed_thread_still_offers_moderators_a_reply_form(client_for, thread, moderator,
                                                             staff):
    services.set_thread_flags(thread=thread, actor=staff, is_closed=True)
    assert 'id="reply-form"' in text(client_for(moderator).get(thread.get_absolute_url()))


def shown_views(response) -> int:
    stats = re.search(r'class="thread-stats">\s*<span>[^<]*<em[^>]*>(\d+)</em>', text(response))
    return int(stats.group(1))


def test_view_count_goes_up_with_each_view(client, thread):
    client.get(thread.get_absolute_url())
    assert shown_views(client.get(thread.get_absolute_url())) == 2


def test_buffered_views_reach_the_database_in_batches(client, thread, settings):
    settings.FORUM_VIEW_FLUSH_EVERY = 3
    for _ in range(7):
        client.get(thread.get_absolute_url())
    assert fresh(thread).view_count == 6  # two batches of three written, one pending
    assert shown_views(client.get(thread.get_absolute_url())) == 8


# --- print view -------------------------------------------------------------------------

def test_print_view_for_every_role(as_role, thread):
    make_reply(thread=thread, body="打印中的回复")
    response = as_role.get(reverse("forum:print", args=[thread.pk]))
    assert response.status_code == 200
    page = text(response)
    assert thread.title in page and "打印中的回复" in page
    assert 'id="sidenav"' not in page and "<form" not in page
    assert "print.css" in page


def test_print_view_of_a_deleted_thread_is_404(client, thread, staff):
    services.delete_thread(thread=thread, actor=staff)
    assert client.get(reverse("forum:print", args=[thread.pk])).status_code == 404


# --- jumps: /p/<id>/, prev, next ---------------------------------------------------------

def test_post_link_redirects_to_its_page_and_anchor(client, thread):
    replies = make_replies(thread, 44)  # floors 2..45, 20 per page
    floor45 = replies[-1]
    assert floor45.floor == 45
    response = client.get(reverse("forum:post", args=[floor45.pk]))
    assert response.status_code == 302
    assert response["Location"] == f"/t/{thread.pk}/?page=3#p{floor45.pk}"
    assert 45 in floors_on(client.get(f"/t/{thread.pk}/?page=3"))


def test_post_link_on_the_first_page_has_no_page_parameter(client, thread):
    post = opening_post(thread)
    response = client.get(reverse("forum:post", args=[post.pk]))
    assert response["Location"] == f"/t/{thread.pk}/#p{post.pk}"


def test_post_link_on_a_page_boundary(client, thread):
    floor20, floor21 = make_replies(thread, 20)[-2:]
    assert client.get(f"/p/{floor20.pk}/")["Location"].endswith(f"/t/{thread.pk}/#p{floor20.pk}")
    assert client.get(f"/p/{floor21.pk}/")["Location"] == f"/t/{thread.pk}/?page=2#p{floor21.pk}"


def test_post_link_into_a_deleted_thread_is_404(client, thread, staff):
    post = opening_post(thread)
    services.delete_thread(thread=thread, actor=staff)
    assert client.get(reverse("forum:post", args=[post.pk])).status_code == 404


def test_prev_and_next_go_to_neighbours_in_the_same_board(client, board):
    first, middle, last = (make_thread(board=board) for _ in range(3))
    make_thread()  # another board, newer id: not a neighbour
    assert client.get(f"/t/{middle.pk}/prev/")["Location"] == first.get_absolute_url()
    assert client.get(f"/t/{middle.pk}/next/")["Location"] == last.get_absolute_url()
    assert client.get(f"/t/{last.pk}/next/")["Location"] == last.get_absolute_url()
    assert client.get(f"/t/{first.pk}/prev/")["Location"] == first.get_absolute_url()


def test_prev_and_next_skip_deleted_threads(client, board, staff):
    first, middle, last = (make_thread(board=board) for _ in range(3))
    services.delete_thread(thread=middle, actor=staff)
    assert client.get(f"/t/{first.pk}/next/")["Location"] == last.get_absolute_url()


# --- new thread -------------------------------------------------------------------------

def test_guest_is_sent_to_login_for_a_new_thread(client, board):
    response = client.get(reverse("forum:new_thread", args=[board.slug]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_member_gets_the_new_thread_form(client_for, board, member):
    response = client_for(member).get(reverse("forum:new_thread", args=[board.slug]))
    assert response.status_code == 200
    assert 'name="title"' in text(response) and 'name="token"' in text(response)


def test_new_thread_is_created_and_opened(client_for, board, member):
    client = client_for(member)
    url = reverse("forum:new_thread", args=[board.slug])
    token = token_of(client.get(url))
    response = client.post(url, {"title": "新主题", "body": "新主题的正文", "tags": "公文，纪要",
                                 "token": token})
    thread = Thread.objects.get(title="新主题")
    assert response.status_code == 302
    assert response["Location"] == thread.get_absolute_url()
    assert thread.author == member
    assert sorted(thread.tags.values_list("name", flat=True)) == ["公文", "纪要"]
    assert opening_post(thread).body == "新主题的正文"


def test_preview_renders_without_posting(client_for, board, member):
    response = client_for(member).post(
        reverse("forum:new_thread", args=[board.slug]),
        {"title": "预览", "body": "**预览正文**", "preview": "1"},
    )
    assert response.status_code == 200
    assert "<strong>预览正文</strong>" in text(response)
    assert not Thread.objects.filter(title="预览").exists()


# --- reply ------------------------------------------------------------------------------

def test_reply_redirects_to_the_new_post(client_for, thread, member):
    make_replies(thread, 25)
    response = client_for(member).post(reverse("forum:reply", args=[thread.pk]),
                                       {"body": "我的回复", "token": "a" * 32})
    post = Post.objects.get(thread=thread, body="我的回复")
    assert (post.floor, post.author) == (27, member)
    assert response.status_code == 302
    assert response["Location"] == f"/t/{thread.pk}/?page=2#p{post.pk}" == post_url(post)


def test_reply_from_the_thread_page_form(client_for, thread, member):
    client = client_for(member)
    token = token_of(client.get(thread.get_absolute_url()))
    client.post(reverse("forum:reply", args=[thread.pk]), {"body": "表单回复", "token": token})
    assert Post.objects.filter(thread=thread, body="表单回复", floor=2).exists()


def test_guest_reply_goes_to_login(client, thread):
    response = client.post(reverse("forum:reply", args=[thread.pk]), {"body": "游客"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert not Post.objects.filter(body="游客").exists()


# --- quote ------------------------------------------------------------------------------

def test_quote_prefills_the_reply_form(client_for, thread, member):
    reply = make_reply(thread=thread, author=make_user("被引用者"), body="值得引用的话")
    response = client_for(member).get(reverse("forum:quote", args=[reply.pk]))
    assert response.status_code == 200
    body = textarea(response)
    assert body.startswith("> **被引用者:**")
    assert "> 值得引用的话" in body


@pytest.mark.parametrize("who", ["author", "replier", "moderator"])
def test_quote_never_carries_hidden_text(client_for, board, author, moderator, who):
    thread = make_thread(board=board, author=author, body=f"公开的话 [hide]{SECRET}[/hide] 结尾")
    replier = make_user()
    make_reply(thread=thread, author=replier)
    user = {"author": author, "replier": replier, "moderator": moderator}[who]
    response = client_for(user).get(reverse("forum:quote", args=[opening_post(thread).pk]))
    assert "公开的话" in textarea(response)
    assert SECRET not in text(response)


def test_quoting_a_deleted_post_is_refused(client_for, thread, member, staff):
    reply = make_reply(thread=thread, body="已删除的话")
    services.delete_post(post=reply, actor=staff)
    response = client_for(member).get(reverse("forum:quote", args=[reply.pk]))
    assert response.status_code == 302
    assert "已删除的话" not in text(client_for(member).get(response["Location"]))


# --- edit -------------------------------------------------------------------------------

def test_author_edits_own_reply(client_for, thread, member):
    reply = make_reply(thread=thread, author=member, body="原来的回复")
    client = client_for(member)
    url = reverse("forum:edit", args=[reply.pk])
    assert textarea(client.get(url)) == "原来的回复"
    response = client.post(url, {"body": "改过的回复"})
    assert response.status_code == 302
    assert response["Location"] == post_url(reply)
    assert fresh(reply).body == "改过的回复"
    assert fresh(reply).edited_by == member


def test_author_edits_the_title_of_own_thread(client_for, thread, author):
    url = reverse("forum:edit", args=[opening_post(thread).pk])
    client_for(author).post(url, {"title": "改过的标题", "body": "改过的正文", "tags": "公文"})
    assert fresh(thread).title == "改过的标题"
    assert list(fresh(thread).tags.values_list("name", flat=True)) == ["公文"]


def test_editing_someone_elses_post_is_403(client_for, thread, member):
    url = reverse("forum:edit", args=[opening_post(thread).pk])
    client = client_for(member)
    assert client.get(url).status_code == 403
    assert client.post(url, {"title": "篡改", "body": "篡改"}).status_code == 403
    assert opening_post(thread).body == "会议纪要的第一段。"


def test_moderator_edits_someone_elses_post(client_for, thread, moderator):
    url = reverse("forum:edit", args=[opening_post(thread).pk])
    response = client_for(moderator).post(url, {"title": thread.title, "body": "版主改过"})
    assert response.status_code == 302
    assert opening_post(thread).body == "版主改过"


def test_guest_edit_goes_to_login(client, thread):
    response = client.get(reverse("forum:edit", args=[opening_post(thread).pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


# --- hidden content on the pages -----------------------------------------------------------

@pytest.fixture
def secret_thread(board, author):
    return make_thread(board=board, author=author, title="含隐藏内容的主题",
                       body=f"公开的开头\n\n[hide]{SECRET}[/hide]\n\n公开的结尾")


def every_page_of(thread) -> list[str]:
    op = opening_post(thread)
    return [
        "/", thread.board.get_absolute_url(), thread.get_absolute_url(),
        thread.get_absolute_url() + "?order=desc",
        thread.get_absolute_url() + f"?author={thread.author_id}",
        thread.get_absolute_url() + "?mode=read",
        reverse("forum:print", args=[thread.pk]),
        reverse("forum:quote", args=[op.pk]),
    ]


def leaks(client, thread) -> list[str]:
    return [url for url in every_page_of(thread) if SECRET in text(client.get(url, follow=True))]


def test_guest_never_gets_hidden_text(client, secret_thread):
    assert leaks(client, secret_thread) == []


def test_guest_gets_the_notice_with_login_and_register_links(client, secret_thread):
    page = text(client.get(secret_thread.get_absolute_url()))
    notice = page[page.index('class="hide-notice"'):]
    notice = notice[:notice.index("</div>")]
    back = f"?next={secret_thread.get_absolute_url()}"
    assert f'href="{reverse("account_login")}{back}"' in notice
    assert f'href="{reverse("account_signup")}{back}"' in notice
    assert "公开的开头" in page and "公开的结尾" in page


def test_member_who_has_not_replied_never_gets_hidden_text(client_for, secret_thread, member):
    client = client_for(member)
    assert leaks(client, secret_thread) == []
    assert 'class="hide-notice"' in text(client.get(secret_thread.get_absolute_url()))


def test_member_sees_hidden_text_after_replying(client_for, secret_thread, member):
    client = client_for(member)
    client.post(reverse("forum:reply", args=[secret_thread.pk]), {"body": "顶", "token": "t1"})
    page = text(client.get(secret_thread.get_absolute_url()))
    assert SECRET in page
    assert 'class="hide-notice"' not in page
    assert SECRET in text(client.get(reverse("forum:print", args=[secret_thread.pk])))


@pytest.mark.parametrize("who", ["author", "moderator", "staff"])
def test_author_and_moderators_always_see_hidden_text(client_for, secret_thread, cast, who):
    page = text(client_for(cast[who]).get(secret_thread.get_absolute_url()))
    assert SECRET in page
    assert 'class="hide-notice"' not in page


def test_hidden_text_is_hidden_again_when_the_reply_is_deleted(client_for, secret_thread,
                                                                member, staff):
    reply = make_reply(thread=secret_thread, author=member)
    client = client_for(member)
    assert SECRET in text(client.get(secret_thread.get_absolute_url()))
    services.delete_post(post=reply, actor=staff)
    assert leaks(client, secret_thread) == []


def test_hidden_text_stays_out_of_the_meta_description(client, secret_thread):
    page = text(client.get(secret_thread.get_absolute_url()))
    description = re.search(r'<meta name="description" content="([^"]*)"', page).group(1)
    assert "公开的开头" in description
    assert SECRET not in description


def test_hidden_text_in_a_reply_is_hidden_too(client_for, thread, member):
    make_reply(thread=thread, author=make_user(), body=f"回复里 [hide]{SECRET}[/hide]")
    assert SECRET not in text(client_for(member).get(thread.get_absolute_url()))
