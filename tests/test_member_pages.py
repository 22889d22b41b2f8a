"""Members' thread pages from shared shells (forum/member_pages.py).

A shell is one member's rendering kept for every member with the same signature (own
floors, followed authors, favourite, reply refusal), with slots for the rest. So: a
page from a shell must be the page rendered afresh, for every kind of viewer; nothing
of one member (name, hidden blocks they opened, favourite, follow state, edit links,
tokens) may reach another; a write shows on the very next request; moderators, staff
and pages with flash messages are never shared.
"""

from __future__ import annotations

import re

import pytest
from django.template import engines
from jinja2 import meta

from accounts import favorites
from accounts import services as people
from forum import member_pages, services, topbar
from forum.moderation import bans
from forum.moderation import services as moderation
from forum.views import threads
from tests.factories import make_reply, make_secret_thread, make_staff, make_thread, make_user
from tests.page_helpers import get_fresh, get_page, queries_of_a_hit

pytestmark = pytest.mark.django_db

CANARY = "SHELLCANARY57"
CSRF_VALUE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
FORM_TOKEN = re.compile(r'name="token" value="([^"]*)"')
VIEWS = re.compile(r"<em data-views>(\d+)</em>")


def _normal(html: str) -> str:
    # Each request masks the CSRF token anew, counts a view and makes a new one-time
    # token for the reply form; the rest must be equal.
    html = CSRF_VALUE.sub('name="csrfmiddlewaretoken" value=""', html)
    html = FORM_TOKEN.sub('name="token" value=""', html)
    return VIEWS.sub("<em data-views></em>", html)


@pytest.fixture
def builds(monkeypatch) -> list:
    """Each page rendered by the view appends ("rendered", name), each rendering kept
    as a shell ("kept", name): a page served from a shell appends nothing."""
    made = []
    finish = member_pages.Shell.finish
    render = threads._thread

    def keeping(shell, response, *args, **kwargs):
        made.append(("kept", shell.user.username))
        return finish(shell, response, *args, **kwargs)

    def rendering(request, *args, **kwargs):
        made.append(("rendered", request.user.username))
        return render(request, *args, **kwargs)

    monkeypatch.setattr(member_pages.Shell, "finish", keeping)
    monkeypatch.setattr(threads, "_thread", rendering)
    return made


@pytest.fixture
def secret_thread(board, author):
    return make_secret_thread(board=board, author=author, secret=CANARY, title="壳页面的主题")


def _set_apart(what: str, member, thread, author) -> None:
    """Make `member` differ from other readers of `thread` in one thing."""
    if what == "hidden":
        make_reply(thread=thread, author=member, body="回复了，想看隐藏内容")  # opens it
    elif what == "favorite":
        favorites.add_favorite(user=member, thread=thread)
    elif what == "follow":
        people.follow(follower=member, followee=author)
    elif what == "banned":
        bans.ban_member(user=member, actor=make_staff(), reason="灌水")
    else:
        raise ValueError(what)



def test_the_top_bar_template_reads_only_user_request_and_token():
    """It is rendered alone for each hit: anything else it read would be missing."""
    env = engines["jinja2"].env
    source = env.loader.get_source(env, topbar.TEMPLATE)[0]
    names = meta.find_undeclared_variables(env.parse(source))
    assert names <= {"user", "request", "csrf_input", "url", "_", "get_language",
                     "available_languages"}


@pytest.mark.parametrize("who", ["member", "author", "hidden", "follow", "favorite",
                                 "banned", "closed"])
