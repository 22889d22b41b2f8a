"""The Discuz! X3.5 fixture, imported once for this module (tests/discuz_fixture.py).

Every count is compared with what Discuz! itself holds, read from the fixture
database with SQL, never with a number written here.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from accounts.models import CreditAction, CreditLog, Favorite, Follow, Notification, Profile
from discuz.importer import run_import
from discuz.models import ImportedObject
from forum.models import Attachment, Ban, Board, Category, Post, Thread, ThreadRedirect
from forum.recount import recount_all
from tests.test_hidden_leaks import _channels, _dump

# The fixtures discuz_db (session) and imported (module) live there.
pytest_plugins = ["tests.discuz_fixture"]
pytestmark = pytest.mark.django_db

User = get_user_model()
Kind = ImportedObject.Kind


def new_id(kind: str, old_id: int) -> int:
    found = ImportedObject.new_id_for(kind, old_id)
    assert found is not None, f"{kind} {old_id} was not imported"
    return found


def thread_of(tid: int) -> Thread:
    return Thread.objects.get(pk=new_id(Kind.THREAD, tid))


def user_of(uid: int):
    return User.objects.select_related("profile").get(pk=new_id(Kind.MEMBER, uid))


def post_of(pid: int) -> Post:
    return Post.objects.get(pk=new_id(Kind.POST, pid))


# --- counts equal Discuz!'s own ----------------------------------------------------------

def test_categories_boards_and_sub_boards(imported, discuz_db):
    rows = discuz_db.query("SELECT fid, fup, type, name FROM pre_forum_forum "
                           "WHERE type IN ('group', 'forum', 'sub')")
    assert Category.objects.count() == sum(r["type"] == "group" for r in rows)
    assert Board.objects.count() == sum(r["type"] != "group" for r in rows)
    for row in rows:
        if row["type"] == "group":
            assert Category.objects.get(pk=new_id(Kind.CATEGORY, row["fid"])).name == row["name"]
            continue
        board = Board.objects.get(pk=new_id(Kind.BOARD, row["fid"]))
        assert board.name == row["name"]
        if row["type"] == "sub":
            assert board.parent_id == new_id(Kind.BOARD, row["fup"])
        else:
            assert board.parent_id is None
            assert board.category_id == new_id(Kind.CATEGORY, row["fup"])
    described = discuz_db.query("SELECT fid, description FROM pre_forum_forumfield "
                                "WHERE description <> ''")
    for row in described:
        board = Board.objects.get(pk=new_id(Kind.BOARD, row["fid"]))
        assert board.description == row["description"]


def test_board_moderators(imported, discuz_db):
    for row in discuz_db.query("SELECT uid, fid FROM pre_forum_moderator"):
        board = Board.objects.get(pk=new_id(Kind.BOARD, row["fid"]))
        moderator = user_of(row["uid"])
        assert list(board.moderators.all()) == [moderator]
        assert moderator.is_staff and not moderator.is_superuser  # the console, scoped


def test_threads_per_board(imported, discuz_db):
    rows = discuz_db.query("SELECT fid, COUNT(*) AS n, SUM(displayorder >= 0) AS live "
                           "FROM pre_forum_thread WHERE closed <= 1 GROUP BY fid")
    for row in rows:
        board = Board.objects.get(pk=new_id(Kind.BOARD, row["fid"]))
        assert board.threads.count() == row["n"]
        assert board.thread_count == row["live"]


def test_posts_per_thread_by_position(imported, discuz_db):
    discuz = defaultdict(list)
    for row in discuz_db.query("SELECT tid, position FROM pre_forum_post ORDER BY position"):
        discuz[row["tid"]].append(row["position"])
    tids = {new_id(Kind.THREAD, tid): tid for tid in discuz}
    ours = defaultdict(list)
    for thread_id, floor in Post.objects.order_by("floor").values_list("thread_id", "floor"):
        ours[tids[thread_id]].append(floor)
    assert ours == discuz
    assert len(ours[1]) == 201  # thread 1: the opening post and its 200 replies


def test_reply_counts_views_and_times(imported, discuz_db):
    rows = discuz_db.query("SELECT tid, replies, views, dateline FROM pre_forum_thread "
                           "WHERE closed <= 1")
    threads = {t.pk: t for t in Thread.objects.all()}
    for row in rows:
        thread = threads[new_id(Kind.THREAD, row["tid"])]
        assert thread.reply_count == row["replies"], row["tid"]
        assert thread.view_count == row["views"]
        assert thread.created_at.timestamp() == row["dateline"]


def test_members_and_their_profiles(imported, discuz_db):
    rows = discuz_db.query(
        "SELECT m.uid, m.username, m.email, m.regdate, m.credits, s.lastvisit "
        "FROM pre_common_member m JOIN pre_common_member_status s ON s.uid = m.uid")
    assert ImportedObject.objects.filter(kind=Kind.MEMBER).exclude(old_id=0).count() == len(rows)
    for row in rows:
        user = user_of(row["uid"])
        assert (user.username, user.email) == (row["username"], row["email"])
        assert user.date_joined.timestamp() == row["regdate"]
        assert user.profile.last_seen_at.timestamp() >= row["lastvisit"]
        # Discuz!'s total (what its [hide=N] compares) is our balance, explained by the ledger.
        assert user.profile.credits == row["credits"]
        total = CreditLog.objects.filter(user=user).aggregate(s=Sum("amount"))["s"] or 0
        assert total == row["credits"]


def test_opening_ledger_entry_per_credit_type(imported, discuz_db):
    row = discuz_db.query("SELECT extcredits2 FROM pre_common_member_count WHERE uid = 2")[0]
    entries = CreditLog.objects.filter(user=user_of(2))
    money = entries.get(note__contains="金钱")  # the install's name for extcredits2
    assert money.amount == row["extcredits2"]
    assert money.created_at == user_of(2).date_joined  # backdated, not "earned this week"


def test_staff_and_banned_members(imported, discuz_db):
    admin = user_of(1)
    assert admin.is_superuser and admin.is_staff
    banned = discuz_db.query("SELECT uid FROM pre_common_member WHERE groupid = 4")
    assert banned
    for row in banned:
        ban = Ban.objects.active().get(user=user_of(row["uid"]))
        assert ban.scope == Ban.Scope.POSTING
        crime = discuz_db.query("SELECT reason FROM pre_common_member_crime WHERE uid = %s "
                                "ORDER BY cid DESC LIMIT 1", [row["uid"]])
        assert ban.reason == crime[0]["reason"]
    assert Ban.objects.count() == len(banned)


def test_signature_from_html(imported):
    profile = user_of(2).profile
    assert "**张伟**" in profile.signature
    assert "[我的主页](https://example.com/zw)" in profile.signature
    assert "<font" not in profile.signature_html and "onclick" not in profile.signature_html
    assert '<a href="https://example.com/zw"' in profile.signature_html


def test_passwords_kept_in_the_agreed_format(imported, discuz_db):
    for row in discuz_db.query("SELECT uid, password FROM pre_ucenter_members"):
        assert user_of(row["uid"]).password == f"discuz_bcrypt${row['password']}"


def test_follows(imported, discuz_db):
    rows = discuz_db.query("SELECT uid, followuid FROM pre_home_follow")
    expected = {(new_id(Kind.MEMBER, r["uid"]), new_id(Kind.MEMBER, r["followuid"])) for r in rows}
    assert set(Follow.objects.values_list("follower_id", "followee_id")) == expected
    followers = Counter(followee for _f, followee in expected)
    for user_id, n in followers.items():
        assert Profile.objects.get(user_id=user_id).follower_count == n


def test_favorites_of_threads(imported, discuz_db):
    rows = discuz_db.query("SELECT favid, uid, id, dateline FROM pre_home_favorite "
                           "WHERE idtype = 'tid'")
    assert len(rows) == 2  # the fixture's: member 7 -> tid 1006, member 3 -> tid 1008
    expected = {(new_id(Kind.MEMBER, r["uid"]), new_id(Kind.THREAD, r["id"])) for r in rows}
    assert set(Favorite.objects.values_list("user_id", "thread_id")) == expected
    for row in rows:
        favorite = Favorite.objects.get(pk=new_id(Kind.FAVORITE, row["favid"]))
        assert favorite.created_at.timestamp() == row["dateline"]
    assert thread_of(1006) in {f.thread for f in Favorite.objects.filter(user=user_of(7))}


def test_favorites_show_on_the_members_own_tab_only(imported, client_for):
    member = user_of(7)
    url = reverse("accounts:favorites", args=[member.get_username()])
    page = client_for(member).get(url)
    assert page.status_code == 200
    assert thread_of(1006).title in page.content.decode()
    assert client_for(user_of(3)).get(url).status_code == 403


def test_custom_title_comes_with_the_member(imported, discuz_db):
    rows = discuz_db.query("SELECT uid, customstatus FROM pre_common_member_field_forum "
                           "WHERE customstatus <> ''")
    assert rows  # the fixture has one: uid 2, 行政部版主
    for row in rows:
        assert user_of(row["uid"]).profile.custom_title == row["customstatus"]
    titled = {user_of(r["uid"]).pk for r in rows}
    assert not Profile.objects.exclude(user_id__in=titled).exclude(custom_title="").exists()


def test_custom_title_unescaped_from_discuz_and_shown_on_cards(imported, discuz_db, client_for):
    with discuz_db.changed("DELETE FROM pre_common_member WHERE uid = 9101",
                           "DELETE FROM pre_common_member_field_forum WHERE uid = 9101"):
        discuz_db.execute(
            "INSERT INTO pre_common_member (uid, email, username, password, status, "
            "emailstatus, adminid, groupid, regdate, credits) VALUES "
            "(9101, 'title@example.com', 'titled', '', 0, 1, 0, 10, 1700000000, 0)")
        # Discuz! keeps it HTML-escaped; ours is the plain text, escaped when shown.
        discuz_db.execute(
            "INSERT INTO pre_common_member_field_forum (uid, sightml, customstatus) VALUES "
            "(9101, '', '&lt;b&gt;老秘&lt;/b&gt;')")
        report = run_import(dsn=discuz_db.dsn, progress=False)
    assert report.counts["members"] == 1
    assert user_of(9101).profile.custom_title == "<b>老秘</b>"
    page = client_for(None).get(thread_of(1006).get_absolute_url()).content.decode()
    assert '<div class="author-title">行政部版主</div>' in page  # uid 2 wrote tid 1006


def test_tags_per_thread(imported, discuz_db):
    rows = discuz_db.query(
        "SELECT i.itemid, t.tagname FROM pre_common_tagitem i "
        "JOIN pre_common_tag t ON t.tagid = i.tagid WHERE i.idtype = 'tid'")
    expected = defaultdict(set)
    for row in rows:
        expected[row["itemid"]].add(row["tagname"])
    for tid, names in expected.items():
        assert set(thread_of(tid).tags.values_list("name", flat=True)) == names


# --- thread and post states ----------------------------------------------------------------

def test_thread_flags(imported, discuz_db):
    assert thread_of(1006).sticky == Thread.Sticky.BOARD
    assert thread_of(2).sticky == Thread.Sticky.GLOBAL
    assert thread_of(1007).is_digest
    assert thread_of(1009).is_closed
    assert thread_of(1010).highlight == Thread.Highlight.RED
    assert not thread_of(5).is_closed and not thread_of(5).is_digest
    moved = discuz_db.query("SELECT fid FROM pre_forum_thread WHERE tid = 3")[0]
    assert thread_of(3).board_id == new_id(Kind.BOARD, moved["fid"])


def test_recycle_bin_and_deleted_reply_stay_deleted(imported, client_for):
    binned = thread_of(1015)
    assert binned.is_deleted
    assert client_for(None).get(binned.get_absolute_url()).status_code == 404
    deleted = post_of(2724)
    assert deleted.is_deleted and deleted.floor == 3
    page = client_for(None).get(thread_of(1009).get_absolute_url()).content.decode()
    assert deleted.body[:12] not in page


def test_floors_of_the_sub_board_and_big_thread(imported):
    assert post_of(2717).thread.board_id == new_id(Kind.BOARD, 5)
    big = thread_of(1)
    assert big.last_floor == 201 and big.page_count > 1


def test_recount_changes_nothing_after_import(imported):
    assert not any(recount_all().values())


def test_second_run_imports_nothing(imported, discuz_db):
    before = ImportedObject.objects.count()
    report = run_import(dsn=discuz_db.dsn, progress=False)
    assert set(report.counts.values()) == {0}
    assert ImportedObject.objects.count() == before


def test_rows_added_to_discuz_come_over_on_the_next_run(imported, discuz_db):
    now = int(timezone.now().timestamp())
    with discuz_db.changed(
        "DELETE FROM pre_forum_post WHERE pid = 9001",
        "DELETE FROM pre_home_follow WHERE uid = 4 AND followuid = 2",
    ):
        discuz_db.execute(
            "INSERT INTO pre_forum_post (pid, fid, tid, first, author, authorid, subject, "
            "dateline, message, useip, invisible, position, premsg) VALUES "
            "(9001, 2, 1001, 0, '李娜', 4, '', %s, '[b]新回复[/b] LATEREPLY', '127.0.0.1', "
            "0, 7, '')", [now])
        discuz_db.execute(
            "INSERT INTO pre_home_follow (uid, username, followuid, fusername, bkname, "
            "status, mutual, dateline) VALUES (4, '李娜', 2, '张伟', '', 0, 0, %s)", [now])
        report = run_import(dsn=discuz_db.dsn, progress=False)
    assert report.counts["posts"] == 1 and report.counts["follows"] == 1
    assert sum(report.counts.values()) == 2
    post = post_of(9001)
    assert post.floor == 7 and post.thread == thread_of(1001)  # the gap (4-6) is kept
    assert "<strong>新回复</strong>" in post.html
    thread = thread_of(1001)
    assert thread.last_floor == 7 and thread.last_poster_id == user_of(4).pk
    assert Follow.objects.filter(follower=user_of(4), followee=user_of(2)).exists()
    assert not any(recount_all().values())


def test_favorites_of_other_things_are_counted_and_skipped(imported, discuz_db):
    now = int(timezone.now().timestamp())
    with discuz_db.changed("DELETE FROM pre_home_favorite WHERE favid IN (9201, 9202, 9203)"):
        discuz_db.execute(
            "INSERT INTO pre_home_favorite (favid, uid, id, idtype, spaceuid, title, "
            "description, dateline) VALUES (9201, 4, 2, 'fid', 0, 'board', '', %s), "
            "(9202, 4, 7, 'blogid', 0, 'blog', '', %s), "
            "(9203, 4, 1007, 'tid', 0, 'thread', '', %s)", [now, now, now])
        report = run_import(dsn=discuz_db.dsn, progress=False)
        again = run_import(dsn=discuz_db.dsn, progress=False)
    assert report.counts["favorites"] == 1 and sum(report.counts.values()) == 1
    assert Favorite.objects.filter(user=user_of(4), thread=thread_of(1007)).exists()
    # One warning with the count and each kind (whatever the language of the run).
    skipped = [w for w in report.warnings if "blogid: 1" in w]
    assert len(skipped) == 1 and "fid: 1" in skipped[0] and "2" in skipped[0]
    assert set(again.counts.values()) == {0}


def test_moved_stub_and_edit_note_added_later(imported, discuz_db):
    """A "moved" stub (closed = the moved thread's tid) and a post Discuz! marked edited."""
    with discuz_db.changed(
        "DELETE FROM pre_forum_thread WHERE tid = 9002",
        "DELETE FROM pre_forum_post WHERE pid = 9003",
    ):
        discuz_db.execute(
            "INSERT INTO pre_forum_thread (tid, fid, author, authorid, subject, dateline, "
            "lastpost, lastposter, closed) VALUES (9002, 2, '李娜', 4, '搬走的主题', 1795600000, "
            "1795600000, '李娜', 3)")
        discuz_db.execute(
            "INSERT INTO pre_forum_post (pid, fid, tid, first, author, authorid, subject, "
            "dateline, message, useip, invisible, position, premsg) VALUES "
            "(9003, 4, 3, 0, '李娜', 4, '', 1795600000, "
            "'[i=s] 本帖最后由 李娜 于 2026-11-25 16:00 编辑 [/i]\n\n改过的回复', "
            "'', 0, 9, '')")
        report = run_import(dsn=discuz_db.dsn, progress=False)
    assert report.counts["threads"] == 1 and report.counts["posts"] == 1
    notice = ThreadRedirect.objects.get(thread=thread_of(3))
    assert notice.board_id == new_id(Kind.BOARD, 2) and notice.title == "搬走的主题"
    assert thread_of(9002) == thread_of(3)  # old links to the stub land on the thread
    edited = post_of(9003)
    assert edited.body == "改过的回复" and edited.edit_count == 1
    assert edited.edited_by == user_of(4)
    assert edited.edited_at.isoformat() == "2026-11-25T08:00:00+00:00"  # Discuz! time is +8


def test_import_notifies_nobody_and_fires_no_credit_rule(imported):
    assert not Notification.objects.exists()  # 2715 mentions two members
    assert set(CreditLog.objects.values_list("action", flat=True)) == {CreditAction.ADJUST}


# --- rendering and hidden blocks ---------------------------------------------------------

def test_posts_rendered_by_our_pipeline(imported):
    code = post_of(2712)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in code.html
    assert "<script" not in code.html
    styles = post_of(2710)
    assert "<strong>粗体 bold</strong>" in styles.html and "<del>删除线 strike</del>" in styles.html
    mention = post_of(2715)
    assert 'class="mention"' in mention.html


def _can_read(client, thread, canary: str) -> bool:
    response = client.get(thread.get_absolute_url())
    assert response.status_code == 200
    return canary in response.content.decode()


def _open_by_now(pid: int, days: int) -> bool:
    return timezone.now() >= post_of(pid).created_at + timedelta(days=days)


@pytest.mark.parametrize(("tid", "pid", "canary", "days", "readers", "others"), [
    # [hide]: repliers (王芳 uid 3), the author (张伟 uid 2) and staff (admin uid 1).
    (1001, 2701, "CANARYHIDE1", 0, [3, 2, 1], [None, 4, 22]),
    (1001, 2704, "CANARYHIDE4", 0, [3, 2, 1], [None, 4, 22]),
    # [hide=5000]: nobody has 5,000 credits; the author and staff still read it.
    (1002, 2702, "CANARYHIDE3", 0, [2, 1], [None, 3, 4]),
    # [hide=50]: members with 50 credits (王芳 has hundreds, 导入测试员 4).
    (1003, 2703, "CANARYHIDE2", 0, [3, 4, 2, 1], [None, 22]),
    # [hide=d30]: repliers, and everybody after 30 days.
    (1004, 2705, "CANARYHIDE6", 30, [3, 2, 1], [None, 4]),
    # [hide=d30,5000]: 5,000 credits, and everybody after 30 days.
    (1005, 2706, "CANARYHIDE7", 30, [2, 1], [None, 3, 4]),
    # [hide] inside [quote]: still hidden, with the quote around it kept.
    (1012, 2716, "HIDEINQUOTE", 0, [1], [None, 4]),
])
def test_imported_hidden_blocks_keep_their_rule(imported, client_for, tid, pid, canary, days,
                                                readers, others):
    thread = thread_of(tid)
    opened = bool(days) and _open_by_now(pid, days)
    for uid in readers:
        assert _can_read(client_for(user_of(uid)), thread, canary), uid
    for uid in others:
        client = client_for(None if uid is None else user_of(uid))
        assert _can_read(client, thread, canary) is opened, uid
    post = post_of(pid)
    assert canary not in post.html_public and canary not in post.text_public
    assert any(canary in fragment for fragment in post.hidden_fragments)


@pytest.mark.parametrize("tid", [1001, 1002, 1003, 1012])
def test_imported_hidden_text_leaks_through_no_channel(imported, client_for, tid):
    canaries = ["CANARYHIDE1", "CANARYHIDE2", "CANARYHIDE3", "CANARYHIDE4", "HIDEINQUOTE"]
    thread = thread_of(tid)
    urls = [*_channels(thread), "/feed.xml", f"/b/{thread.board.slug}/feed.xml",
            *(f"/tags/{slug}/" for slug in thread.tags.values_list("slug", flat=True))]
    for who in (None, user_of(22)):  # a guest, and a member with few credits and no reply
        client = client_for(who)
        for url in urls:
            dump = _dump(client.get(url))
            for canary in canaries:
                assert canary not in dump, (url, who, canary)
        for words in ("CANARYHIDE1", "秘密内容", "HIDEINQUOTE", "回复里的秘密"):
            # The search page repeats the query; what must not come back is a hit.
            page = client.get("/search/", {"q": words}).content.decode()
            assert not any(url in page for url in _post_urls(thread)), (words, who)


def test_search_finds_public_text_of_imported_posts(imported, client_for):
    page = client_for(None).get("/search/", {"q": "PUBLICTEXT1"}).content.decode()
    assert post_of(2701).get_absolute_url() in page


def _post_urls(thread) -> list[str]:
    return [post.get_absolute_url() for post in thread.posts.all()]


# --- the old password --------------------------------------------------------------------

def test_member_logs_in_with_the_old_password_and_is_upgraded(imported, client_for, settings):
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",  # the suite's fast default
        "discuz.hashers.DiscuzBcryptHasher",
        "discuz.hashers.DiscuzMD5Hasher",
    ]
    client = client_for(None)
    response = client.post(reverse("account_login"),
                           {"login": "导入测试员", "password": "Pässwörd#测试1"})
    assert response.status_code == 302, response.content.decode()[:500]
    user = user_of(22)
    assert user.password.startswith("md5$")  # re-hashed with the first (default) hasher
    assert int(client.session["_auth_user_id"]) == user.pk
    wrong = client_for(None).post(reverse("account_login"),
                                  {"login": "张伟", "password": "bench-user-2"})
    assert wrong.status_code == 200  # the form again, with its error
    assert user_of(2).password.startswith("discuz_bcrypt$")


