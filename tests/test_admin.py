"""The moderation console: every admin page renders, and every admin write goes
through the same services as the site, so the counters stay exact."""

from __future__ import annotations

from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts.models import Profile
from forum import services
from forum.models import Board, Category, Post, SiteSettings, Tag, Thread

try:  # manage.py recount's engine; the assertions below also check counters directly
    from forum.recount import recount_all
except ImportError:  # pragma: no cover - only while that module is being written
    recount_all = None

User = get_user_model()


# --- helpers -------------------------------------------------------------------------


def assert_counters_exact() -> None:
    """Rebuilding every counter from rows changes nothing."""
    if recount_all is not None:
        changes = recount_all()
        assert not any(changes.values()), {k: v for k, v in changes.items() if v}


class _FormScraper(HTMLParser):
    """Collect what a browser would submit from one <form id=...> of a page."""

    def __init__(self, form_id: str):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.data: dict[str, list[str]] = {}
        self._select: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def _add(self, name: str, value: str) -> None:
        self.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("id") == self.form_id:
            self.inside = True
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in {"submit", "button", "file", "image", "reset"}:
                return
            if kind in {"checkbox", "radio"}:
                if "checked" in a:
                    self._add(name, a.get("value") or "on")
                return
            self._add(name, a.get("value") or "")
        elif tag == "select":
            self._select = name
        elif tag == "option" and self._select and "selected" in a:
            self._add(self._select, a.get("value") or "")
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea:
            text = "".join(self._text)
            self._add(self._textarea, text[1:] if text.startswith("\n") else text)
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self._text.append(data)


def form_data(client, url: str, form_id: str) -> dict[str, list[str]]:
    response = client.get(url)
    assert response.status_code == 200
    scraper = _FormScraper(form_id)
    scraper.feed(response.content.decode())
    assert scraper.data, f"no form #{form_id} on {url}"
    return scraper.data


def run_action(client, model: str, action: str, objs, **extra):
    url = reverse(f"admin:forum_{model}_changelist")
    data = {"action": action, helpers.ACTION_CHECKBOX_NAME: [o.pk for o in objs], **extra}
    return client.post(url, data)


def message_levels(response) -> list[int]:
    return [m.level for m in get_messages(response.wsgi_request)]


def message_texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def forum(db):
    category = Category.objects.create(name="写作天地")
    other_category = Category.objects.create(name="站务")
    board = Board.objects.create(category=category, name="秘书工作", slug="mishu")
    target = Board.objects.create(category=other_category, name="公文写作", slug="gongwen")
    author = User.objects.create_user("作者甲", password="pw-123-abc")
    member = User.objects.create_user("会员乙", password="pw-123-abc")
    thread = services.create_thread(
        board=board,
        author=author,
        title="如何写好一篇公文",
        body="正文 **要点**",
        tags=["公文", "写作"],
    )
    reply = services.create_reply(thread=thread, author=member, body="沙发，学习了")
    second = services.create_reply(thread=thread, author=author, body="谢谢支持")
    other = services.create_thread(board=board, author=member, title="新人报到", body="大家好")
    SiteSettings.load()
    return SimpleNamespace(
        category=category,
        board=board,
        target=target,
        author=author,
        member=member,
        thread=thread,
        reply=reply,
        second=second,
        other=other,
    )


# --- every page renders ----------------------------------------------------------------


def test_every_changelist_and_change_page_renders(admin_client, forum):
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        response = admin_client.get(changelist, follow=True)
        assert response.status_code == 200, changelist
        obj = model_admin.get_queryset(RequestFactory().get("/")).first()
        if obj is not None:
            change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
            assert admin_client.get(change).status_code == 200, change


