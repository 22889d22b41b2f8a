"""The anti-scraping jammer: junk for scrapers, nothing changed for readers."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forum import markup
from forum.jammer import JUNK_CLASS, jam, junk, unjam
from tests.factories import make_board, make_reply, make_thread, make_user

TEXT = st.text(
    alphabet=st.sampled_from(list("公文写作，会议。纪要！？；abc XYZ 123*_-#>[]()<>&\"'\n`")),
    max_size=300,
)


@settings(max_examples=200, deadline=None)
@given(TEXT)
def test_removing_the_junk_gives_back_the_input_exactly(source):
    cleaned = markup.render(source).html_public
    assert unjam(jam(cleaned)) == cleaned


@settings(max_examples=150, deadline=None)
@given(TEXT)
def test_junk_never_lands_inside_links_code_or_tags(source):
    jammed = jam(markup.render(source).html_public, every=1)

    class Check(HTMLParser):
        def __init__(self):
            super().__init__()
            self.stack: list[str] = []

        def handle_starttag(self, tag, attrs):
            if tag == "span" and ("class", JUNK_CLASS) in attrs:
                assert not {"a", "code", "pre"} & set(self.stack), self.stack
                assert ("aria-hidden", "true") in attrs
            if tag not in {"br", "hr", "img"}:
                self.stack.append(tag)

        def handle_endtag(self, tag):
            if self.stack and self.stack[-1] == tag:
                self.stack.pop()

    Check().feed(jammed)


def test_junk_looks_like_discuz_junk():
    sample = junk()
    assert 2 <= len(sample.split()) <= 6
    assert re.fullmatch(r"[A-Za-z0-9!#$%*()\-;\[\]/ ]+", sample)


def test_junk_differs_on_every_render():
    cleaned = markup.render("第一句。第二句。第三句。第四句。第五句。" * 3).html_public
    assert jam(cleaned, every=1) != jam(cleaned, every=1)


def test_hidden_notice_and_markers_are_left_alone():
    notice = '<div class="hide-notice" role="note">本帖隐藏的内容需要回复才可以浏览。请回复。</div>'
    cleaned = "<p>公开。内容。</p><!--hide:0:0-->" + notice
    jammed = jam(cleaned, every=1)
    assert notice in jammed and "<!--hide:0:0-->" in jammed


@pytest.mark.django_db
def test_jammer_board_gives_guests_junk_and_members_clean_text(client_for):
    board = make_board(jammer=True)
    thread = make_thread(board=board, body="第一句话。第二句话。第三句话。第四句话。第五句话。")
    make_reply(thread=thread, body="回复的第一句。回复的第二句。回复的第三句。")
    guest = client_for(None).get(f"/t/{thread.pk}/").content.decode()
    assert f'class="{JUNK_CLASS}"' in guest
    member = client_for(make_user()).get(f"/t/{thread.pk}/").content.decode()
    assert f'class="{JUNK_CLASS}"' not in member
    board.jammer_for_members = True
    board.save()
    member = client_for(make_user()).get(f"/t/{thread.pk}/").content.decode()
    assert f'class="{JUNK_CLASS}"' in member


@pytest.mark.django_db
def test_boards_without_the_flag_are_never_jammed(client_for):
    thread = make_thread(body="第一句话。第二句话。第三句话。第四句话。")
    html = client_for(None).get(f"/t/{thread.pk}/").content.decode()
    assert f'class="{JUNK_CLASS}"' not in html