def test_member_with_an_old_md5_hash_added_later_logs_in(imported, discuz_db, client_for,
                                                         settings):
    """Older UCenter installs store md5(md5(password) + salt); we compute that form here."""
    import hashlib

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher",
                                 "discuz.hashers.DiscuzBcryptHasher",
                                 "discuz.hashers.DiscuzMD5Hasher"]
    salt, password = "a1b2c3", "旧密码-old-2009"
    inner = hashlib.md5(password.encode()).hexdigest()  # noqa: S324 - Discuz's format
    hashed = hashlib.md5((inner + salt).encode()).hexdigest()  # noqa: S324
    now = int(timezone.now().timestamp())
    with discuz_db.changed(
        "DELETE FROM pre_common_member WHERE uid = 9001",
        "DELETE FROM pre_ucenter_members WHERE uid = 9001",
    ):
        discuz_db.execute(
            "INSERT INTO pre_common_member (uid, email, username, password, groupid, regdate, "
            "credits, timeoffset) VALUES (9001, 'old@example.com', '老会员', 'x', 10, %s, 7, '')",
            [now])
        discuz_db.execute("INSERT INTO pre_ucenter_members (uid, username, password, salt, "
                          "email, regdate) VALUES (9001, '老会员', %s, %s, 'old@example.com', %s)",
                          [hashed, salt, now])
        report = run_import(dsn=discuz_db.dsn, progress=False)
    assert report.counts["members"] == 1
    member = user_of(9001)
    assert member.password == f"discuz_md5${salt}${hashed}"
    assert member.profile.credits == 7
    response = client_for(None).post(reverse("account_login"),
                                     {"login": "old@example.com", "password": password})
    assert response.status_code == 302
    assert user_of(9001).password.startswith("md5$")


