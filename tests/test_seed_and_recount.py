"""Demo seed, counter recount and the small maintenance commands.

The seed writes everything through forum.services, so "recount finds nothing to
repair after seeding" checks the services' counter bookkeeping on a realistic
mix of threads, replies, edits, tags and flags.
"""

import datetime
import re
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from accounts.models import Profile
from forum import markup, services, views_counter
from forum.models import Board, Post, SiteSettings, Tag, Thread
from forum.recount import recount_all

pytestmark = pytest.mark.django_db

REFERENCE_TITLE = "秘书工作:把握新定位 服务新目标"


def run(command: str, **options) -> str:
    out = StringIO()
    call_command(command, stdout=out, **options)
    return out.getvalue()


def seed(threads: int = 4, **options) -> str:
    return run("seed_demo", threads=threads, **options)


def no_changes(changes: dict) -> dict:
    return {name: n for name, n in changes.items() if n}


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    # The real hasher is slow by design; these tests only need check_password to work.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def seeded():
    seed()
    return Thread.objects.get(title=REFERENCE_TITLE)


def test_seed_creates_the_reference_thread(seeded):
    ref = seeded
    assert ref.author.get_username() == "刘正平"
    assert ref.board.slug == "mishu"
    assert ref.created_at == datetime.datetime(
        2012, 5, 23, 13, 17, 16, tzinfo=ZoneInfo("Asia/Shanghai")
    )
    assert list(ref.tags.values_list("name", flat=True)) == ["定位工作"]
    replies = ref.posts.filter(floor__gt=1).order_by("floor")
    assert [p.body for p in replies] == ["办公室工作应注意从小处着手", "6666666666666666666666"]
    assert {p.author_id for p in replies}.isdisjoint({ref.author_id})
    assert len({p.author_id for p in replies}) == 2
    assert ref.reply_count == 2 and ref.last_floor == 3
    opening = ref.posts.get(floor=1)
    assert "[hide]" in opening.body and opening.has_hidden
    assert opening.body.startswith("改革开放以来")
    assert opening.body.rstrip().endswith("作者:刘正平")


def test_seed_creates_the_big_thread_boards_members_and_settings():
    out = seed(threads=3)
    mega = Thread.objects.get(posts__floor=321)
    assert mega.posts.filter(floor__gt=1).count() == 320
    assert mega.reply_count == 320 and mega.page_count > 1

    assert Board.objects.get(slug="mishu").moderators.exists()
    assert Board.objects.get(slug="fanwen").parent.slug == "gongwen"
    assert {"mishu", "gongwen", "jianghua", "zonghe", "notice"} <= set(
        Board.objects.values_list("slug", flat=True)
    )
    # 3 generated threads plus the fixed ones (reference, big thread, notices).
    assert Thread.objects.count() >= 3 + 2
    assert Thread.objects.filter(is_closed=True).count() == 1
    assert Thread.objects.filter(sticky=Thread.Sticky.BOARD).exists()
    assert Thread.objects.filter(is_digest=True).exists()

    member = get_user_model().objects.get(username="王芳")
    assert member.check_password("demo-pass-2024")
    assert get_user_model().objects.count() == 12
    assert "demo-pass-2024" in out

    site = SiteSettings.load()
    assert site.name == "老秘网" and site.record_number.startswith("京ICP备")


def test_seed_if_empty_is_idempotent():
    seed(threads=2, if_empty=True)
    before = (Thread.objects.count(), Post.objects.count(), get_user_model().objects.count())
    out = seed(threads=2, if_empty=True)
    after = (Thread.objects.count(), Post.objects.count(), get_user_model().objects.count())
    assert after == before
    assert "boards exist" in out


def test_seed_refuses_a_non_empty_forum_without_if_empty():
    seed(threads=1)
    with pytest.raises(CommandError):
        seed(threads=1)


def test_recount_finds_nothing_to_repair_after_seeding(seeded):
    assert no_changes(recount_all()) == {}
    assert "already exact" in run("recount")


def moderator_of(thread):
    return thread.board.moderators.order_by("pk").first()


