"""Profile, leaderboard and sidebar pages: content, public text only, ties and
periods, and a fixed number of queries however much there is to show."""

from __future__ import annotations

import datetime

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import ranking, services
from accounts.models import CreditLog, FeaturedAuthor, Follow
from forum import services as forum
from forum.models import SiteSettings
from tests.factories import make_reply, make_thread, make_user
from tests.people_helpers import english, people_defaults  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("people_defaults")]
CANARY = "PROFILE-HIDDEN-CANARY"


def queries(client, url: str) -> list[str]:
    cache.clear()
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    return [q["sql"] for q in ctx.captured_queries]


# --- profile ------------------------------------------------------------------------------

def test_profile_shows_counts_level_and_dates(client_for, board, author, member, staff):
    thread = make_thread(board=board, author=author)
    make_reply(thread=thread, author=author)
    services.follow(follower=member, followee=author)
    services.adjust_credits(user=author, amount=60, actor=None)
    page = english(client_for()).get(f"/u/{author.username}/").content.decode()
    assert "Registered member" in page
    for number, label in ((0, "Following"), (1, "Followers"), (1, "Threads"), (1, "Replies"),
                          (64, "Credits")):
        assert f"<strong>{number}</strong><span>{label}</span>" in page or (
            f">{number}</strong><span>{label}</span>" in page), label
    assert "Joined" in page


def test_profile_of_a_missing_member_is_404(client_for):
    assert client_for().get("/u/nobody-here/").status_code == 404


def test_recent_posts_on_a_profile_show_public_text_only(client_for, board, author, member):
    thread = make_thread(board=board, author=member)
    make_reply(thread=thread, author=author, body=f"公开的话 [hide]{CANARY}[/hide]")
    page = client_for().get(f"/u/{author.username}/replies/").content.decode()
    assert "公开的话" in page and CANARY not in page
    own = client_for(author).get(f"/u/{author.username}/replies/").content.decode()
    assert CANARY not in own


def test_profile_lists_no_deleted_threads_or_posts(client_for, board, author, staff):
    gone = make_thread(board=board, author=author, title="被删除的主题")
    forum.delete_thread(thread=gone, actor=staff)
    reply = make_reply(thread=make_thread(board=board), author=author, body="被删除的回复")
    forum.delete_post(post=reply, actor=staff)
    threads = client_for().get(f"/u/{author.username}/").content.decode()
    replies = client_for().get(f"/u/{author.username}/replies/").content.decode()
    assert "被删除的主题" not in threads and "被删除的回复" not in replies


def test_profile_renders_the_bio_through_the_markup_pipeline(client_for, author):
    services.save_profile(user=author, bio="**粗体**\n\n<script>x</script>", signature="签名档")
    page = client_for().get(f"/u/{author.username}/").content.decode()
    assert "<strong>粗体</strong>" in page and "<script>x" not in page
    assert "签名档" in page


def grow_profile(user, n: int, board) -> None:
    fans = [make_user() for _ in range(n)]
    for i, fan in enumerate(fans):
        services.follow(follower=fan, followee=user)
        services.follow(follower=user, followee=fan)
        thread = make_thread(board=board, author=user if i % 2 else fan)
        make_reply(thread=thread, author=user, body=f"回复{i} [hide]隐[/hide]")


@pytest.mark.parametrize("tab", ["", "replies/", "followers/", "following/", "credits/"])
def test_profile_tabs_cost_the_same_however_much_they_show(client_for, board, author, tab):
    SiteSettings.load()
    viewer = client_for(author)
    grow_profile(author, 3, board)
    small = queries(viewer, f"/u/{author.username}/{tab}")
    grow_profile(author, 25, board)
    large = queries(viewer, f"/u/{author.username}/{tab}")
    assert len(small) == len(large), "\n".join(large)
    assert len(large) <= 12, "\n".join(large)


# --- leaderboards --------------------------------------------------------------------------

def test_ties_share_a_rank(staff):
    a, b, c, d = (make_user(n) for n in ("aa", "bb", "cc", "dd"))
    for user, amount in ((a, 50), (b, 30), (c, 30), (d, 10)):
        services.adjust_credits(user=user, amount=amount, actor=None)
    rows = ranking.leaderboard("credits", "all")
    assert [(r.username, r.rank, r.value) for r in rows] == [
        ("aa", 1, 50), ("bb", 2, 30), ("cc", 2, 30), ("dd", 4, 10)]


def test_periods_count_only_what_happened_in_them(board, staff):
    old, new = make_user("old-timer"), make_user("newcomer")
    long_ago = timezone.now() - datetime.timedelta(days=20)
    thread = make_thread(board=board, author=staff)
    for _ in range(5):
        make_reply(thread=thread, author=old, created_at=long_ago)
    for _ in range(2):
        make_reply(thread=thread, author=new)
    week = {r.username: r.value for r in ranking.leaderboard("posts", "7")}
    month = {r.username: r.value for r in ranking.leaderboard("posts", "30")}
    assert week.get("newcomer") == 2 and "old-timer" not in week
    assert month["old-timer"] == 5 and month["newcomer"] == 2