def test_avatars_come_from_the_discuz_files(imported, discuz_db, settings, tmp_path):
    """UCenter's avatar tree; the image is re-encoded by our pipeline, a bad file skipped."""
    from PIL import Image

    settings.MEDIA_ROOT = str(tmp_path / "media")
    root = tmp_path / "discuz" / "uc_server" / "data" / "avatar" / "000" / "00" / "00"
    root.mkdir(parents=True)
    Image.new("RGB", (300, 200), "red").save(root / "02_avatar_big.jpg", "JPEG")
    (root / "03_avatar_big.jpg").write_bytes(b"<svg onload=alert(1)></svg>")
    report = run_import(dsn=discuz_db.dsn, attachments=tmp_path / "discuz", progress=False)
    assert report.counts["avatars"] == 1
    assert any("uid 3" in warning for warning in report.warnings)
    profile = user_of(2).profile
    assert profile.avatar and profile.avatar_url(48)
    assert not user_of(3).profile.avatar
    assert run_import(dsn=discuz_db.dsn, attachments=tmp_path / "discuz",
                      progress=False).counts["avatars"] == 0


def test_runs_and_mapping_are_read_only_in_the_admin(imported, client_for):
    client = client_for(user_of(1))  # the imported Discuz! admin is a superuser here
    page = client.get("/admin/discuz/importrun/")
    assert page.status_code == 200 and b"discuz_test_" in page.content
    assert client.get("/admin/discuz/importedobject/?kind=post").status_code == 200
    assert client.get("/admin/discuz/importedobject/add/").status_code == 403


