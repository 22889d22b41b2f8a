"""Tag pages (/tags/, /tags/<slug>/), tag links on the thread page, tag editing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from forum import services
from forum.models import Tag
from tests.factories import make_board, make_thread, make_user, opening_post

pytestmark = pytest.mark.django_db


def _tag(name: str) -> Tag:
    return Tag.objects.get(name=name)


def test_chinese_tag_gets_a_stable_readable_slug_and_its_page_opens(client, board):
    make_thread(board=board, tags=["会议纪要"])
    tag = _tag("会议纪要")
    assert tag.slug == "会议纪要"
    url = reverse("forum:tag", args=[tag.slug])
    assert url == "/tags/%E4%BC%9A%E8%AE%AE%E7%BA%AA%E8%A6%81/"
    response = client.get(url)
    assert response.status_code == 200 and "会议纪要" in response.content.decode()


def test_tag_slug_is_kept_when_the_tags_are_edited(board, author):
    thread = make_thread(board=board, author=author, tags=["公文"])
    slug = _tag("公文").slug
    services.edit_post(post=opening_post(thread), editor=author, body="新正文",
                       tags=["公文", "格式"])
    assert _tag("公文").slug == slug


def test_cloud_lists_tags_by_use_with_exact_counts(client, board):
    for _ in range(3):
        make_thread(board=board, tags=["公文"])
    make_thread(board=board, tags=["公文", "讲话稿"])
    response = client.get(reverse("forum:tags"))
    tags = response.context["tags"]
    assert [(t.name, t.thread_count) for t in tags] == [("公文", 4), ("讲话稿", 1)]
    assert tags[0].level == 5 and tags[1].level < 5


def test_cloud_leaves_out_tags_no_live_thread_carries(client, board, moderator):
    thread = make_thread(board=board, tags=["过期"])
    services.delete_thread(thread=thread, actor=moderator)
    assert "过期" not in client.get(reverse("forum:tags")).content.decode()


def test_tag_page_lists_live_threads_newest_activity_first(client, board, moderator):
    old = make_thread(board=board, title="旧帖", tags=["公文"])
    new = make_thread(board=board, title="新帖", tags=["公文"])
    gone = make_thread(board=board, title="删帖", tags=["公文"])
    make_thread(board=board, title="无关", tags=["别的"])
    services.delete_thread(thread=gone, actor=moderator)
    response = client.get(reverse("forum:tag", args=[_tag("公文").slug]))
    assert [t.pk for t in response.context["threads"]] == [new.pk, old.pk]
    assert response.context["tag"].thread_count == 2


def test_tag_page_is_paginated_and_count_stays_exact(client, board, settings):
    settings.FORUM_THREADS_PER_PAGE = 2
    threads = [make_thread(board=board, tags=["公文"]) for _ in range(5)]
    url = reverse("forum:tag", args=[_tag("公文").slug])
    pages = [client.get(url, {"page": n}).context for n in (1, 2, 3)]
    seen = [t.pk for ctx in pages for t in ctx["threads"]]
    assert sorted(seen) == sorted(t.pk for t in threads)
    assert pages[0]["page"].paginator.num_pages == 3


def test_tag_counts_follow_delete_restore_and_moves(board, moderator, staff):
    thread = make_thread(board=board, tags=["公文"])
    services.delete_thread(thread=thread, actor=moderator)
    assert _tag("公文").thread_count == 0
    services.restore_thread(thread=thread, actor=moderator)
    services.move_thread(thread=thread, actor=staff, board=make_board())
    assert _tag("公文").thread_count == 1


def test_unknown_tag_is_404(client, db):
    assert client.get("/tags/no-such-tag/").status_code == 404


def test_thread_page_links_its_tags(client, board):
    thread = make_thread(board=board, tags=["公文", "PPT"])
    html = client.get(thread.get_absolute_url()).content.decode()
    for name in ("公文", "PPT"):
        assert f'href="{reverse("forum:tag", args=[_tag(name).slug])}"' in html


def test_author_edits_tags_through_the_edit_form(client_for, board, author):
    thread = make_thread(board=board, author=author, tags=["公文"])
    post = opening_post(thread)
    response = client_for(author).post(reverse("forum:edit", args=[post.pk]), {
        "title": thread.title, "body": "正文", "tags": "讲话稿，会议纪要",
    })
    assert response.status_code == 302
    assert sorted(thread.tags.values_list("name", flat=True)) == ["会议纪要", "讲话稿"]
    assert _tag("公文").thread_count == 0 and _tag("讲话稿").thread_count == 1


def test_moderator_edits_tags(client_for, board, author, moderator):
    thread = make_thread(board=board, author=author, tags=["公文"])
    post = opening_post(thread)
    client_for(moderator).post(reverse("forum:edit", args=[post.pk]), {
        "title": thread.title, "body": "正文", "tags": "精华",
    })
    assert list(thread.tags.values_list("name", flat=True)) == ["精华"]


def test_other_members_cannot_edit_tags(client_for, board, author):
    thread = make_thread(board=board, author=author, tags=["公文"])
    post = opening_post(thread)
    response = client_for(make_user()).post(reverse("forum:edit", args=[post.pk]), {
        "title": thread.title, "body": "正文", "tags": "捣乱",
    })
    assert response.status_code == 403
    assert list(thread.tags.values_list("name", flat=True)) == ["公文"]


def test_tags_nav_link_in_the_header(client, db):
    assert f'href="{reverse("forum:tags")}"' in client.get("/").content.decode()
