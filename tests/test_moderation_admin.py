"""Board moderators in the Django admin: how they get in, what they see, what they
cannot reach; and the moderation pages (reports, queue, recycle bin, bans, log)."""

from __future__ import annotations

import pytest
from django.contrib.admin import helpers
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import reverse

from forum.models import (
    Ban,
    ModerationLog,
    ModeratorStaffGrant,
    PendingPost,
    Post,
    Report,
    Thread,
)
from forum.moderation import approval, reports, staff
from forum.moderation import services as mod
from forum.recount import recount_all
from tests.factories import (
    fresh,
    make_board,
    make_reply,
    make_thread,
    make_user,
    opening_post,
)

pytestmark = pytest.mark.django_db


def admin_client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def act(client, model: str, action: str, objs, **extra):
    return client.post(reverse(f"admin:forum_{model}_changelist"), {
        "action": action, helpers.ACTION_CHECKBOX_NAME: [o.pk for o in objs], **extra,
    })


@pytest.fixture
def other_board(db):
    return make_board("other", name="其他版块")


@pytest.fixture
def other_thread(other_board):
    return make_thread(board=other_board, title="别的版块的主题")


@pytest.fixture
def mod_client(moderator):
    return admin_client_for(moderator)


# --- getting in ------------------------------------------------------------------------------

def test_adding_a_board_moderator_gives_admin_access_through_the_group(board):
    member = make_user()
    assert not member.is_staff
    board.moderators.add(member)
    member = fresh(member)
    assert member.is_staff and not member.is_superuser
    assert member.groups.filter(name=staff.GROUP_NAME).exists()
    assert member.has_perm("forum.change_thread") and member.has_perm("forum.view_report")
    assert not member.has_perm("forum.change_board")


def test_the_last_board_removed_takes_admin_access_back(board, other_board):
    member = make_user()
    board.moderators.add(member)
    other_board.moderators.add(member)
    board.moderators.remove(member)
    assert fresh(member).is_staff
    member.moderated_boards.clear()
    member = fresh(member)
    assert not member.is_staff
    assert not member.groups.filter(name=staff.GROUP_NAME).exists()
    assert not ModeratorStaffGrant.objects.filter(user=member).exists()


def test_staff_made_moderator_stays_staff_after_removal(board):
    staffer = make_user(staff=True)
    board.moderators.add(staffer)
    board.moderators.remove(staffer)
    assert fresh(staffer).is_staff


