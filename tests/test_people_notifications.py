"""Notifications: one per event, public text only, after commit; the unread count,
marking read, and emails with their per-kind opt-out."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts import notifications as notices
from accounts import services
from accounts.models import Follow, Notification, Profile
from forum import markup
from forum import services as forum
from forum.recount import recount_all
from tests.factories import fresh, make_reply, make_user
from tests.people_helpers import english, people_defaults  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("people_defaults")]
CANARY = "HIDDEN-CANARY-4711"


@pytest.fixture
def live(django_capture_on_commit_callbacks):
    """Run what the services schedule after commit, as a real request would."""
    def run(func, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return func(**kwargs)
    return run


def inbox(user) -> list[tuple[str, int | None]]:
    return list(Notification.objects.filter(recipient=user).order_by("pk")
                .values_list("kind", "actor_id"))


def unread(user) -> int:
    return Profile.objects.get(user=user).unread_notification_count


def test_a_reply_notifies_the_thread_author(live, thread, author, member):
    post = live(forum.create_reply, thread=thread, author=member, body="写得好")
    assert inbox(author) == [("reply", member.pk)]
    n = Notification.objects.get(recipient=author)
    assert (n.thread_id, n.post_id, n.excerpt) == (thread.pk, post.pk, "写得好")
    assert unread(author) == 1


def test_replying_to_your_own_thread_notifies_nobody(live, thread, author):
    live(forum.create_reply, thread=thread, author=author, body="自己顶一下")
    assert not Notification.objects.exists()


def test_a_quote_notifies_the_quoted_member(live, thread, author, member):
    quoted = make_reply(thread=thread, author=member, body="我的观点")
    third = make_user("third")
    body = markup.quote_source(member.username, quoted.body) + "同意"
    live(forum.create_reply, thread=thread, author=third, body=body)
    assert inbox(member) == [("quote", third.pk)]
    # (The quoted reply itself notified the author too: notices commit with the post.)
    assert inbox(author) == [("reply", member.pk), ("reply", third.pk)]


def test_a_mention_notifies_and_links_the_member(live, thread, member):
    wang = make_user("王芳")
    post = live(forum.create_reply, thread=thread, author=member,
                body="请@王芳看看，还有 @nobody 和 `@王芳` 代码")
    assert inbox(wang) == [("mention", member.pk)]
    assert '<a href="/u/%E7%8E%8B%E8%8A%B3/" class="mention">@王芳</a>' in fresh(post).html
    assert "<code>@王芳</code>" in fresh(post).html
    assert "nobody" not in "".join(fresh(post).html.split('class="mention"')[2:])


def test_a_chinese_mention_without_a_space_finds_the_longest_name(live, thread, member):
    zhang = make_user("张伟")
    live(forum.create_reply, thread=thread, author=member, body="@张伟你好")
    assert inbox(zhang) == [("mention", member.pk)]


def test_one_notification_per_person_per_post(live, thread, author, member):
    live(forum.create_reply, thread=thread, author=member, body=f"@{author.username} 你好")
    assert inbox(author) == [("mention", member.pk)]


def test_a_mention_inside_a_hidden_block_notifies_nobody_and_leaks_nothing(live, thread,
                                                                          member):
    wang = make_user("wangfang", email="wang@example.com")
    live(forum.create_reply, thread=thread, author=member,
         body=f"公开部分 [hide]@wangfang {CANARY}[/hide]")
    assert not Notification.objects.filter(recipient=wang).exists()
    for n in Notification.objects.all():
        assert CANARY not in n.excerpt
    assert all(CANARY not in m.body and CANARY not in m.subject for m in mail.outbox)


def test_reply_notification_and_email_carry_public_text_only(live, thread, author, member):
    author.email = "author@example.com"
    author.save()
    live(forum.create_reply, thread=thread, author=member, body=f"看得见 [hide]{CANARY}[/hide]")
    n = Notification.objects.get(recipient=author)
    assert n.excerpt == "看得见" and CANARY not in n.excerpt
    assert len(mail.outbox) == 1
    assert CANARY not in mail.outbox[0].body and "看得见" in mail.outbox[0].body
    assert mail.outbox[0].to == ["author@example.com"]


def test_a_new_follower_is_notified(live, member, author):
    live(services.follow, follower=member, followee=author)
    assert inbox(author) == [("follow", member.pk)]


def test_a_moderator_action_notifies_the_author_with_the_reason(live, thread, member, staff):
    reply = make_reply(thread=thread, author=member)
    live(forum.delete_post, post=reply, actor=staff, reason="广告")
    n = Notification.objects.get(recipient=member)
    assert n.kind == "moderation" and n.data["action"] == "delete_post"
    assert n.data["reason"] == "广告"
    assert "deleted your post" in english_describe(n)


def english_describe(n) -> str:
    from django.utils import translation

    with translation.override("en"):
        return notices.describe(n)


def test_digest_close_and_move_notify_the_author(live, thread, author, staff, board):
    from tests.factories import make_board

    live(forum.set_thread_flags, thread=thread, actor=staff, is_digest=True, is_closed=True)
    live(forum.move_thread, thread=thread, actor=staff, board=make_board(name="新版块"))
    actions = sorted(n.data["action"] for n in Notification.objects.filter(recipient=author))
    assert actions == ["close", "digest", "move"]


def test_the_same_moderator_action_reported_twice_is_one_notification(live, thread, author,
                                                                      staff):
    live(notices.moderation, recipient_id=author.pk, actor_id=staff.pk,
         action="delete_thread", thread_id=thread.pk)
    live(notices.moderation, recipient_id=author.pk, actor_id=staff.pk,
         action="delete_thread", thread_id=thread.pk, reason="重复")
    n = Notification.objects.get(recipient=author)
    assert n.data["reason"] == "重复"


def test_backdated_writes_notify_nobody(live, thread, author, member):
    from django.utils import timezone

    live(forum.create_reply, thread=thread, author=member, body="补录",
         created_at=timezone.now())
    assert not Notification.objects.exists()


def test_a_new_posts_notices_commit_with_it_and_mail_waits_for_the_commit(thread, author,
                                                                          member):
    author.email = "author@example.com"
    author.save()
    forum.create_reply(thread=thread, author=member, body="未提交")
    assert inbox(author) == [("reply", member.pk)]  # written in the reply's transaction
    assert mail.outbox == []  # the test's transaction never commits: nothing mailed
    assert Notification.objects.get(recipient=author).email_pending


def test_a_failing_notification_never_breaks_the_post(live, monkeypatch, thread, author,
                                                       member):
    def boom(*args, **kwargs):
        raise RuntimeError("mention lookup on fire")

    monkeypatch.setattr(notices, "_recipients", boom)
    post = live(forum.create_reply, thread=thread, author=member, body="照样发出")
    assert fresh(post).body == "照样发出"
    assert not Notification.objects.exists()


def test_mail_trouble_never_breaks_the_post(live, settings, thread, author, member):
    settings.EMAIL_BACKEND = "tests.test_people_notifications.BrokenBackend"
    author.email = "author@example.com"
    author.save()
    live(forum.create_reply, thread=thread, author=member, body="照样发出")
    assert inbox(author) == [("reply", member.pk)]


class BrokenBackend:
    def __init__(self, *args, **kwargs):
        pass

    def send_messages(self, messages):
        raise OSError("connection refused")


def test_emails_respect_the_members_opt_out(live, thread, author, member):
    author.email = "author@example.com"
    author.save()
    Profile.objects.filter(user=author).update(email_muted=["reply"])
    live(forum.create_reply, thread=thread, author=member, body="不发邮件")
    assert inbox(author) == [("reply", member.pk)]
    assert mail.outbox == []


def test_header_shows_the_unread_count_and_the_page_lists_them(live, client_for, thread,
                                                               author, member):
    live(forum.create_reply, thread=thread, author=member, body="第一条")
    page = english(client_for(author)).get("/").content.decode()
    assert 'class="count-badge"' in page and ">1</span>" in page
    listing = english(client_for(author)).get("/notifications/").content.decode()
    assert "replied to your thread" in listing and "第一条" in listing


def test_opening_a_notification_marks_it_read_and_goes_to_the_post(live, client_for, thread,
                                                                   author, member):
    post = live(forum.create_reply, thread=thread, author=member, body="去看看")
    n = Notification.objects.get(recipient=author)
    response = client_for(author).get(f"/notifications/{n.pk}/")
    assert response["Location"] == f"/p/{post.pk}/"
    assert fresh(n).read_at is not None and unread(author) == 0


def test_nobody_opens_someone_elses_notification(live, client_for, thread, author, member):
    live(forum.create_reply, thread=thread, author=member, body="私信")
    n = Notification.objects.get(recipient=author)
    assert client_for(member).get(f"/notifications/{n.pk}/").status_code == 404


def test_mark_all_read(live, client_for, thread, author, member):
    for text in ("一", "二"):
        live(forum.create_reply, thread=thread, author=member, body=text)
    assert unread(author) == 2
    client_for(author).post("/notifications/read/")
    assert unread(author) == 0
    assert not Notification.objects.filter(recipient=author, read_at=None).exists()
    assert {k: v for k, v in recount_all().items() if v} == {}


def test_recount_repairs_the_unread_count(live, thread, author, member):
    live(forum.create_reply, thread=thread, author=member, body="一")
    Profile.objects.filter(user=author).update(unread_notification_count=5)
    assert recount_all()["profile.unread_notifications"] == 1
    assert unread(author) == 1


def test_the_header_costs_a_guest_no_query_for_notifications(client_for, board):
    with CaptureQueriesContext(connection) as ctx:
        client_for().get("/")
    assert not any("accounts_profile" in q["sql"] or "notification" in q["sql"]
                   for q in ctx.captured_queries)


def test_the_header_costs_a_member_no_extra_query(client_for, member, board):
    """The profile (with the unread count) comes with the member in one query."""
    client = client_for(member)
    client.get("/")
    with CaptureQueriesContext(connection) as ctx:
        client.get("/")
    profile_queries = [q for q in ctx.captured_queries if "accounts_profile" in q["sql"]]
    assert len(profile_queries) == 1 and "auth_user" in profile_queries[0]["sql"]


def test_muted_writes_notify_nobody(live, thread, author, member):
    with notices.muted():
        live(forum.create_reply, thread=thread, author=member, body="导入的历史回复")
    assert not Notification.objects.exists()


def test_the_demo_seed_has_follows_ledger_credits_and_a_few_notifications():
    from io import StringIO

    from django.core.management import call_command

    from accounts.models import CreditLog

    call_command("seed_demo", threads=3, stdout=StringIO())
    assert Follow.objects.count() > 10
    star = Profile.objects.get(user__username="刘正平")
    assert star.follower_count > 0 and star.credits > 0
    assert CreditLog.objects.filter(action="daily_login").exists()
    assert 0 < Notification.objects.count() <= 10
    assert mail.outbox == []
    assert {k: v for k, v in recount_all().items() if v} == {}


def test_following_again_the_same_day_does_not_notify_again(live, member, author):
    live(services.follow, follower=member, followee=author)
    live(services.unfollow, follower=member, followee=author)
    live(services.follow, follower=member, followee=author)
    assert inbox(author) == [("follow", member.pk)]
