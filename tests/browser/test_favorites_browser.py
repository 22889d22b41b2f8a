"""收藏 from a thread page in a real browser: in place with JavaScript, and by a plain
form post without it; then the thread is on the member's own profile tab."""

import pytest

from accounts.models import Favorite
from tests.factories import make_thread, make_user

from .test_people_follow import PASSWORD, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def scene(transactional_db):
    return {"thread": make_thread(title="会议纪要怎么写"),
            "reader": make_user("小李秘书", password=PASSWORD)}


def test_favorite_in_place_then_listed_on_the_profile(live_server, page, scene):
    base = live_server.url
    log_in(page, base, "小李秘书")
    page.goto(base + scene["thread"].get_absolute_url())
    button = page.locator(".js-favorite button")
    assert button.get_attribute("aria-pressed") == "false"
    page.evaluate("window.__samePage = true")  # gone if the page reloads

    button.click()
    page.wait_for_function(
        "() => document.querySelector('.js-favorite button').getAttribute('aria-pressed')"
        " === 'true'")
    assert page.evaluate("window.__samePage === true")
    assert Favorite.objects.filter(user=scene["reader"], thread=scene["thread"]).exists()

    page.goto(f"{base}/u/小李秘书/favorites/")
    assert "会议纪要怎么写" in page.locator(".profile-tab").inner_text()

    page.goto(base + scene["thread"].get_absolute_url())
    page.locator(".js-favorite button").click()  # and off again, in place
    page.wait_for_function(
        "() => document.querySelector('.js-favorite button').getAttribute('aria-pressed')"
        " === 'false'")
    assert not Favorite.objects.exists()


def test_favorite_works_without_javascript(live_server, browser, scene):
    context = browser.new_context(java_script_enabled=False, locale="zh-CN")
    page = context.new_page()
    try:
        base = live_server.url
        log_in(page, base, "小李秘书")
        thread_url = base + scene["thread"].get_absolute_url()
        page.goto(thread_url)
        page.locator(".js-favorite button").click()
        page.wait_for_load_state()
        assert page.url.startswith(thread_url)
        assert page.locator(".js-favorite button").get_attribute("aria-pressed") == "true"
        assert Favorite.objects.filter(user=scene["reader"]).count() == 1
    finally:
        context.close()
