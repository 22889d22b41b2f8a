"""A new member registers, logs in, starts a thread and replies, in a real browser."""

import pytest

from forum.models import Board, Category, Post, Thread

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def board(transactional_db):
    category = Category.objects.create(name="文秘天地")
    return Board.objects.create(category=category, name="秘书工作", slug="mishu")


def test_register_login_post_and_reply(live_server, page, board):
    base = live_server.url

    page.goto(f"{base}/accounts/signup/")
    page.fill("input[name=username]", "小李秘书")
    page.fill("input[name=email]", "xiaoli@example.com")
    page.fill("input[name=password1]", "Gongwen-2024-xiezuo")
    page.fill("input[name=password2]", "Gongwen-2024-xiezuo")
    page.click("form.account-form button[type=submit]")
    page.wait_for_url(f"{base}/")
    assert "小李秘书" in page.inner_text(".topbar-user")

    # Log out and back in by username.
    page.click(".topbar-user form button[type=submit]")
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", "小李秘书")
    page.fill("input[name=password]", "Gongwen-2024-xiezuo")
    page.click("form.account-form button[type=submit]")
    page.wait_for_url(f"{base}/")

    page.goto(f"{base}/b/mishu/")
    page.click("#new-thread")
    page.fill("input[name=title]", "会议纪要怎么写才规范")
    page.fill("textarea[name=body]", "请教各位：**会议纪要**的格式有什么要求？")
    page.fill("input[name=tags]", "会议纪要")
    page.click("#submit-post")
    page.wait_for_selector("h1:has-text('会议纪要怎么写才规范')")
    assert page.locator(".post-body strong").first.inner_text() == "会议纪要"

    page.fill("#reply-form textarea[name=body]", "先写会议名称、时间、地点，再写议定事项。")
    page.click("#submit-reply")
    page.wait_for_selector("text=先写会议名称、时间、地点，再写议定事项。")
    assert page.locator("article.floor").count() == 2

    thread = Thread.objects.get(title="会议纪要怎么写才规范")
    assert thread.reply_count == 1
    assert list(Post.objects.filter(thread=thread).values_list("floor", flat=True)
                .order_by("floor")) == [1, 2]