def test_images_attached_to_posts_come_with_attachments_dir(imported, discuz_db, settings,
                                                           tmp_path, client_for):
    """An image attachment is re-encoded into our private storage and placed in the post;
    a non-image, a priced one and a path outside the directory are left out."""
    from PIL import Image

    settings.STORAGES = {**settings.STORAGES, "attachments": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(tmp_path / "private"), "base_url": None}}}
    forum_dir = tmp_path / "discuz" / "data" / "attachment" / "forum" / "202611" / "25"
    forum_dir.mkdir(parents=True)
    Image.new("RGB", (64, 48), "blue").save(forum_dir / "a.png", "PNG")
    (forum_dir / "b.zip").write_bytes(b"PK\x03\x04")
    rows = [  # aid, attachment path, isimage, price
        (901, "202611/25/a.png", 1, 0), (902, "202611/25/b.zip", 0, 0),
        (903, "202611/25/a.png", 1, 5), (904, "../../../../etc/passwd", 1, 0)]
    with discuz_db.changed(
        "DELETE FROM pre_forum_post WHERE pid = 9004",
        "DELETE FROM pre_forum_attachment WHERE aid BETWEEN 901 AND 904",
        "DELETE FROM pre_forum_attachment_0 WHERE aid BETWEEN 901 AND 904",
    ):
        discuz_db.execute(
            "INSERT INTO pre_forum_post (pid, fid, tid, first, author, authorid, subject, "
            "dateline, message, useip, invisible, position, premsg) VALUES (9004, 4, 1006, 0, "
            "'王芳', 3, '', 1795621500, '看图 [attach]901[/attach] [attach]902[/attach]', "
            "'', 0, 5, '')")
        for aid, path, isimage, price in rows:
            discuz_db.execute("INSERT INTO pre_forum_attachment (aid, tid, pid, uid, tableid) "
                              "VALUES (%s, 1006, 9004, 3, 0)", [aid])
            discuz_db.execute(
                "INSERT INTO pre_forum_attachment_0 (aid, tid, pid, uid, dateline, filename, "
                "filesize, attachment, description, isimage, price) VALUES "
                "(%s, 1006, 9004, 3, 1795621500, %s, 10, %s, '', %s, %s)",
                [aid, path.rsplit("/", 1)[-1], path, isimage, price])
        report = run_import(dsn=discuz_db.dsn, attachments=tmp_path / "discuz", progress=False)
    assert report.counts["attachments"] == 1 and report.counts["posts"] == 1
    assert sum("903" in w for w in report.warnings) == 1
    assert sum("904" in w for w in report.warnings) == 1
    image = Attachment.objects.get(pk=new_id(Kind.ATTACHMENT, 901))
    post = post_of(9004)
    assert image.post == post and (image.width, image.height) == (64, 48)
    assert f"[attach]{image.pk}[/attach]" in post.body
    assert f'src="/a/{image.pk}/"' in post.html
    # Not ours: stays visible text (the converter puts a word joiner after each "[").
    assert "[attach]902[/attach]" in post.text_public.replace("\u2060", "")
    response = client_for(None).get(f"/a/{image.pk}/")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"