def test_a_page_from_a_shell_equals_the_page_rendered_fresh(
        who, client_for, secret_thread, member, author, settings, builds):
    viewer = author if who == "author" else member
    if who == "closed":
        moderation.close_thread(thread=secret_thread, actor=make_staff(), closed=True)
    elif who not in ("member", "author"):
        _set_apart(who, member, secret_thread, author)
    client = client_for(viewer)
    url = secret_thread.get_absolute_url()
    for path in (url, url + "?order=desc"):
        get_page(client, path)  # the day's first visit may grant credits (a write)
        builds.clear()
        kept = get_page(client, path)
        assert builds in ([], [("rendered", viewer.username), ("kept", viewer.username)])
        builds.clear()
        again = get_page(client, path)
        assert builds == []  # served from the shell
        fresh = get_fresh(client, path, settings)
        assert _normal(kept) == _normal(fresh)
        assert _normal(again) == _normal(fresh)
    assert (CANARY in kept) == (who in ("author", "hidden"))


def test_members_with_the_same_signature_share_a_shell_and_nothing_else(
        client_for, secret_thread, member, author, builds):
    """Two members who wrote nothing on the page, follow nobody there and keep no
    favourite share one shell; each still gets their own name, tokens and counts."""
    other = make_user("另一位读者")
    url = secret_thread.get_absolute_url()
    first = client_for(member)
    get_page(first, url)
    get_page(first, url)
    assert ("kept", member.username) in builds
    builds.clear()
    page = get_page(client_for(other), url)
    assert builds == []  # served from the shell the first member's visit kept
    topbar = page[page.index('class="topbar-user"'):page.index("</header>")]
    assert other.username in topbar and member.username not in topbar
    assert CSRF_VALUE.findall(page)  # a token for this visitor's own session
    mine = get_page(first, url)
    assert FORM_TOKEN.search(mine).group(1) != FORM_TOKEN.search(page).group(1)
    assert FORM_TOKEN.search(mine).group(1) != FORM_TOKEN.search(get_page(first, url)).group(1)


def test_one_members_page_never_reaches_another(client_for, secret_thread, member, author):
    """The author reads the hidden block, may edit the opening post and favourited the
    thread; a replier opened the block; a member reading right after gets none of it."""
    replier = make_user("回复者")
    make_reply(thread=secret_thread, author=replier, body="回复一下")
    favorites.add_favorite(user=author, thread=secret_thread)
    people.follow(follower=replier, followee=author)
    url = secret_thread.get_absolute_url()
    for reader in (author, replier):
        client = client_for(reader)
        for _ in range(3):
            assert CANARY in get_page(client, url)
    page = get_page(client_for(member), url)
    assert CANARY not in page
    assert author.username not in page[page.index('class="topbar-user"'):
                                       page.index("</header>")]
    opening = page[page.index('id="p'):page.index("</article>")]
    assert "/edit/" not in opening
    assert 'aria-pressed="true"' not in page  # neither the favourite nor a follow
    assert "is-favorited" not in page


@pytest.mark.parametrize("order", ["having-first", "plain-first"])
@pytest.mark.parametrize("what", ["hidden", "favorite", "follow", "banned", "own"])
def test_what_one_member_has_never_reaches_a_member_without_it(
        what, order, client_for, secret_thread, member, author, settings, builds):
    """Two members differ in one thing only: whoever reads first, each gets their own."""
    settings.FORUM_POSTS_PER_PAGE = 3
    if what == "own":
        having = author  # wrote the opening floor: its edit link
    else:
        having = make_user("与众不同的读者")
        _set_apart(what, having, secret_thread, author)  # a reply lands on page 2
    shows = {"hidden": lambda page: CANARY in page,
             "favorite": lambda page: "is-favorited" in page,
             "follow": lambda page: "btn-follow is-following" in page,
             "banned": lambda page: 'id="reply-form"' not in page,
             "own": lambda page: f"/p/{secret_thread.posts.get(floor=1).pk}/edit/" in page}[what]
    url = secret_thread.get_absolute_url()
    clients = {having: client_for(having), member: client_for(member)}
    readers = [having, member] if order == "having-first" else [member, having]
    for reader in readers * 3:
        assert shows(get_page(clients[reader], url)) == (reader == having), (reader, what)
    assert any(what == "kept" for what, _name in builds)