def test_credit_periods_add_up_the_ledger_of_the_period(staff):
    user = make_user("earner")
    services.adjust_credits(user=user, amount=40, actor=None)
    ten_days_ago = timezone.now() - datetime.timedelta(days=10)
    CreditLog.objects.filter(user=user).update(created_at=ten_days_ago)
    services.adjust_credits(user=user, amount=5, actor=None)
    cache.clear()
    assert {r.username: r.value for r in ranking.leaderboard("credits", "7")}["earner"] == 5
    assert {r.username: r.value for r in ranking.leaderboard("credits", "30")}["earner"] == 45


def test_follower_board_counts_follows_of_the_period(member, author):
    services.follow(follower=member, followee=author)
    Follow.objects.update(created_at=timezone.now() - datetime.timedelta(days=9))
    fan = make_user()
    services.follow(follower=fan, followee=author)
    cache.clear()
    assert {r.username: r.value for r in ranking.leaderboard("followers", "7")} == {"author": 1}
    assert {r.username: r.value for r in ranking.leaderboard("followers", "all")} == {"author": 2}


def test_rank_page_shows_the_chosen_board_and_period(client_for, staff):
    services.adjust_credits(user=make_user("top-writer"), amount=99, actor=None)
    page = english(client_for()).get("/rank/?by=credits&period=all").content.decode()
    assert "top-writer" in page and ">99</td>" in page
    assert client_for().get("/rank/?by=bogus&period=-1").status_code == 200


def grow_ranks(n: int, board, staff) -> None:
    for i in range(n):
        user = make_user()
        services.adjust_credits(user=user, amount=i + 1, actor=None)
        make_reply(thread=make_thread(board=board, author=user), author=user)


@pytest.mark.parametrize("query", ["by=credits&period=all", "by=posts&period=7",
                                   "by=followers&period=30"])
def test_rank_page_costs_the_same_however_many_members(client_for, board, staff, query):
    SiteSettings.load()
    viewer = client_for(make_user())
    grow_ranks(3, board, staff)
    small = queries(viewer, f"/rank/?{query}")
    grow_ranks(60, board, staff)
    large = queries(viewer, f"/rank/?{query}")
    assert len(small) == len(large), "\n".join(large)
    assert len(large) <= 8, "\n".join(large)


# --- the thread sidebar ----------------------------------------------------------------------

def test_thread_sidebar_shows_the_top_five_and_featured_authors(client_for, board, staff):
    people = [make_user(f"writer{i}") for i in range(7)]
    for i, user in enumerate(people):
        services.adjust_credits(user=user, amount=(i + 1) * 10, actor=None)
    FeaturedAuthor.objects.create(user=people[0], position=1, blurb="公文写作能手")
    thread = make_thread(board=board, author=people[1])
    page = english(client_for()).get(thread.get_absolute_url()).content.decode()
    aside = page[page.index('class="people-aside"'):]
    top = aside[:aside.index("Featured authors")]
    assert [name for name in (f"writer{i}" for i in range(7)) if f">{name}</a>" in top] == [
        "writer2", "writer3", "writer4", "writer5", "writer6"]
    assert "公文写作能手" in aside and ">writer0</a>" in aside


def test_saving_a_featured_author_refreshes_the_sidebar(client_for, board, member):
    thread = make_thread(board=board)
    client_for().get(thread.get_absolute_url())  # cached without anyone featured
    FeaturedAuthor.objects.create(user=member, blurb="新晋作者")
    assert "新晋作者" in client_for().get(thread.get_absolute_url()).content.decode()


def test_usernames_on_board_rows_link_to_profiles(client_for, board, author):
    make_thread(board=board, author=author)
    page = client_for().get(board.get_absolute_url()).content.decode()
    assert f'<a class="user" href="/u/{author.username}/">' in page


def test_last_active_comes_from_visits(client_for, member):
    services.record_visit(user=member, daily=False)
    page = english(client_for()).get(f"/u/{member.username}/").content.decode()
    assert "Last active" in page


def test_a_visit_on_a_new_day_earns_the_daily_credit_once(client_for, member):
    from accounts.middleware import COOKIE, SALT

    client = client_for(member)
    client.get("/")  # a new browser: only remembered
    assert CreditLog.objects.filter(user=member).count() == 0
    yesterday = int((timezone.now() - datetime.timedelta(days=1)).timestamp())
    from django.core.signing import get_cookie_signer

    client.cookies[COOKIE] = get_cookie_signer(salt=COOKIE + SALT).sign(f"{member.pk}:{yesterday}")
    client.get("/")
    client.get("/")
    assert list(CreditLog.objects.filter(user=member).values_list("action", flat=True)) == [
        "daily_login"]


def test_logging_in_through_the_form_counts_as_the_daily_visit(client, board):
    user = make_user("loginer", password="Gongwen-2024-xiezuo")
    response = client.post("/accounts/login/", {"login": "loginer",
                                                "password": "Gongwen-2024-xiezuo"})
    assert response.status_code == 302
    assert CreditLog.objects.filter(user=user, action="daily_login").count() == 1