@pytest.mark.parametrize(
    "path, query",
    [
        ("forum/thread/", "q=公文"),
        ("forum/thread/", "q=作者甲"),
        ("forum/thread/", "q=1"),
        ("forum/thread/", "board__id__exact={board}"),
        ("forum/thread/", "is_deleted__exact=1"),
        ("forum/thread/", "sticky__exact=1&is_digest__exact=0&is_closed__exact=0"),
        ("forum/thread/", "created_at__year={year}"),
        ("forum/thread/", "o=-5"),
        ("forum/post/", "q=沙发"),
        ("forum/post/", "q=会员乙"),
        ("forum/post/", "q=127.0.0.1"),
        ("forum/post/", "thread__board__id__exact={board}"),
        ("forum/post/", "thread__id__exact={thread}"),
        ("forum/post/", "is_deleted__exact=0"),
        ("forum/post/", "created_at__year={year}"),
        ("forum/board/", "q=mishu"),
        ("forum/board/", "category__id__exact={category}&jammer__exact=0"),
        ("forum/category/", "q=写作"),
        ("forum/tag/", "q=公文"),
        ("accounts/profile/", "q=作者"),
        ("auth/user/", "q=会员"),
        ("auth/user/", "is_staff__exact=0"),
    ],
)
def test_changelist_search_and_filters_render(admin_client, forum, path, query):
    query = query.format(
        board=forum.board.pk,
        thread=forum.thread.pk,
        category=forum.category.pk,
        year=timezone.localdate().year,
    )
    response = admin_client.get(f"/admin/{path}?{query}")
    # An unknown filter would redirect to ?e=1; a broken lookup would be a 500.
    assert response.status_code == 200
    assert response.context["cl"].result_count >= 0


@pytest.mark.parametrize(
    "model, field",
    [
        ("thread", "board"),
        ("thread", "tags"),
        ("board", "moderators"),
        ("board", "category"),
        ("board", "parent"),
    ],
)
def test_autocomplete_fields_answer(admin_client, forum, model, field):
    response = admin_client.get(
        "/admin/autocomplete/",
        {
            "app_label": "forum",
            "model_name": model,
            "field_name": field,
            "term": "",
        },
    )
    assert response.status_code == 200
    assert response.json()["results"]


def test_add_pages_render(admin_client, forum):
    for name in ("forum_category", "forum_board", "forum_tag", "auth_user"):
        assert admin_client.get(reverse(f"admin:{name}_add")).status_code == 200


def test_header_and_title_come_from_site_settings(admin_client, client, forum):
    page = admin_client.get("/admin/").content.decode()
    assert "老秘网" in page
    login = client.get("/admin/login/").content.decode()
    assert "老秘网" in login
    assert "Django" not in login.split("<body", 1)[1].split("</header>", 1)[0]


