"""The moderator toolbar on the thread page: plain POST forms with a reason, shown to
the board's moderators only; author IPs visible to moderators only."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from forum.models import ModerationLog, Post, Thread
from forum.moderation import services as mod
from forum.recount import recount_all
from tests.factories import fresh, make_board, make_moderator, make_reply, make_thread, make_user

pytestmark = pytest.mark.django_db


def action_url(thread, action: str) -> str:
    return reverse("forum:mod_thread", args=[thread.pk, action])


@pytest.fixture
def mod_client(client_for, moderator):
    return client_for(moderator)


def test_toolbar_is_shown_to_the_boards_moderators_only(client_for, thread, moderator, member):
    assert 'id="moderate"' in client_for(moderator).get(thread.get_absolute_url()).content.decode()
    assert 'id="moderate"' not in client_for(member).get(thread.get_absolute_url()).content.decode()
    outsider = make_moderator(make_board())
    page = client_for(outsider).get(thread.get_absolute_url()).content.decode()
    assert 'id="moderate"' not in page


def test_every_toolbar_form_is_a_post_form_with_a_reason(mod_client, thread):
    page = mod_client.get(thread.get_absolute_url()).content.decode()
    toolbar = page.split('id="moderate"', 1)[1].split("</details>", 1)[0]
    forms = re.findall(r"<form\b.*?</form>", toolbar, flags=re.S)
    assert len(forms) == 7  # no "move": this moderator has no other board to move to
    for form in forms:
        assert 'method="post"' in form and "csrfmiddlewaretoken" in form
        assert 'name="reason"' in form


def test_members_and_outsiders_cannot_post_toolbar_actions(client_for, thread, member):
    response = client_for(member).post(action_url(thread, "digest"), {"digest": "on"})
    assert response.status_code == 403
    outsider = make_moderator(make_board())
    assert client_for(outsider).post(action_url(thread, "digest"),
                                     {"digest": "on"}).status_code == 403
    assert not fresh(thread).is_digest


def test_guest_is_sent_to_login(client, thread):
    response = client.post(action_url(thread, "close"), {"closed": "on"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_unknown_action_is_404(mod_client, thread):
    assert mod_client.post(action_url(thread, "explode")).status_code == 404


def test_toolbar_actions_get_refused_on_get(mod_client, thread):
    assert mod_client.get(action_url(thread, "close")).status_code == 405


@pytest.mark.parametrize("action, data, field, value", [
    ("stick", {"level": "1"}, "sticky", 1),
    ("stick", {"level": "2"}, "sticky", 2),
    ("digest", {"digest": "on"}, "is_digest", True),
    ("highlight", {"color": "purple"}, "highlight", "purple"),
    ("close", {"closed": "on"}, "is_closed", True),
    ("delete", {}, "is_deleted", True),
])
def test_toolbar_action_changes_the_thread_and_logs_the_reason(mod_client, thread, action,
                                                              data, field, value):
    response = mod_client.post(action_url(thread, action), {**data, "reason": "版主说明"})
    assert response.status_code == 302
    assert getattr(fresh(thread), field) == value
    assert ModerationLog.objects.get().reason == "版主说明"


def test_toggle_forms_turn_flags_off_again(mod_client, thread, moderator):
    mod.close_thread(thread=thread, actor=moderator, closed=True)
    mod_client.post(action_url(thread, "close"), {"reason": ""})  # no "closed": reopen
    assert not fresh(thread).is_closed


def test_restore_from_the_toolbar(mod_client, thread, moderator):
    mod.delete_thread(thread=thread, actor=moderator)
    assert mod_client.post(action_url(thread, "restore")).status_code == 302
    assert not fresh(thread).is_deleted


def test_board_moderator_is_not_offered_the_global_sticky(mod_client, thread):
    page = mod_client.get(thread.get_absolute_url()).content.decode()
    assert '<option value="3"' not in page
    response = mod_client.post(action_url(thread, "stick"), {"level": "3", "reason": "全站"})
    assert response.status_code == 400
    assert "全站" in response.content.decode()  # the reason is kept on the error page
    assert fresh(thread).sticky == 0


def test_move_from_the_toolbar_leaves_a_stub(client_for, thread, board):
    target = make_board()
    moderator = make_user()
    board.moderators.add(moderator)
    target.moderators.add(moderator)
    client = client_for(moderator)
    page = client.get(thread.get_absolute_url()).content.decode()
    assert f'<option value="{target.pk}"' in page
    response = client.post(action_url(thread, "move"), {"board": target.pk,
                                                        "leave_redirect": "on"})
    assert response.status_code == 302
    assert fresh(thread).board_id == target.pk
    assert "badge-moved" in client.get(board.get_absolute_url()).content.decode()


def test_move_to_a_board_not_moderated_shows_the_form_again(mod_client, thread):
    elsewhere = make_board()
    response = mod_client.post(action_url(thread, "move"), {"board": elsewhere.pk,
                                                            "reason": "搬走"})
    assert response.status_code == 400
    assert "搬走" in response.content.decode()
    assert fresh(thread).board_id == thread.board_id


def test_merge_by_address_from_the_toolbar(mod_client, thread):
    other = make_thread(board=thread.board)
    make_reply(thread=other)
    response = mod_client.post(action_url(thread, "merge"), {
        "source": f"http://testserver/t/{other.pk}/?page=1", "reason": "重复"})
    assert response.status_code == 302
    assert not Thread.objects.filter(pk=other.pk).exists()
    assert fresh(thread).last_floor == 3
    assert {k: v for k, v in recount_all().items() if v} == {}


@pytest.mark.parametrize("source", ["abc", "999999", "self"])
def test_merge_with_a_bad_thread_reference_keeps_the_input(mod_client, thread, source):
    source = str(thread.pk) if source == "self" else source
    response = mod_client.post(action_url(thread, "merge"), {"source": source,
                                                             "reason": "合并原因"})
    assert response.status_code == 400
    page = response.content.decode()
    assert "合并原因" in page and "errorlist" in page


def test_split_with_floor_checkboxes(mod_client, thread):
    replies = [make_reply(thread=thread) for _ in range(3)]
    page = mod_client.get(thread.get_absolute_url()).content.decode()
    assert page.count('form="mod-split-form"') == 3  # one checkbox per reply
    response = mod_client.post(action_url(thread, "split"), {
        "posts": [replies[0].pk, replies[2].pk], "title": "拆分的新主题", "reason": "跑题"})
    new = Thread.objects.get(title="拆分的新主题")
    assert response.status_code == 302 and response["Location"] == new.get_absolute_url()
    assert new.last_floor == 2
    assert {k: v for k, v in recount_all().items() if v} == {}


def test_split_without_chosen_floors_keeps_the_title(mod_client, thread):
    response = mod_client.post(action_url(thread, "split"), {"title": "留着的标题"})
    assert response.status_code == 400
    assert "留着的标题" in response.content.decode()


def test_post_delete_and_restore_from_the_floor(mod_client, thread):
    reply = make_reply(thread=thread)
    url = reverse("forum:mod_post", args=[reply.pk, "delete"])
    response = mod_client.post(url, {"reason": "广告"})
    assert response.status_code == 302
    assert fresh(reply).is_deleted and fresh(reply).delete_reason == "广告"
    mod_client.post(reverse("forum:mod_post", args=[reply.pk, "restore"]))
    assert not fresh(reply).is_deleted


def test_members_cannot_delete_posts(client_for, thread, member):
    reply = make_reply(thread=thread)
    response = client_for(member).post(reverse("forum:mod_post", args=[reply.pk, "delete"]))
    assert response.status_code == 403
    assert not fresh(reply).is_deleted


# --- IP addresses ----------------------------------------------------------------------------

def test_author_ip_is_visible_to_moderators_only(client_for, thread, moderator, member):
    Post.objects.filter(thread=thread).update(author_ip="192.0.2.33")
    assert "192.0.2.33" in client_for(moderator).get(thread.get_absolute_url()).content.decode()
    assert "192.0.2.33" not in client_for(member).get(thread.get_absolute_url()).content.decode()
    assert "192.0.2.33" not in client_for(None).get(thread.get_absolute_url()).content.decode()


def test_replies_record_the_author_ip(client_for, thread, member):
    client = client_for(member, REMOTE_ADDR="198.51.100.20")
    client.post(reverse("forum:reply", args=[thread.pk]), {"body": "记录地址"})
    assert Post.objects.get(thread=thread, floor=2).author_ip == "198.51.100.20"


def test_thread_page_for_a_moderator_stays_within_a_small_budget(client_for, thread,
                                                                 moderator,
                                                                 django_assert_max_num_queries):
    for _ in range(5):
        make_reply(thread=thread)
    client = client_for(moderator)
    client.get(thread.get_absolute_url())
    with django_assert_max_num_queries(20):
        assert client.get(thread.get_absolute_url()).status_code == 200