def test_anonymous_and_guest_posts_name_nobody(imported, discuz_db, client_for):
    """Discuz! keeps the real uid of an anonymous thread or post; it must not show here."""
    with discuz_db.changed(
        "DELETE FROM pre_forum_thread WHERE tid = 9005",
        "DELETE FROM pre_forum_post WHERE pid IN (9006, 9007)",
    ):
        discuz_db.execute(
            "INSERT INTO pre_forum_thread (tid, fid, author, authorid, subject, dateline, "
            "lastpost, lastposter) VALUES (9005, 2, '', 4, '匿名主题', 1795600000, 1795600100, '')")
        discuz_db.execute(
            "INSERT INTO pre_forum_post (pid, fid, tid, first, author, authorid, subject, "
            "dateline, message, useip, invisible, anonymous, position, premsg) VALUES "
            "(9006, 2, 9005, 1, '', 4, '匿名', 1795600000, '匿名的话', '10.0.0.4', 0, 1, 1, ''),"
            "(9007, 2, 9005, 0, '过客', 0, '', 1795600100, '游客的话', '10.0.0.5', 0, 0, 2, '')")
        report = run_import(dsn=discuz_db.dsn, progress=False)
    assert report.counts["threads"] == 1 and report.counts["posts"] == 2
    thread = thread_of(9005)
    guest = User.objects.get(pk=new_id(Kind.MEMBER, 0))
    assert not guest.is_active and not guest.has_usable_password()
    assert thread.author == guest and thread.last_poster == guest
    assert {p.author for p in thread.posts.all()} == {guest}
    assert post_of(9006).author_ip is None  # the anonymous poster's IP stays behind too
    page = client_for(None).get(thread.get_absolute_url()).content.decode()
    assert "匿名的话" in page and guest.username in page


