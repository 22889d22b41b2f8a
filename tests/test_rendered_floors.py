"""Rendered floors (forum/rendered_floors.py): a floor's HTML is shared between viewers
through the cache, so what is one viewer's (hidden blocks they opened, their follow
state, their edit links, their CSRF token) must never reach another, and a page served
from cached floors must be the page rendered without them."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.template import engines
from jinja2 import meta

from accounts import services as people
from forum import rendered_floors, services
from tests.factories import make_reply, make_secret_thread, make_thread, make_user

pytestmark = pytest.mark.django_db

CANARY = "FLOORCANARY31"
CSRF_VALUE = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')
VIEWS = re.compile(r"<em data-views>\d+</em>")
FORM_TOKEN = re.compile(r'name="token" value="[^"]+"')


def _page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    # Each request masks the CSRF token anew, counts a view and gives the reply form a
    # new duplicate-guard token; the rest must be equal.
    page = CSRF_VALUE.sub('name="csrfmiddlewaretoken" value=""', response.content.decode())
    page = FORM_TOKEN.sub('name="token" value=""', page)
    return VIEWS.sub("<em data-views></em>", page)


@pytest.fixture
def renders(monkeypatch) -> list:
    """Each floor rendered (a cache miss) appends its post id."""
    made = []
    render = rendered_floors._render

    def counting(floor, *args, **kwargs):
        made.append(floor.post.pk)
        return render(floor, *args, **kwargs)

    monkeypatch.setattr(rendered_floors, "_render", counting)
    return made


@pytest.fixture
def secret_thread(board, author):
    return make_secret_thread(board=board, author=author, secret=CANARY, replies=5)


def test_the_floor_template_sees_no_viewer(settings):
    """Only what the key holds may reach the template: no `user`, no `request`."""
    env = engines["jinja2"].env
    source = env.loader.get_source(env, rendered_floors.FLOOR_TEMPLATE)[0]
    names = meta.find_undeclared_variables(env.parse(source))
    assert names <= {"p", "name", "body", "tags", "only_author", "can_reply",
                     "can_moderate", "is_member", "is_own", "followed", "here", "csrf",
                     "_", "url"}


@pytest.mark.parametrize("who", ["guest", "member", "author", "replier", "moderator"])
def test_a_page_from_cached_floors_equals_the_page_rendered_fresh(
        who, client_for, secret_thread, member, author, moderator, renders):
    replier = make_user("replier")
    make_reply(thread=secret_thread, author=replier, body="我来回复")
    people.follow(follower=member, followee=author)
    viewer = {"guest": None, "member": member, "author": author,
              "replier": replier, "moderator": moderator}[who]
    client = client_for(viewer)
    url = secret_thread.get_absolute_url()
    fresh = _page(client, url + "?order=asc")
    assert renders
    renders.clear()
    again = _page(client, url + "?order=asc")
    if who == "moderator":
        assert renders  # a moderator's floors are rendered for them alone…
    else:
        assert renders == []  # …everyone else's were kept…
    assert again == fresh  # …and served the same
    cache.clear()
    assert _page(client, url + "?order=asc") == fresh


def test_one_members_floors_never_reach_another(client_for, secret_thread, member, author):
    """The author reads the hidden block, follows nobody and may edit the opening post;
    a member reading the same floors right after gets none of that."""
    replier = make_user("replier2")
    make_reply(thread=secret_thread, author=replier, body="回复一下")
    people.follow(follower=member, followee=replier)
    url = secret_thread.get_absolute_url()
    for reader in (author, replier):  # fill the cache with floors that show the block
        assert CANARY in client_for(reader).get(url).content.decode()

    page = client_for(member).get(url).content.decode()
    assert CANARY not in page
    opening = page[page.index('id="p'):page.index("</article>")]
    assert "/edit/" not in opening  # the author's edit link stays theirs
    assert "report" in opening
    replier_floor = page[page.rindex('<article'):]
    assert 'aria-pressed="true"' in replier_floor  # the member's own follow state
    assert 'aria-pressed="true"' not in opening


@pytest.mark.parametrize("shells", [False, True], ids=["floors-alone", "member-shells"])
def test_how_fresh_an_author_card_is_for_members(
        client_for, secret_thread, member, author, settings, shells):
    """Cards count posts. Rendered floors alone key on the card, so a reply elsewhere
    shows at once; a members' shell (forum/member_pages.py) keeps the card as the guest
    page cache does, until a write to this thread or FORUM_PAGE_CACHE_SECONDS."""
    settings.FORUM_PAGE_CACHE = shells
    url = secret_thread.get_absolute_url()
    client = client_for(member)
    client.get(url)  # the day's first visit may grant credits (a write)
    before = client.get(url).content.decode()
    other = make_thread(board=secret_thread.board, author=make_user())
    services.create_reply(thread=other, author=author, body="别处的回复")
    count = re.compile(r"<dt>帖子</dt><dd>(\d+)</dd>")

    def shown(page: str) -> int:
        return int(count.search(page).group(1))

    after = client.get(url).content.decode()
    assert shown(after) == shown(before) + (0 if shells else 1)
    services.create_reply(thread=secret_thread, author=make_user(), body="本帖的新回复")
    assert shown(client.get(url).content.decode()) == shown(before) + 1


def test_a_post_body_is_never_scanned_for_slots(client_for, board, author, member):
    """A post quoting the slot markers' text changes nothing: bodies are filled in last,
    and NUL never survives rendering anyway."""
    thread = make_thread(board=board, author=author,
                         body=f"正文 {rendered_floors.CSRF_SLOT} 与 {rendered_floors.BODY_SLOT}")
    client = client_for(member)
    client.get(thread.get_absolute_url())
    page = client.get(thread.get_absolute_url()).content.decode()
    assert page.count("csrfmiddlewaretoken") == _csrf_forms(page)
    assert "\x00" not in page


def _csrf_forms(page: str) -> int:
    return len(re.findall(r'<form[^>]*method="post"', page))
