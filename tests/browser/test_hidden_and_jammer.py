"""In a real browser: the hidden block opens after a reply; jammer junk is never copied."""

import pytest
from django.contrib.auth import get_user_model

from forum import services
from forum.models import Board, Category

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Gongwen-2024-xiezuo"


@pytest.fixture
def cast(transactional_db):
    User = get_user_model()
    category = Category.objects.create(name="文秘天地")
    board = Board.objects.create(category=category, name="秘书工作", slug="mishu", jammer=True)
    author = User.objects.create_user("刘正平", "liu@example.com", PASSWORD)
    reader = User.objects.create_user("小王", "wang@example.com", PASSWORD)
    thread = services.create_thread(
        board=board, author=author, title="秘书工作:把握新定位 服务新目标",
        body="改革开放以来，我国的政治、经济、社会发生了巨大变革。党委办公室秘书工作适应这一新形势，"
             "不断进行了创新发展。\n\n[hide]回复可见：办公室工作应注意从小处着手。[/hide]",
    )
    return {"thread": thread, "reader": reader}


def _log_in(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.account-form button[type=submit]")
    page.wait_for_url(f"{base}/")


def test_member_sees_notice_replies_and_reads_hidden_content(live_server, page, cast):
    base, thread = live_server.url, cast["thread"]
    _log_in(page, base, "小王")
    page.goto(f"{base}/t/{thread.pk}/")
    notice = page.locator(".hide-notice")
    assert "本帖隐藏的内容需要回复才可以浏览" in notice.inner_text()
    assert "从小处着手" not in page.content()

    page.fill("#reply-form textarea[name=body]", "学习了，谢谢分享")
    page.click("#submit-reply")
    page.wait_for_selector("text=学习了，谢谢分享")
    page.goto(f"{base}/t/{thread.pk}/")
    assert "办公室工作应注意从小处着手" in page.locator(".hidden-content").inner_text()
    assert page.locator(".hide-notice").count() == 0


def test_copying_a_jammed_post_carries_no_junk(live_server, page, cast):
    thread = cast["thread"]
    page.goto(f"{live_server.url}/t/{thread.pk}/")
    assert page.locator(".post-body .jm").count() > 0  # the junk is in the HTML
    selected = page.evaluate("""() => {
        const body = document.querySelector('.floor.is-opening .post-body p');
        const range = document.createRange();
        range.selectNodeContents(body);
        const selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        return selection.toString();
    }""")
    assert selected == ("改革开放以来，我国的政治、经济、社会发生了巨大变革。"
                        "党委办公室秘书工作适应这一新形势，不断进行了创新发展。")


def test_hide_button_wraps_the_selection(live_server, page, cast):
    base = live_server.url
    _log_in(page, base, "小王")
    page.goto(f"{base}/b/mishu/new/")
    page.fill("textarea[name=body]", "只给回复的人看")
    page.evaluate("() => document.querySelector('textarea[name=body]').select()")
    page.click(".editor-toolbar .tb-hide")
    assert page.input_value("textarea[name=body]") == "[hide]只给回复的人看[/hide]"