def test_old_links_lead_to_the_imported_pages(imported, discuz_db, client_for):
    """End to end with discuz.legacy_views: the mapping the importer writes is what the
    old addresses need (thread, floor of a pid, board, member)."""
    from forum.views.threads import post_url

    client = client_for(None)
    row = discuz_db.query("SELECT pid, position FROM pre_forum_post "
                          "WHERE tid = 1 AND position = 150")[0]
    post = post_of(row["pid"])
    assert post.floor == 150
    findpost = client.get("/forum.php", {"mod": "redirect", "goto": "findpost",
                                         "pid": row["pid"], "ptid": 1})
    assert findpost.status_code == 301 and findpost["Location"] == post_url(post)
    thread = client.get("/thread-1013-1-1.html")
    assert thread.status_code == 301
    assert thread["Location"] == thread_of(1013).get_absolute_url()
    board = client.get("/forum.php", {"mod": "forumdisplay", "fid": 5})
    assert board.status_code == 301
    assert board["Location"] == Board.objects.get(pk=new_id(Kind.BOARD, 5)).get_absolute_url()
    member = client.get("/space-uid-2.html")
    assert member.status_code == 301 and member["Location"] == user_of(2).profile.get_absolute_url()
    assert client.get("/thread-99999-1-1.html").status_code == 404


