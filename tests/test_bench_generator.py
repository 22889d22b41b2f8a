"""The benchmark generator (bench/generator.py) writes a consistent forum.

Run at a tiny size against the test database: every counter the services keep must
already be right (`recount` repairs nothing), the megathread's floors are
contiguous, the sizes are what was asked for, and hidden blocks stay out of the
public columns.
"""

from __future__ import annotations

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.db.models import Count, F, Max, Min

from accounts.models import CreditLog, Profile
from bench.generator import BIG_BOARD_SLUG, PASSWORD, Sizes, generate
from forum.models import Board, Post, Tag, Thread
from forum.recount import recount_all

POSTS = 1200


@pytest.fixture
def generated(db):
    return generate(posts=POSTS, seed=3)


def test_recount_changes_nothing(generated):
    changes = recount_all()
    assert changes, "recount reported no counters at all"
    assert {k: v for k, v in changes.items() if v} == {}


def test_sizes_are_as_requested(generated):
    sizes = Sizes.for_posts(POSTS)
    assert Post.objects.count() == POSTS
    assert Thread.objects.count() == sizes.threads
    assert get_user_model().objects.count() == sizes.members
    assert Profile.objects.count() == sizes.members
    big = Board.objects.get(slug=BIG_BOARD_SLUG)
    assert big.threads.count() == sizes.big_threads
    assert Board.objects.count() == 1 + sizes.small_boards
    assert Tag.objects.filter(thread_count__gt=0).exists()


def test_megathread_floors_are_contiguous(generated):
    sizes = Sizes.for_posts(POSTS)
    mega = Thread.objects.get(pk=generated.megathread_id)
    floors = mega.posts.aggregate(n=Count("id"), lo=Min("floor"), hi=Max("floor"))
    assert floors == {"n": sizes.mega_floors, "lo": 1, "hi": sizes.mega_floors}
    assert mega.last_floor == sizes.mega_floors
    assert mega.board.slug == BIG_BOARD_SLUG
    # Its author has many floors of their own, for the 只看该作者 page.
    assert mega.posts.filter(author=mega.author).count() > 1
    # Every thread's floors are 1..last_floor with no gap.
    gaps = (Thread.objects.annotate(n=Count("posts"), lo=Min("posts__floor"),
                                    hi=Max("posts__floor"))
            .exclude(n=F("hi"), lo=1, hi=F("last_floor")).count())
    assert gaps == 0


def test_post_ids_grow_with_time_and_floors(generated):
    ordered = list(Post.objects.filter(thread_id=generated.megathread_id)
                   .order_by("floor").values_list("id", "created_at"))
    assert ordered == sorted(ordered)


def test_rendering_hides_hidden_blocks(generated):
    hidden = Post.objects.filter(has_hidden=True)
    assert hidden.exists()
    for post in hidden[:20]:
        assert "[hide" in post.body
        assert post.hidden_fragments
        for fragment_text in ("回复后可见", "积分达到 50 可见"):
            assert fragment_text not in post.html_public
            assert fragment_text not in post.text_public
    assert Post.objects.filter(body__contains="Excel").exists() or \
        Post.objects.filter(body__contains="Word").exists()


def test_ledger_matches_credits_and_member_can_sign_in(generated):
    member = get_user_model().objects.get(username=generated.member_username)
    ledger = sum(CreditLog.objects.filter(user=member).values_list("amount", flat=True))
    assert member.profile.credits == ledger > 0
    assert authenticate(username=member.username, password=PASSWORD) == member


def test_refuses_a_database_that_is_not_empty(generated):
    with pytest.raises(RuntimeError):
        generate(posts=POSTS, seed=3)


def test_sequences_continue_after_the_generated_rows(generated):
    board = Board.objects.get(slug=BIG_BOARD_SLUG)
    author = get_user_model().objects.get(username=generated.member_username)
    thread = Thread.objects.create(board=board, author=author, title="after")
    assert thread.pk > Sizes.for_posts(POSTS).threads