def test_a_write_shows_on_the_very_next_members_request(
        client_for, secret_thread, member, author):
    client = client_for(member)
    url = secret_thread.get_absolute_url()
    for _ in range(2):
        get_page(client, url)
    reply = services.create_reply(thread=secret_thread, author=author, body="新的回复 NEWREPLY1")
    assert "NEWREPLY1" in get_page(client, url)
    services.edit_post(post=reply, editor=author, body="改过的回复 EDITED22")
    page = get_page(client, url)
    assert "EDITED22" in page and "NEWREPLY1" not in page
    moderation.delete_post(post=reply, actor=make_staff())
    assert "EDITED22" not in get_page(client, url)
    moderation.close_thread(thread=secret_thread, actor=make_staff(), closed=True)
    page = get_page(client, url)
    assert 'id="reply-form"' not in page
    assert "只有版主可以回复" in page or "only moderators can reply" in page


def test_view_counts_count_every_hit(client_for, secret_thread, member):
    client = client_for(member)
    url = secret_thread.get_absolute_url()
    shown = [int(VIEWS.search(get_page(client, url)).group(1)) for _ in range(4)]
    assert shown == [shown[0] + i for i in range(4)]


def test_a_hit_reads_neither_the_thread_nor_its_posts(client_for, secret_thread, member):
    queries = queries_of_a_hit(client_for(member), secret_thread.get_absolute_url())
    sql = " ".join(queries)
    assert '"forum_thread"' not in sql and '"forum_post"."html"' not in sql
    # The session (no Redis here), the member, the favourite, and whether the member
    # replied (the hidden block's rule): nothing per floor.
    assert len(queries) <= 4


def test_moderators_and_staff_never_get_a_shell(client_for, secret_thread, moderator, builds):
    url = secret_thread.get_absolute_url()
    for viewer in (moderator, make_staff("管理员")):
        client = client_for(viewer)
        for _ in range(3):
            page = get_page(client, url)
            assert CANARY in page and "mod-floor" in page
    assert [what for what, _name in builds] == ["rendered"] * 6  # each visit, none kept


def test_flash_messages_are_shown_and_never_kept(client_for, secret_thread, member, builds):
    client = client_for(member)
    url = secret_thread.get_absolute_url()
    get_page(client, url)
    answer = client.get(f"/t/{secret_thread.pk}/prev/")  # no earlier thread: a message
    assert answer.status_code == 302
    builds.clear()
    page = get_page(client, url)
    assert 'class="messages"' in page
    assert builds == [("rendered", member.username)]  # for this visit alone
    assert 'class="messages"' not in get_page(client, url)


def test_text_that_spells_a_slot_marker_stays_text(client_for, board, author, member):
    """Bodies are put in after the page is cut at its slots, and NUL never survives."""
    thread = make_thread(board=board, author=author, body=(
        f"正文 {topbar.SLOT} {member_pages.CSRF_SLOT} {member_pages.body_slot(0)}"))
    client = client_for(member)
    for _ in range(3):
        page = get_page(client, thread.get_absolute_url())
        assert "\x00" not in page
        assert page.count('class="topbar-user"') == 1
        assert page.count("csrfmiddlewaretoken") == len(
            re.findall(r'<form[^>]*method="post"', page))