def test_split_thread_and_post_tables_are_read_too(imported, discuz_db):
    """Big installs move threads and posts into forum_thread_N / forum_post_N."""
    with discuz_db.changed(
        "DROP TABLE IF EXISTS pre_forum_thread_1",
        "DROP TABLE IF EXISTS pre_forum_post_1",
    ):
        discuz_db.execute("CREATE TABLE pre_forum_thread_1 LIKE pre_forum_thread")
        discuz_db.execute("CREATE TABLE pre_forum_post_1 LIKE pre_forum_post")
        discuz_db.execute(
            "INSERT INTO pre_forum_thread_1 (tid, fid, author, authorid, subject, dateline, "
            "lastpost, lastposter) VALUES (9008, 4, '王芳', 3, '归档的主题', 1700000000, "
            "1700000000, '王芳')")
        discuz_db.execute(
            "INSERT INTO pre_forum_post_1 (pid, fid, tid, first, author, authorid, subject, "
            "dateline, message, useip, invisible, position, premsg) VALUES (9009, 4, 9008, 1, "
            "'王芳', 3, '归档的主题', 1700000000, '很久以前的帖子', '', 0, 1, ''), (9010, 4, 1, 0, "
            "'王芳', 3, '', 1700000100, '分表里的回复', '', 0, 202, '')")
        report = run_import(dsn=discuz_db.dsn, progress=False)
    assert report.counts["threads"] == 1 and report.counts["posts"] == 2
    assert thread_of(9008).title == "归档的主题" and post_of(9009).floor == 1
    assert post_of(9010).thread == thread_of(1) and post_of(9010).floor == 202