def test_recount_agrees_after_deletes_and_restores(seeded):
    moderator = moderator_of(seeded)
    mega = Thread.objects.get(posts__floor=321)
    services.delete_post(post=mega.posts.get(floor=321), actor=moderator_of(mega))
    services.delete_post(post=seeded.posts.get(floor=2), actor=moderator)
    services.delete_thread(thread=seeded, actor=moderator)
    assert no_changes(recount_all()) == {}
    services.restore_thread(thread=seeded, actor=moderator)
    assert no_changes(recount_all()) == {}


def test_recount_repairs_corrupted_counters(seeded):
    board = Board.objects.get(slug="mishu")
    tag = Tag.objects.get(name="定位工作")
    profile = Profile.objects.get(user__username="刘正平")
    Board.objects.filter(pk=board.pk).update(post_count=0, last_post=None)
    Thread.objects.filter(pk=seeded.pk).update(reply_count=99, last_floor=1, last_poster=None)
    Tag.objects.filter(pk=tag.pk).update(thread_count=7)
    Profile.objects.filter(pk=profile.pk).update(thread_count=0, post_count=0)

    changes = no_changes(recount_all())

    assert changes == {
        "board.post_count": 1, "board.last_post": 1,
        "thread.reply_count": 1, "thread.last_floor": 1, "thread.last_poster": 1,
        "tag.thread_count": 1, "profile.post_count": 1, "profile.thread_count": 1,
    }
    fixed = Board.objects.get(pk=board.pk)
    assert fixed.post_count == board.post_count and fixed.last_post_id == board.last_post_id
    seeded.refresh_from_db()
    assert (seeded.reply_count, seeded.last_floor) == (2, 3)
    assert Tag.objects.get(pk=tag.pk).thread_count == 1
    assert Profile.objects.get(pk=profile.pk).thread_count == profile.thread_count
    assert no_changes(recount_all()) == {}


def test_recount_today_counter(seeded):
    board = seeded.board
    member = get_user_model().objects.get(username="wenmi2012")
    services.create_reply(thread=seeded, author=member, body="今天补一句。")
    board.refresh_from_db()
    assert board.posts_today >= 1
    assert no_changes(recount_all()) == {}

    Board.objects.filter(pk=board.pk).update(today_post_count=board.today_post_count + 5)
    assert no_changes(recount_all()) == {"board.today_post_count": 1}
    assert Board.objects.get(pk=board.pk).posts_today == board.posts_today

    # A count left over from an earlier day already reads as zero: nothing to repair.
    quiet = Board.objects.get(slug="notice")
    if quiet.posts_today == 0:
        yesterday = timezone.localdate() - datetime.timedelta(days=1)
        Board.objects.filter(pk=quiet.pk).update(today_date=yesterday, today_post_count=3)
        assert no_changes(recount_all()) == {}


def test_ensure_admin_creates_exactly_one_superuser():
    users = get_user_model().objects
    first = run("ensure_admin")
    assert users.filter(is_superuser=True).count() == 1
    admin = users.get(is_superuser=True)
    assert admin.get_username() == "admin" and admin.email == "admin@example.com"
    password = re.search(r"密码 / password: (\S+)", first).group(1)
    assert admin.check_password(password)

    second = run("ensure_admin")
    assert users.filter(is_superuser=True).count() == 1
    assert "changepassword admin" in second
    assert password not in second


def test_rerender_refreshes_outdated_posts(seeded):
    opening = seeded.posts.get(floor=1)
    expected = opening.html
    Post.objects.filter(pk=opening.pk).update(html="", html_public="", render_version=0)

    out = run("rerender")

    opening.refresh_from_db()
    assert opening.html == expected and opening.render_version == markup.RENDER_VERSION
    assert opening.edit_count == 0
    assert "Re-rendered 1 post" in out
    assert f"Re-rendered {Post.objects.count()} post" in run("rerender", everything=True)


def test_flush_views_writes_buffered_views(seeded):
    cache.clear()
    before = Thread.objects.get(pk=seeded.pk).view_count
    for _ in range(3):
        views_counter.count_view(seeded.pk)
    run("flush_views")
    assert Thread.objects.get(pk=seeded.pk).view_count == before + 3
