"""Every page of the demo forum answers, for each kind of visitor, on real seeded data."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from forum.models import Board, Post, Thread

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(db):
    call_command("seed_demo", threads=40, seed=7, verbosity=0)
    big = Thread.objects.order_by("-reply_count").first()
    return {
        "big": big,
        "ref": Thread.objects.get(title__contains="把握新定位"),
        "boards": list(Board.objects.all()),
    }


def _urls(demo):
    big, ref = demo["big"], demo["ref"]
    last_post = Post.objects.filter(thread=big).order_by("-floor").first()
    urls = ["/", "/healthz", f"/t/{ref.pk}/", f"/t/{ref.pk}/print/", f"/p/{last_post.pk}/"]
    for board in demo["boards"]:
        urls += [f"/b/{board.slug}/", f"/b/{board.slug}/?page=2", f"/b/{board.slug}/?filter=digest"]
    author = big.author_id
    for query in ("", "?page=2", "?page=17", "?page=999999", "?page=abc", "?order=desc",
                  "?order=desc&page=3", f"?author={author}", f"?author={author}&page=2",
                  "?author=abc", "?mode=read"):
        urls.append(f"/t/{big.pk}/{query}")
    return urls


def test_every_demo_page_answers_for_every_kind_of_visitor(client, demo):
    # One seed for all four visitors: seeding is the slow part.
    User = get_user_model()
    visitors = {
        "guest": None,
        "member": User.objects.filter(moderated_boards=None, is_staff=False).first(),
        "moderator": demo["boards"][0].moderators.first(),
        "staff": User.objects.create_user("站长", "zz@example.com", "x", is_staff=True),
    }
    for who, user in visitors.items():
        client.logout()
        if user is not None:
            client.force_login(user)
        for url in _urls(demo):
            response = client.get(url, follow=True)
            assert response.status_code == 200, (who, url)


def test_big_thread_last_page_shows_last_floor_and_guests_never_see_hidden_text(client, demo):
    big, ref = demo["big"], demo["ref"]
    pages = -(-big.last_floor // 20)
    response = client.get(f"/t/{big.pk}/?page={pages}")
    assert f"{big.last_floor}#" in response.content.decode()
    html = client.get(f"/t/{ref.pk}/").content.decode()
    assert "原帖此处为回复可见的内容" not in html
    assert "把握新定位" in html