def test_what_discuz_kept_from_some_readers_is_not_published(imported, discuz_db):
    """A board with a password, a thread with a read permission, a post a moderator
    banned: none of them becomes public here (the board and thread are left out with a
    warning, the post comes over deleted)."""
    with discuz_db.changed(
        "DELETE FROM pre_forum_forum WHERE fid IN (60, 61, 62)",
        "DELETE FROM pre_forum_forumfield WHERE fid = 60",
        "DELETE FROM pre_forum_thread WHERE tid IN (9011, 9012)",
        "DELETE FROM pre_forum_post WHERE pid IN (9013, 9014, 9015)",
    ):
        discuz_db.execute("INSERT INTO pre_forum_forum (fid, fup, type, name, status) "
                          "VALUES (60, 1, 'forum', '会员专区', 1)")
        discuz_db.execute("INSERT INTO pre_forum_forumfield (fid, description, password, "
                          "viewperm) VALUES (60, '', 'secret', '')")
        discuz_db.execute("INSERT INTO pre_forum_forum (fid, fup, type, name, status) "
                          "VALUES (61, 60, 'sub', '专区子版', 1), (62, 3, 'forum', '关闭', 0)")
        discuz_db.execute(
            "INSERT INTO pre_forum_thread (tid, fid, author, authorid, subject, dateline, "
            "lastpost, lastposter, readperm) VALUES (9011, 2, '王芳', 3, '限制阅读', "
            "1795600000, 1795600000, '王芳', 50), (9012, 60, '王芳', 3, '专区的帖子', "
            "1795600000, 1795600000, '王芳', 0)")
        discuz_db.execute(
            "INSERT INTO pre_forum_post (pid, fid, tid, first, author, authorid, subject, "
            "dateline, message, useip, invisible, status, position, premsg) VALUES "
            "(9013, 2, 9011, 1, '王芳', 3, '', 1795600000, 'READPERMSECRET', '', 0, 0, 1, ''),"
            "(9014, 60, 9012, 1, '王芳', 3, '', 1795600000, 'BOARDSECRET', '', 0, 0, 1, ''),"
            "(9015, 2, 1001, 0, '李娜', 4, '', 1795600000, 'BANNEDPOST', '', 0, 1, 8, '')")
        report = run_import(dsn=discuz_db.dsn, progress=False)
        assert not Post.objects.filter(body__contains="SECRET").exists()
        assert sum(report.counts.values()) == 1  # the banned post, deleted
        assert post_of(9015).is_deleted
        assert any("fid 60" in w for w in report.warnings)
        assert any("fid 62" in w for w in report.warnings)
        assert any("9011" in w for w in report.warnings)
        opened = run_import(dsn=discuz_db.dsn, progress=False, include_restricted=True)
        assert opened.counts["boards"] == 3 and opened.counts["posts"] == 2


def test_posts_edited_in_discuz_since_the_last_run_are_updated(imported, discuz_db,
                                                                client_for):
    """X3.5 stamps `lastupdate` on an edit; the next run brings the new text."""
    original = discuz_db.query("SELECT message FROM pre_forum_post WHERE pid = 2700")[0]
    now = int(timezone.now().timestamp())
    try:
        discuz_db.execute("UPDATE pre_forum_post SET message = %s, lastupdate = %s, "
                          "updateuid = 1 WHERE pid = 2700",
                          ["[b]改过的内容[/b] EDITEDLATER [hide]EDITEDSECRET[/hide]", now])
        report = run_import(dsn=discuz_db.dsn, progress=False)
    finally:
        discuz_db.execute("UPDATE pre_forum_post SET message = %s, lastupdate = 0 "
                          "WHERE pid = 2700", [original["message"]])
    assert report.counts["post edits"] == 1 and report.counts["posts"] == 0
    post = post_of(2700)
    assert "<strong>改过的内容</strong>" in post.html and "EDITEDSECRET" not in post.html_public
    assert post.edited_by == user_of(1) and post.edit_count == 1
    assert post.edited_at.timestamp() == now
    page = client_for(None).get("/search/", {"q": "EDITEDLATER"}).content.decode()
    assert post.get_absolute_url() in page
    again = run_import(dsn=discuz_db.dsn, progress=False)
    assert again.counts["post edits"] == 0


def test_a_name_with_signs_our_names_cannot_have_is_renamed(imported, discuz_db, client_for):
    with discuz_db.changed("DELETE FROM pre_common_member WHERE uid = 9016"):
        discuz_db.execute(
            "INSERT INTO pre_common_member (uid, email, username, password, groupid, regdate) "
            "VALUES (9016, 'slash@example.com', '甲/乙 丙', 'x', 10, 1795600000)")
        report = run_import(dsn=discuz_db.dsn, progress=False)
    member = user_of(9016)
    assert member.username == "甲_乙_丙"
    assert any("甲_乙_丙" in w for w in report.warnings)
    assert client_for(None).get(member.profile.get_absolute_url()).status_code == 200