def test_viewer_facts_agree_with_the_orm_definitions(board, author, member):
    """forum/viewer_facts.py spells three ORM facts as one statement; both must agree
    (follows, favourites, a live reply: not the opening post, not a deleted one)."""
    from accounts.models import Follow
    from forum import permissions, viewer_facts

    others = [make_user(f"作者{i}") for i in range(3)]
    people.follow(follower=member, followee=others[0])
    people.follow(follower=member, followee=others[2])
    people.follow(follower=others[1], followee=member)  # the other way: not the member's
    threads = {
        "opened it": make_thread(board=board, author=member),
        "replied": make_thread(board=board, author=author),
        "reply deleted": make_thread(board=board, author=author),
        "nothing": make_thread(board=board, author=author),
    }
    make_reply(thread=threads["replied"], author=member)
    gone = make_reply(thread=threads["reply deleted"], author=member)
    moderation.delete_post(post=gone, actor=make_staff())
    favorites.add_favorite(user=member, thread=threads["replied"])
    authors = [author.pk, member.pk, *(o.pk for o in others)]
    for name, thread in threads.items():
        thread.refresh_from_db()
        for viewer in (member, author, others[1]):
            known = viewer_facts.facts(viewer.pk, thread.pk, authors=authors, replied=True)
            assert known.favorited == favorites.is_favorite(viewer, thread), name
            assert known.replied == permissions._has_live_reply(viewer, thread), name
            assert known.followed == set(Follow.objects.filter(
                follower=viewer, followee_id__in=authors).values_list("followee_id", flat=True))
    plain = viewer_facts.facts(member.pk, threads["replied"].pk)
    assert plain == viewer_facts.Facts(followed=frozenset(), favorited=True, replied=None)


def test_a_shells_facts_hold_no_secret_of_the_author(client_for, secret_thread, member,
                                                       author, rf):
    """The kept thread has its board but not its author's row (password hash, e-mail),
    nor the favourite state of the member whose visit kept it."""
    import pickle

    from django.core.cache import cache

    author.email = "author-secret@example.com"
    author.save()
    favorites.add_favorite(user=member, thread=secret_thread)
    url = secret_thread.get_absolute_url()
    client = client_for(member)
    for _ in range(2):
        get_page(client, url)
    request = rf.get(url)
    request.user = member
    meta = cache.get(member_pages.Shell(request, secret_thread.pk).meta_key)
    assert meta["thread"].board.slug == secret_thread.board.slug
    kept = pickle.dumps(meta)
    assert b"author-secret" not in kept and author.password.encode() not in kept
    assert b"viewer_favorited" not in kept


def test_a_shell_kept_in_this_process_is_used_only_while_current(
        client_for, secret_thread, member, author, builds):
    """Like the guest pages (page_cache.LOCAL): with the shared copy gone the process's
    own serves the next member, and a write to the thread makes it unusable at once."""
    from django.core.cache import cache

    from forum import page_cache

    url = secret_thread.get_absolute_url()
    client = client_for(member)
    for _ in range(2):
        get_page(client, url)
    shells = [key for key, entry in page_cache.LOCAL._pages.items() if "parts" in entry]
    assert shells
    cache.delete_many(shells)
    builds.clear()
    get_page(client, url)
    assert builds == []  # served from this process's copy
    services.create_reply(thread=secret_thread, author=author, body="进程副本之后 LOCALSHELL")
    assert "LOCALSHELL" in get_page(client, url)
    assert ("rendered", member.username) in builds


def test_a_page_with_a_token_outside_the_slots_is_never_shared(
        monkeypatch, client_for, secret_thread, member, builds):
    """A safety lock for templates to come: a form with the member's own CSRF token
    outside the slots keeps the page theirs alone."""
    from django.template.backends.utils import csrf_input

    finish = member_pages.Shell.finish

    def with_a_form(shell, response, *args, **kwargs):
        response.content = response.content.replace(
            b"</main>", f"<form method=post>{csrf_input(shell.request)}</form></main>".encode())
        return finish(shell, response, *args, **kwargs)

    monkeypatch.setattr(member_pages.Shell, "finish", with_a_form)
    url = secret_thread.get_absolute_url()
    first = [get_page(client_for(member), url) for _ in range(2)]
    builds.clear()
    page = get_page(client_for(make_user("第二位读者")), url)
    assert ("rendered", "第二位读者") in builds  # nothing kept to serve from
    theirs = {token for html in first for token in CSRF_VALUE.findall(html)}
    assert CSRF_VALUE.findall(page) and not set(CSRF_VALUE.findall(page)) & theirs
