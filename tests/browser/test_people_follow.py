"""Follow an author from a thread page, in a real browser: in place with JavaScript,
and by a plain form post without it."""

import pytest

from accounts import credits, levels
from accounts.models import Profile
from forum import services
from forum.models import Board, Category

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "Gongwen-2024-xiezuo"


@pytest.fixture
def scene(transactional_db, django_user_model):
    levels.ensure_defaults()
    credits.ensure_default_rules()
    category = Category.objects.create(name="文秘天地")
    board = Board.objects.create(category=category, name="秘书工作", slug="mishu")
    author = django_user_model.objects.create_user("刘正平", "liu@example.com", PASSWORD)
    reader = django_user_model.objects.create_user("小李秘书", "li@example.com", PASSWORD)
    thread = services.create_thread(board=board, author=author, title="会议纪要怎么写",
                                    body="先写会议概况。")
    services.create_reply(thread=thread, author=author, body="再写议定事项。")
    return {"thread": thread, "author": author, "reader": reader}


def log_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.account-form button[type=submit]")
    page.wait_for_url(f"{base}/")


def followers(user) -> int:
    return Profile.objects.get(user=user).follower_count


def test_follow_from_a_thread_updates_the_count_in_place(live_server, page, scene):
    base = live_server.url
    log_in(page, base, "小李秘书")
    page.goto(base + scene["thread"].get_absolute_url())
    summaries = page.locator(f'.js-follow-summary[data-user="{scene["author"].pk}"]')
    assert summaries.count() == 2  # the author's two floors
    assert "0 粉丝" in summaries.first.inner_text()
    page.evaluate("window.__samePage = true")  # gone if the page reloads

    page.locator(".author-card .js-follow button").first.click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.js-follow-summary')]"
        ".every(el => el.textContent.includes('1 粉丝'))"
    )
    assert page.evaluate("window.__samePage === true")  # updated in place, no reload
    buttons = page.locator(".author-card .js-follow button")
    assert all(buttons.nth(i).get_attribute("aria-pressed") == "true"
               for i in range(buttons.count()))
    assert followers(scene["author"]) == 1

    buttons.last.click()  # unfollow from the other floor
    page.wait_for_function(
        "() => document.querySelector('.js-follow-summary').textContent.includes('0 粉丝')"
    )
    assert followers(scene["author"]) == 0


def test_follow_works_without_javascript(live_server, browser, scene):
    context = browser.new_context(java_script_enabled=False, locale="zh-CN")
    page = context.new_page()
    try:
        base = live_server.url
        log_in(page, base, "小李秘书")
        thread_url = base + scene["thread"].get_absolute_url()
        page.goto(thread_url)
        page.locator(".author-card .js-follow button").first.click()
        page.wait_for_load_state()
        assert page.url.startswith(thread_url)
        assert "1 粉丝" in page.locator(".js-follow-summary").first.inner_text()
        assert followers(scene["author"]) == 1
    finally:
        context.close()