def test_moderators_set_in_the_board_form_get_admin_access(admin_client, board):
    member = make_user("新版主")
    page = admin_client.get(reverse("admin:forum_board_change", args=[board.pk]))
    assert page.status_code == 200
    data = {
        "category": board.category_id, "name": board.name, "slug": board.slug,
        "description": "", "position": 1, "moderators": [member.pk],
    }
    response = admin_client.post(reverse("admin:forum_board_change", args=[board.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert fresh(member).is_staff


def test_group_is_recreated_if_an_administrator_deleted_it(board):
    Group.objects.filter(name=staff.GROUP_NAME).delete()
    member = make_user()
    board.moderators.add(member)
    assert fresh(member).groups.get().permissions.filter(codename="change_post").exists()


def test_board_moderator_logs_into_the_admin_with_a_password(client, board):
    member = make_user("版主甲", password="pw-123-abc")
    board.moderators.add(member)
    response = client.post("/admin/login/?next=/admin/",
                           {"username": "版主甲", "password": "pw-123-abc"})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


# --- seeing only their boards ------------------------------------------------------------

def test_thread_list_shows_only_the_moderators_boards(mod_client, thread, other_thread):
    page = mod_client.get(reverse("admin:forum_thread_changelist"))
    assert page.status_code == 200
    titles = {t.pk for t in page.context["cl"].result_list}
    assert titles == {thread.pk}


@pytest.mark.parametrize("url_name", [
    "admin:forum_thread_change", "admin:forum_thread_history",
])
def test_another_boards_thread_by_url_is_forbidden(mod_client, other_thread, url_name):
    response = mod_client.get(reverse(url_name, args=[other_thread.pk]))
    assert response.status_code == 403


def test_another_boards_post_report_and_log_by_url_are_forbidden(mod_client, other_thread,
                                                                 staff):
    post = opening_post(other_thread)
    reporter = make_user()
    report, _new = reports.report_post(post=post, reporter=reporter, reason="spam")
    mod.set_digest(thread=other_thread, actor=staff, digest=True)
    mod.delete_thread(thread=other_thread, actor=staff)
    log = ModerationLog.objects.filter(board=other_thread.board).first()
    for url in (
        reverse("admin:forum_post_change", args=[post.pk]),
        reverse("admin:forum_report_change", args=[report.pk]),
        reverse("admin:forum_moderationlog_change", args=[log.pk]),
        reverse("admin:forum_deletedthread_change", args=[other_thread.pk]),
    ):
        assert mod_client.get(url).status_code == 403, url


def test_a_missing_object_is_still_the_admins_usual_answer(mod_client):
    response = mod_client.get(reverse("admin:forum_thread_change", args=[999999]))
    assert response.status_code == 302  # "doesn't exist" message on the index


def test_actions_on_another_boards_threads_do_nothing(mod_client, thread, other_thread):
    act(mod_client, "thread", "make_digest", [thread, other_thread])
    assert fresh(thread).is_digest
    assert not fresh(other_thread).is_digest


def test_changing_another_boards_thread_by_post_is_forbidden(mod_client, other_thread):
    url = reverse("admin:forum_thread_change", args=[other_thread.pk])
    response = mod_client.post(url, {"title": "改掉", "board": other_thread.board_id,
                                     "sticky": 0})
    assert response.status_code == 403
    assert fresh(other_thread).title == "别的版块的主题"


def test_move_page_offers_only_the_moderators_boards(mod_client, thread, other_board):
    response = act(mod_client, "thread", "move_to_board", [thread])
    page = response.content.decode()
    assert f'value="{thread.board_id}"' in page
    assert f'value="{other_board.pk}"' not in page


def test_board_moderator_cannot_edit_boards(mod_client, board):
    url = reverse("admin:forum_board_change", args=[board.pk])
    assert mod_client.get(url).status_code == 200  # view only
    response = mod_client.post(url, {"name": "改名", "slug": board.slug,
                                     "category": board.category_id, "position": 0})
    assert response.status_code == 403
    assert fresh(board).name == board.name


def test_staff_see_every_board(admin_client, thread, other_thread):
    page = admin_client.get(reverse("admin:forum_thread_changelist"))
    assert {t.pk for t in page.context["cl"].result_list} == {thread.pk, other_thread.pk}


# --- thread actions with a reason ----------------------------------------------------------

def test_action_bar_reason_is_logged(mod_client, thread):
    act(mod_client, "thread", "close", [thread], reason="讨论结束")
    row = ModerationLog.objects.get()
    assert (row.action, row.reason, row.after) == ("close", "讨论结束", {"is_closed": True})


def test_change_form_flags_go_through_the_logged_services(admin_client, thread):
    url = reverse("admin:forum_thread_change", args=[thread.pk])
    response = admin_client.post(url, {
        "title": thread.title, "board": thread.board_id, "sticky": 2, "highlight": "blue",
        "reason": "表彰",
    })
    assert response.status_code == 302
    assert (fresh(thread).sticky, fresh(thread).highlight) == (2, "blue")
    assert set(ModerationLog.objects.values_list("action", "reason")) == {
        ("stick", "表彰"), ("highlight", "表彰")}


def test_stick_everywhere_action_is_refused_to_board_moderators(mod_client, thread):
    act(mod_client, "thread", "stick_global", [thread])
    assert fresh(thread).sticky == Thread.Sticky.NONE


def test_move_action_can_leave_a_redirect(admin_client, thread, other_board):
    act(admin_client, "thread", "move_to_board", [thread], board=other_board.pk, apply="yes",
        leave_redirect="on", reason="归类")
    assert fresh(thread).board_id == other_board.pk
    row = ModerationLog.objects.get()
    assert row.after["redirect"] is True and row.reason == "归类"


def test_merge_action_asks_which_thread_to_keep_then_merges(admin_client, thread):
    other = make_thread(board=thread.board, title="另一个")
    make_reply(thread=other)
    page = act(admin_client, "thread", "merge_threads", [thread, other])
    assert page.status_code == 200 and "admin/forum/moderation/confirm_action.html" in [
        t.name for t in page.templates]
    response = act(admin_client, "thread", "merge_threads", [thread, other], apply="yes",
                   target=thread.pk, reason="重复")
    assert response.status_code == 302
    assert not Thread.objects.filter(pk=other.pk).exists()
    assert fresh(thread).last_floor == 3
    assert {k: v for k, v in recount_all().items() if v} == {}


def test_highlight_action_sets_the_colour(admin_client, thread):
    act(admin_client, "thread", "highlight_titles", [thread], apply="yes", color="green")
    assert fresh(thread).highlight == "green"


def test_split_action_makes_a_new_thread(admin_client, thread):
    replies = [make_reply(thread=thread) for _ in range(3)]
    response = act(admin_client, "post", "split_to_new_thread", replies[1:], apply="yes",
                   title="拆出", board=thread.board_id, reason="跑题")
    assert response.status_code == 302
    new = Thread.objects.get(title="拆出")
    assert new.last_floor == 2 and fresh(thread).last_floor == 2
    assert {k: v for k, v in recount_all().items() if v} == {}


def test_split_action_refuses_posts_of_two_threads(admin_client, thread):
    a = make_reply(thread=thread)
    b = make_reply(thread=make_thread(board=thread.board))
    act(admin_client, "post", "split_to_new_thread", [a, b], apply="yes", title="x",
        board=thread.board_id)
    assert not Thread.objects.filter(title="x").exists()


# --- recycle bin -------------------------------------------------------------------------

def test_recycle_bin_lists_deleted_threads_and_posts_of_the_moderators_boards(
        mod_client, moderator, thread, other_thread, staff):
    reply = make_reply(thread=thread)
    mod.delete_post(post=reply, actor=moderator, reason="灌水")
    mod.delete_thread(thread=other_thread, actor=staff)
    kept = make_thread(board=thread.board)
    mod.delete_thread(thread=kept, actor=moderator, reason="广告")
    threads = mod_client.get(reverse("admin:forum_deletedthread_changelist"))
    assert [t.pk for t in threads.context["cl"].result_list] == [kept.pk]
    assert "广告" in threads.content.decode()
    posts = mod_client.get(reverse("admin:forum_deletedpost_changelist"))
    assert [p.pk for p in posts.context["cl"].result_list] == [reply.pk]


def test_restore_from_the_recycle_bin_brings_counters_back(mod_client, moderator, thread):
    make_reply(thread=thread)
    mod.delete_thread(thread=thread, actor=moderator)
    act(mod_client, "deletedthread", "restore", [thread], reason="恢复")
    assert not fresh(thread).is_deleted
    assert ModerationLog.objects.filter(action="restore_thread", reason="恢复").exists()
    assert {k: v for k, v in recount_all().items() if v} == {}


# --- log -------------------------------------------------------------------------------------

def test_the_log_is_read_only(admin_client, thread, staff):
    mod.set_digest(thread=thread, actor=staff, digest=True)
    row = ModerationLog.objects.get()
    url = reverse("admin:forum_moderationlog_change", args=[row.pk])
    assert admin_client.get(url).status_code == 200
    assert admin_client.post(url, {"reason": "篡改"}).status_code == 403
    assert fresh(row).reason == ""
    assert admin_client.get(reverse("admin:forum_moderationlog_add")).status_code == 403
    delete = reverse("admin:forum_moderationlog_delete", args=[row.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    assert ModerationLog.objects.exists()


def test_the_moderator_sees_the_log_of_their_boards_only(mod_client, thread, other_thread,
                                                       staff):
    mod.set_digest(thread=thread, actor=staff, digest=True)
    mod.set_digest(thread=other_thread, actor=staff, digest=True)
    page = mod_client.get(reverse("admin:forum_moderationlog_changelist"))
    assert [r.thread_id for r in page.context["cl"].result_list] == [thread.pk]


# --- reports -------------------------------------------------------------------------------

def test_report_queue_resolve_with_delete(mod_client, thread, django_capture_on_commit_callbacks):
    reply = make_reply(thread=thread)
    reporter = make_user()
    report, _new = reports.report_post(post=reply, reporter=reporter, reason="spam")
    queue = mod_client.get(reverse("admin:forum_report_changelist"))
    assert [r.pk for r in queue.context["cl"].result_list] == [report.pk]
    with django_capture_on_commit_callbacks(execute=True):
        act(mod_client, "report", "resolve_and_delete", [report], reason="确属广告")
    assert fresh(report).status == Report.Status.RESOLVED
    assert fresh(reply).is_deleted
    assert reporter.notifications.filter(data__action="report_resolved").exists()
    assert {r.action for r in ModerationLog.objects.all()} == {"resolve_report", "delete_post"}


def test_handled_reports_leave_the_default_queue(mod_client, thread, moderator):
    report, _new = reports.report_post(post=opening_post(thread), reporter=make_user(),
                                       reason="abuse")
    reports.dismiss_report(report=report, actor=moderator)
    queue = mod_client.get(reverse("admin:forum_report_changelist"))
    assert list(queue.context["cl"].result_list) == []
    everything = mod_client.get(reverse("admin:forum_report_changelist") + "?status=all")
    assert [r.pk for r in everything.context["cl"].result_list] == [report.pk]


# --- approval queue ------------------------------------------------------------------------

def test_approving_from_the_queue_publishes_the_reply(mod_client, thread):
    newbie = make_user()
    pending = approval.queue_reply(thread=thread, author=newbie, body="新人的回复")
    act(mod_client, "pendingpost", "approve", [pending])
    assert fresh(pending).status == PendingPost.Status.APPROVED
    post = Post.objects.get(thread=thread, author=newbie)
    assert post.floor == 2 and fresh(pending).post_id == post.pk
    assert {k: v for k, v in recount_all().items() if v} == {}


# --- bans ---------------------------------------------------------------------------------

def test_ban_add_form_prefills_the_member_and_bans_through_the_service(mod_client):
    member = make_user()
    page = mod_client.get(reverse("admin:forum_ban_add") + f"?user={member.pk}")
    assert page.status_code == 200
    assert f'value="{member.pk}"' in page.content.decode()
    assert 'value="access"' not in page.content.decode()  # board moderators: posting only
    response = mod_client.post(reverse("admin:forum_ban_add"), {
        "user": member.pk, "scope": "posting", "duration": "3", "reason": "辱骂他人",
    })
    assert response.status_code == 302
    ban = Ban.objects.get(user=member)
    assert ban.is_active() and ban.expires_at is not None
    assert ModerationLog.objects.filter(action="ban", target_user=member).exists()


def test_ban_form_refuses_banning_staff_with_a_message(admin_client):
    other_staff = make_user(staff=True)
    response = admin_client.post(reverse("admin:forum_ban_add"), {
        "user": other_staff.pk, "scope": "posting", "duration": "", "reason": "x",
    })
    assert response.status_code == 200
    assert "cannot be banned" in response.content.decode() or "不能" in response.content.decode()
    assert not Ban.objects.exists()


def test_lift_action_ends_a_ban(admin_client):
    member = make_user()
    from forum.moderation import bans

    ban = bans.ban_member(user=member, actor=make_user(superuser=True), reason="刷屏")
    act(admin_client, "ban", "lift", [ban], reason="已道歉")
    assert not fresh(ban).is_active()


# --- posts by IP ---------------------------------------------------------------------------

def test_posts_by_ip_lists_a_members_addresses_and_an_addresses_members(admin_client, thread):
    member = make_user("马甲")
    reply = make_reply(thread=thread, author=member)
    Post.objects.filter(pk=reply.pk).update(author_ip="203.0.113.9")
    page = admin_client.get(reverse("admin:forum_post_ips") + "?user=马甲")
    assert page.status_code == 200 and "203.0.113.9" in page.content.decode()
    page = admin_client.get(reverse("admin:forum_post_ips") + "?ip=203.0.113.9")
    assert "马甲" in page.content.decode()
    bad = admin_client.get(reverse("admin:forum_post_ips") + "?ip=not-an-ip")
    assert bad.status_code == 200


def test_posts_by_ip_is_scoped_for_board_moderators(mod_client, other_thread):
    Post.objects.filter(thread=other_thread).update(author_ip="198.51.100.7")
    page = mod_client.get(reverse("admin:forum_post_ips") + "?ip=198.51.100.7")
    assert other_thread.author.get_username() not in page.content.decode()