def test_non_staff_member_is_sent_to_login(client, forum):
    client.force_login(forum.member)
    response = client.get("/admin/forum/thread/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


# --- thread actions --------------------------------------------------------------------


@pytest.mark.parametrize(
    "action, field, value",
    [
        ("stick", "sticky", Thread.Sticky.BOARD),
        ("make_digest", "is_digest", True),
        ("close", "is_closed", True),
    ],
)
def test_thread_flag_actions_set_and_clear(admin_client, forum, action, field, value):
    undo = {"stick": "unstick", "make_digest": "remove_digest", "close": "reopen"}[action]
    response = run_action(admin_client, "thread", action, [forum.thread, forum.other])
    assert response.status_code == 302
    assert messages.SUCCESS in message_levels(response)
    for t in (forum.thread, forum.other):
        t.refresh_from_db()
        assert getattr(t, field) == value
    assert_counters_exact()

    run_action(admin_client, "thread", undo, [forum.thread])
    forum.thread.refresh_from_db()
    assert not getattr(forum.thread, field)
    assert_counters_exact()


def test_soft_delete_and_restore_threads_keep_counters(admin_client, forum):
    run_action(admin_client, "thread", "soft_delete", [forum.thread])
    forum.thread.refresh_from_db()
    forum.board.refresh_from_db()
    assert forum.thread.is_deleted
    assert forum.board.thread_count == 1
    assert forum.board.post_count == 1
    assert Tag.objects.get(name="公文").thread_count == 0
    assert Profile.objects.get(user=forum.member).post_count == 1  # their own thread only
    assert_counters_exact()

    run_action(admin_client, "thread", "restore", [forum.thread])
    forum.thread.refresh_from_db()
    forum.board.refresh_from_db()
    assert not forum.thread.is_deleted
    assert (forum.board.thread_count, forum.board.post_count) == (2, 4)
    assert Tag.objects.get(name="公文").thread_count == 1
    assert_counters_exact()


def test_action_reports_a_refusal_per_object_and_goes_on(admin_client, forum, monkeypatch):
    real = services.delete_thread

    def refuse_first(*, thread, actor, reason=""):
        if thread.pk == forum.thread.pk:
            raise PermissionDenied("not this one")
        real(thread=thread, actor=actor, reason=reason)

    monkeypatch.setattr(services, "delete_thread", refuse_first)
    response = run_action(admin_client, "thread", "soft_delete", [forum.thread, forum.other])
    levels = message_levels(response)
    assert messages.ERROR in levels and messages.SUCCESS in levels
    assert not Thread.objects.get(pk=forum.thread.pk).is_deleted
    assert Thread.objects.get(pk=forum.other.pk).is_deleted
    assert_counters_exact()


def test_move_action_shows_a_board_choice_page(admin_client, forum):
    response = run_action(admin_client, "thread", "move_to_board", [forum.thread, forum.other])
    assert response.status_code == 200
    assert "admin/forum/thread/move_to_board.html" in [t.name for t in response.templates]
    page = response.content.decode()
    assert "csrfmiddlewaretoken" in page
    assert f'value="{forum.target.pk}"' in page
    assert page.count(f'name="{helpers.ACTION_CHECKBOX_NAME}"') == 2
    assert 'href="/admin/forum/thread/"' in page  # cancel goes back to the list
    assert Thread.objects.get(pk=forum.thread.pk).board_id == forum.board.pk


def test_move_action_moves_threads_and_counters(admin_client, forum):
    admin_client.cookies["django_language"] = "en"
    response = run_action(
        admin_client, "thread", "move_to_board", [forum.thread], board=forum.target.pk, apply="yes"
    )
    assert response.status_code == 302
    forum.thread.refresh_from_db()
    forum.board.refresh_from_db()
    forum.target.refresh_from_db()
    assert forum.thread.board_id == forum.target.pk
    assert (forum.board.thread_count, forum.board.post_count) == (1, 1)
    assert (forum.target.thread_count, forum.target.post_count) == (1, 3)
    assert forum.target.last_post_id == forum.second.pk
    assert message_texts(response) == ["1 thread moved to “公文写作”."]
    assert_counters_exact()


def test_move_action_without_a_board_asks_again(admin_client, forum):
    response = run_action(
        admin_client, "thread", "move_to_board", [forum.thread], board="", apply="yes"
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert Thread.objects.get(pk=forum.thread.pk).board_id == forum.board.pk


def test_threads_and_posts_cannot_be_hard_deleted(admin_client, forum):
    request = RequestFactory().get("/admin/")
    request.user = User.objects.get(username="admin")
    for model in (Thread, Post):
        model_admin = admin.site._registry[model]
        assert not model_admin.has_delete_permission(request)
        assert "delete_selected" not in model_admin.get_actions(request)
    assert (
        admin_client.get(reverse("admin:forum_thread_delete", args=[forum.thread.pk])).status_code
        == 403
    )
    assert (
        admin_client.get(reverse("admin:forum_post_delete", args=[forum.reply.pk])).status_code
        == 403
    )


@pytest.mark.parametrize("model", ["board", "category"])
def test_boards_and_categories_in_use_show_the_cannot_delete_page(admin_client, forum, model):
    obj = forum.board if model == "board" else forum.category
    response = admin_client.get(reverse(f"admin:forum_{model}_delete", args=[obj.pk]))
    assert response.status_code == 200
    assert response.context["protected"]
    response = admin_client.post(
        reverse(f"admin:forum_{model}_delete", args=[obj.pk]), {"post": "yes"}
    )
    assert response.status_code == 200  # the same page again, nothing deleted
    assert response.context["protected"]
    assert type(obj).objects.filter(pk=obj.pk).exists()


def test_empty_board_can_be_deleted(admin_client, forum):
    response = admin_client.post(
        reverse("admin:forum_board_delete", args=[forum.target.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Board.objects.filter(pk=forum.target.pk).exists()


# --- thread change form ------------------------------------------------------------------


def test_thread_change_form_moves_retags_and_flags_through_services(admin_client, forum):
    url = reverse("admin:forum_thread_change", args=[forum.thread.pk])
    data = form_data(admin_client, url, "thread_form")
    new_tag = Tag.objects.create(name="范文", slug="fanwen")
    data.update(
        {
            "title": ["  如何写好  一篇公文（修订）"],
            "board": [str(forum.target.pk)],
            "tags": [str(new_tag.pk), str(Tag.objects.get(name="公文").pk)],
            "is_closed": ["on"],
            "_save": ["Save"],
        }
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    forum.thread.refresh_from_db()
    assert forum.thread.title == "如何写好 一篇公文（修订）"
    assert forum.thread.board_id == forum.target.pk
    assert forum.thread.is_closed
    assert set(forum.thread.tags.values_list("name", flat=True)) == {"公文", "范文"}
    assert Tag.objects.get(name="写作").thread_count == 0
    assert Tag.objects.get(name="范文").thread_count == 1
    assert Thread.objects.get(pk=forum.thread.pk).reply_count == 2
    assert_counters_exact()


def test_thread_change_form_soft_deletes_through_service(admin_client, forum):
    url = reverse("admin:forum_thread_change", args=[forum.thread.pk])
    data = form_data(admin_client, url, "thread_form")
    data.update({"is_deleted": ["on"], "_save": ["Save"]})
    assert admin_client.post(url, data).status_code == 302
    forum.board.refresh_from_db()
    assert forum.board.thread_count == 1
    assert_counters_exact()


def test_thread_change_form_refuses_too_many_tags(admin_client, forum):
    url = reverse("admin:forum_thread_change", args=[forum.thread.pk])
    data = form_data(admin_client, url, "thread_form")
    tags = [Tag.objects.create(name=f"标签{i}", slug=f"tag-{i}") for i in range(8)]
    data.update({"tags": [str(t.pk) for t in tags], "_save": ["Save"]})
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "tags" in response.context["adminform"].form.errors
    assert forum.thread.tags.count() == 2
    assert_counters_exact()


# --- posts -------------------------------------------------------------------------------


def test_post_soft_delete_action_updates_reply_count(admin_client, forum):
    response = run_action(admin_client, "post", "soft_delete", [forum.reply])
    assert response.status_code == 302
    forum.reply.refresh_from_db()
    forum.thread.refresh_from_db()
    assert forum.reply.is_deleted
    assert forum.thread.reply_count == 1
    assert Profile.objects.get(user=forum.member).post_count == 1
    assert_counters_exact()

    run_action(admin_client, "post", "restore", [forum.reply])
    forum.thread.refresh_from_db()
    assert forum.thread.reply_count == 2
    assert_counters_exact()


def test_soft_deleting_the_opening_post_deletes_the_thread(admin_client, forum):
    opening = forum.thread.posts.get(floor=1)
    run_action(admin_client, "post", "soft_delete", [opening])
    assert Thread.objects.get(pk=forum.thread.pk).is_deleted
    assert_counters_exact()


def test_editing_a_post_body_in_the_admin_rerenders_it(admin_client, admin_user, forum):
    url = reverse("admin:forum_post_change", args=[forum.reply.pk])
    data = form_data(admin_client, url, "post_form")
    data.update({"body": ["改过的 **重点** <script>x</script>"], "_save": ["Save"]})
    response = admin_client.post(url, data)
    assert response.status_code == 302
    forum.reply.refresh_from_db()
    assert forum.reply.body == "改过的 **重点** <script>x</script>"
    assert "<strong>重点</strong>" in forum.reply.html
    assert "<script>" not in forum.reply.html
    assert "重点" in forum.reply.text_public
    assert (forum.reply.edit_count, forum.reply.edited_by_id) == (1, admin_user.pk)
    assert_counters_exact()


def test_saving_an_unchanged_post_is_not_an_edit(admin_client, forum):
    url = reverse("admin:forum_post_change", args=[forum.reply.pk])
    data = form_data(admin_client, url, "post_form")
    data["body"] = [data["body"][0].replace("\n", "\r\n")]  # as a browser sends it
    data["_save"] = ["Save"]
    assert admin_client.post(url, data).status_code == 302
    forum.reply.refresh_from_db()
    assert forum.reply.edit_count == 0


def test_blank_post_body_is_refused(admin_client, forum):
    url = reverse("admin:forum_post_change", args=[forum.reply.pk])
    data = form_data(admin_client, url, "post_form")
    data.update({"body": ["   "], "_save": ["Save"]})
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert Post.objects.get(pk=forum.reply.pk).body == "沙发，学习了"


# --- boards, tags, site settings, users ------------------------------------------------


def test_board_moderators_are_editable_and_counters_untouched(admin_client, forum):
    url = reverse("admin:forum_board_change", args=[forum.board.pk])
    data = form_data(admin_client, url, "board_form")
    data.update({"moderators": [str(forum.member.pk)], "_save": ["Save"]})
    # A reply committed while the form was open must survive the save.
    services.create_reply(thread=forum.other, author=forum.author, body="后来的回复")
    assert admin_client.post(url, data).status_code == 302
    forum.board.refresh_from_db()
    assert list(forum.board.moderators.all()) == [forum.member]
    assert forum.board.post_count == 5
    assert_counters_exact()


def test_board_cannot_be_its_own_ancestor(admin_client, forum):
    child = Board.objects.create(
        category=forum.category, name="子版", slug="zi", parent=forum.board
    )
    url = reverse("admin:forum_board_change", args=[forum.board.pk])
    data = form_data(admin_client, url, "board_form")
    data.update({"parent": [str(child.pk)], "_save": ["Save"]})
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "parent" in response.context["adminform"].form.errors


def test_board_positions_are_editable_in_the_list(admin_client, forum):
    response = admin_client.get("/admin/forum/board/")
    assert 'name="form-0-position"' in response.content.decode()


def test_tag_added_in_the_admin_gets_its_slug(admin_client, forum):
    response = admin_client.post(
        reverse("admin:forum_tag_add"), {"name": " 总结 ", "_save": "Save"}
    )
    assert response.status_code == 302
    tag = Tag.objects.get(name="总结")
    assert tag.slug == "总结"
    assert tag.thread_count == 0


def test_site_settings_is_a_singleton(admin_client, forum):
    obj = SiteSettings.load()
    response = admin_client.get(reverse("admin:forum_sitesettings_changelist"))
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:forum_sitesettings_change", args=[obj.pk])
    assert admin_client.get(reverse("admin:forum_sitesettings_add")).status_code == 403
    assert (
        admin_client.get(reverse("admin:forum_sitesettings_delete", args=[obj.pk])).status_code
        == 403
    )

    url = reverse("admin:forum_sitesettings_change", args=[obj.pk])
    data = form_data(admin_client, url, "sitesettings_form")
    data.update({"record_number": ["京ICP备12345678号"], "_save": ["Save"]})
    assert admin_client.post(url, data).status_code == 302
    assert SiteSettings.load().record_number == "京ICP备12345678号"


def test_user_page_shows_profile_counters_and_keeps_them(admin_client, forum):
    url = reverse("admin:auth_user_change", args=[forum.author.pk])
    data = form_data(admin_client, url, "user_form")
    assert "profile-0-bio" in data
    assert "profile-0-post_count" not in data  # read-only
    services.create_reply(thread=forum.other, author=forum.author, body="表单打开时的回复")
    data.update({"profile-0-bio": ["老秘一枚"], "_save": ["Save"]})
    response = admin_client.post(url, data)
    assert response.status_code == 302
    profile = Profile.objects.get(user=forum.author)
    assert profile.bio == "老秘一枚"
    assert (profile.post_count, profile.thread_count) == (3, 1)
    assert_counters_exact()


def test_user_added_in_the_admin_gets_one_profile(admin_client, forum):
    response = admin_client.post(
        reverse("admin:auth_user_add"),
        {
            "username": "新来的",
            "usable_password": "true",
            "password1": "a-long-pass-2024",
            "password2": "a-long-pass-2024",
            "_save": "Save",
        },
    )
    assert response.status_code == 302
    assert Profile.objects.filter(user__username="新来的").count() == 1
