"""Search over the index: correctness for Chinese and English, ranking, filters, and
the index following every write (runs on SQLite FTS5 and PostgreSQL alike)."""

from __future__ import annotations

import datetime

import pytest
from django.db import transaction
from django.utils import timezone

from forum import services
from forum.search import index as search_index
from forum.search.backends import engine
from forum.search.query import Criteria, search
from forum.search.tokenizer import parse_query
from tests.factories import make_board, make_reply, make_thread, make_user, opening_post

pytestmark = pytest.mark.django_db


@pytest.fixture
def thread(board, author):
    """A thread whose own words (标题, 正文) stay out of the tests' queries."""
    return make_thread(board=board, author=author, title="标题", body="正文")


def found(q: str = "", **filters) -> list[int]:
    """Post ids found for a query, in result order (one big page)."""
    results = search(Criteria(phrases=parse_query(q), **filters), per_page=1000)
    return [hit.post.pk for hit in results.hits]


def count(q: str, **filters) -> int:
    return search(Criteria(phrases=parse_query(q), **filters)).count


# --- Chinese and English matching -----------------------------------------------------

def test_two_character_word_finds_every_post_containing_it(thread):
    texts = ["秘书", "我是秘书。", "秘书工作很忙", "办公室秘书，文秘", "好秘书！", "（秘书）"]
    posts = [make_reply(thread=thread, body=t) for t in texts]
    make_reply(thread=thread, body="秘密文书")  # 秘 and 书, never side by side
    assert sorted(found("秘书")) == sorted(p.pk for p in posts)


def test_single_character_finds_it_anywhere_in_a_run(thread):
    first = make_reply(thread=thread, body="稿件写好了")
    last = make_reply(thread=thread, body="这是初稿")
    alone = make_reply(thread=thread, body="稿")
    make_reply(thread=thread, body="文件写好了")
    assert sorted(found("稿")) == sorted([first.pk, last.pk, alone.pk])


def test_longer_chinese_query_matches_as_a_phrase(thread):
    hit = make_reply(thread=thread, body="这份会议纪要写得好")
    make_reply(thread=thread, body="会议上讨论了纪要的格式")
    assert found("会议纪要") == [hit.pk]


def test_phrase_does_not_cross_punctuation_into_the_next_run(thread):
    make_reply(thread=thread, body="会议，纪要")
    assert found("议纪") == []


def test_english_is_case_insensitive_and_matches_whole_words(thread):
    hit = make_reply(thread=thread, body="The PORT is closed")
    make_reply(thread=thread, body="my report")
    assert found("port") == [hit.pk]


def test_word_inside_letters_and_digits_is_found(thread):
    hit = make_reply(thread=thread, body="用Word2010排版")
    assert found("word") == [hit.pk]
    assert found("WORD2010") == [hit.pk]


def test_mixed_chinese_and_english_query(thread):
    hit = make_reply(thread=thread, body="怎样用Excel表格统计")
    make_reply(thread=thread, body="Excel 很好用")
    make_reply(thread=thread, body="表格很好用")
    assert found("Excel表格") == [hit.pk]


def test_full_width_query_finds_half_width_text_and_back(thread):
    half = make_reply(thread=thread, body="PPT2019 模板")
    full = make_reply(thread=thread, body="ＰＰＴ２０１９ 模板")
    assert sorted(found("ＰＰＴ２０１９")) == sorted(found("ppt2019")) == sorted([half.pk, full.pk])


def test_punctuation_in_the_query_is_ignored(thread):
    hit = make_reply(thread=thread, body="公文格式要规范")
    assert found("“公文”，") == found("公文") == [hit.pk]


def test_every_term_must_match(thread):
    both = make_reply(thread=thread, body="公文的格式")
    make_reply(thread=thread, body="公文")
    make_reply(thread=thread, body="格式")
    assert found("公文 格式") == [both.pk]


def test_terms_may_match_in_title_or_text(board):
    thread = make_thread(board=board, title="公文写作", body="注意格式")
    assert found("公文 格式") == [opening_post(thread).pk]


def test_japanese_and_korean_runs_are_searchable(thread):
    ja = make_reply(thread=thread, body="会議の議事録")
    ko = make_reply(thread=thread, body="회의록 작성")
    assert found("議事") == [ja.pk]
    assert found("회의") == [ko.pk]


# --- ranking ----------------------------------------------------------------------------

def test_title_matches_rank_first_then_newest(board):
    old_title = make_thread(board=board, title="秘书的一天", body="正文")
    body_hit = make_thread(board=board, title="别的", body="关于秘书")
    new_title = make_thread(board=board, title="新秘书报到", body="正文")
    reply_hit = make_reply(thread=body_hit, body="秘书很辛苦")
    assert found("秘书") == [
        opening_post(new_title).pk, opening_post(old_title).pk,
        reply_hit.pk, opening_post(body_hit).pk,
    ]


def test_pages_continue_where_the_last_left_off(board):
    thread = make_thread(board=board, title="标题", body="正文")
    posts = [make_reply(thread=thread, body=f"第{i}条总结") for i in range(7)]
    newest_first = [p.pk for p in reversed(posts)]
    pages = [search(Criteria(phrases=parse_query("总结")), page=n, per_page=3) for n in (1, 2, 3)]
    assert [[h.post.pk for h in p.hits] for p in pages] == [
        newest_first[:3], newest_first[3:6], newest_first[6:]]
    assert pages[0].count == 7 and pages[0].page_count == 3


def test_pages_stay_newest_first_when_the_count_is_capped(thread, settings):
    # A capped count means "many matches": PostgreSQL then walks the primary key
    # backwards instead of sorting every match; the order must not change.
    settings.FORUM_SEARCH_MAX_RESULTS = 6
    posts = [make_reply(thread=thread, body=f"第{i}条总结") for i in range(9)]
    newest_first = [p.pk for p in reversed(posts)]
    pages = [search(Criteria(phrases=parse_query("总结")), page=n, per_page=2) for n in (1, 2, 3)]
    assert [h.post.pk for p in pages for h in p.hits] == newest_first[:6]


def test_page_past_the_end_shows_the_last_page(thread):
    make_reply(thread=thread, body="总结")
    results = search(Criteria(phrases=parse_query("总结")), page=99)
    assert results.page == 1 and len(results.hits) == 1


def test_counting_stops_at_the_result_cap(thread, settings):
    settings.FORUM_SEARCH_MAX_RESULTS = 5
    for i in range(8):
        make_reply(thread=thread, body=f"材料{i}")
    results = search(Criteria(phrases=parse_query("材料")), per_page=2)
    assert results.count == 5 and results.more and results.page_count == 3


# --- no leaks: only public text of live posts --------------------------------------------

CANARY = "隐藏暗号QZ7"


def test_hidden_block_text_is_never_found(board, author):
    make_thread(board=board, author=author, title="公开标题",
                body=f"公开的开头\n\n[hide]{CANARY} 暗号[/hide]\n\n[hide=10]积分暗号[/hide]")
    assert found(CANARY) == []
    assert found("暗号") == []
    assert count("暗号") == 0


def test_snippet_of_a_post_with_hidden_blocks_has_only_public_text(board, author):
    make_thread(board=board, author=author, title="标题",
                body=f"公开的开头提到总结\n\n[hide]{CANARY}[/hide]\n\n公开的结尾")
    (hit,) = search(Criteria(phrases=parse_query("总结"))).hits
    assert CANARY not in hit.snippet_html and "公开的结尾" in hit.snippet_html


def test_unclosed_hide_hides_the_rest_from_search(thread):
    make_reply(thread=thread, body=f"开头总结 [hide]{CANARY} 直到结尾")
    assert found(CANARY) == []


def test_deleted_reply_is_not_found_and_restore_brings_it_back(thread, moderator):
    reply = make_reply(thread=thread, body="待删除的总结")
    services.delete_post(post=reply, actor=moderator)
    assert found("总结") == [] and count("总结") == 0
    services.restore_post(post=reply, actor=moderator)
    assert found("总结") == [reply.pk]


def test_deleted_thread_is_not_found_and_restore_brings_it_back(board, moderator):
    thread = make_thread(board=board, title="秘书手册", body="第一章")
    reply = make_reply(thread=thread, body="秘书须知")
    services.delete_thread(thread=thread, actor=moderator)
    assert found("秘书") == []
    services.restore_thread(thread=thread, actor=moderator)
    assert sorted(found("秘书")) == sorted([opening_post(thread).pk, reply.pk])


def test_deleted_posts_are_not_found_even_by_moderators_and_staff(thread, moderator):
    reply = make_reply(thread=thread, body="违规总结")
    services.delete_post(post=reply, actor=moderator)
    assert found("违规") == []  # search has no viewer-specific view of deleted posts


def test_rolled_back_reply_leaves_nothing_in_the_index(thread):
    with pytest.raises(RuntimeError), transaction.atomic():
        make_reply(thread=thread, body="回滚的总结")
        raise RuntimeError
    assert found("回滚") == []


def test_stale_index_entry_of_a_post_deleted_behind_the_services_is_never_shown(thread):
    reply = make_reply(thread=thread, body="幽灵总结")
    from forum.models import Post

    Post.objects.filter(pk=reply.pk).update(is_deleted=True)  # not through the services
    assert found("幽灵") == []
    search_index.rebuild()  # and reindex drops the entry
    assert count("幽灵") == 0


# --- the index follows every write -----------------------------------------------------

def test_edit_replaces_the_old_words(thread, author):
    post = opening_post(thread)
    services.edit_post(post=post, editor=author, body="全新的内容：督办")
    assert found("督办") == [post.pk]
    assert found("正文") == []


def test_title_edit_is_searchable_at_once(thread, author):
    post = opening_post(thread)
    services.edit_post(post=post, editor=author, body=post.body, title="年终总结范文")
    assert found("范文") == [post.pk]
    assert found("标题") == []


def test_edit_that_hides_a_word_removes_it_from_search(thread, author):
    post = make_reply(thread=thread, author=author, body="公开的暗语")
    services.edit_post(post=post, editor=author, body="[hide]公开的暗语[/hide]")
    assert found("暗语") == []


# --- filters -------------------------------------------------------------------------------

def test_board_filter_includes_sub_boards():
    parent = make_board(name="公文")
    child = make_board(parent=parent, name="公文模板")
    other = make_board(name="闲聊")
    in_parent = make_thread(board=parent, body="通知范文")
    in_child = make_thread(board=child, body="通知范文")
    make_thread(board=other, body="通知范文")
    assert sorted(found("范文", board_ids=[parent.pk, child.pk])) == sorted(
        [opening_post(in_parent).pk, opening_post(in_child).pk])


def test_moved_thread_is_found_under_its_new_board(board, staff):
    thread = make_thread(board=board, body="搬家的总结")
    reply = make_reply(thread=thread, body="回复里的总结")
    elsewhere = make_board()
    services.move_thread(thread=thread, actor=staff, board=elsewhere)
    assert found("总结", board_ids=[board.pk]) == []
    assert sorted(found("总结", board_ids=[elsewhere.pk])) == sorted(
        [opening_post(thread).pk, reply.pk])


def test_author_filter(thread):
    who = make_user()
    mine = make_reply(thread=thread, author=who, body="我的总结")
    make_reply(thread=thread, body="别人的总结")
    assert found("总结", author_id=who.pk) == [mine.pk]


def test_author_alone_lists_their_posts_newest_first(thread):
    who = make_user()
    first = make_reply(thread=thread, author=who, body="一")
    second = make_reply(thread=thread, author=who, body="二")
    assert found(author_id=who.pk) == [second.pk, first.pk]


def test_date_range_is_inclusive_of_both_days(thread):
    def at(day):
        return timezone.make_aware(datetime.datetime(2023, 5, day, 12))

    make_reply(thread=thread, body="四月底的总结", created_at=at(1) - datetime.timedelta(days=2))
    inside = [make_reply(thread=thread, body=f"{d}日总结", created_at=at(d)) for d in (1, 31)]
    make_reply(thread=thread, body="六月的总结", created_at=at(31) + datetime.timedelta(days=1))
    assert sorted(found("总结", date_from=datetime.date(2023, 5, 1),
                        date_to=datetime.date(2023, 5, 31))) == sorted(p.pk for p in inside)


def test_date_range_across_years(thread):
    old = make_reply(thread=thread, body="旧总结",
                     created_at=timezone.make_aware(datetime.datetime(2019, 3, 1)))
    make_reply(thread=thread, body="更旧的总结",
               created_at=timezone.make_aware(datetime.datetime(2017, 3, 1)))
    assert found("总结", date_from=datetime.date(2018, 11, 2)) == [old.pk]


def test_threads_only_searches_opening_posts(board):
    thread = make_thread(board=board, title="标题", body="开篇总结")
    make_reply(thread=thread, body="回复总结")
    assert found("总结", threads_only=True) == [opening_post(thread).pk]


# --- rebuilding ---------------------------------------------------------------------------

def _busy_forum(board, moderator, staff):
    """A history of writes of every kind, so the incremental index has work to show."""
    author = make_user()
    t1 = make_thread(board=board, author=author, title="秘书工作", body="公文 [hide]暗号[/hide]",
                     tags=["公文"])
    t2 = make_thread(board=board, title="Excel表格", body="Word2010 排版")
    replies = [make_reply(thread=t1, body=f"回复{i} 总结") for i in range(5)]
    services.edit_post(post=opening_post(t1), editor=author, body="改过的公文", title="新标题")
    services.delete_post(post=replies[0], actor=moderator)
    services.delete_post(post=replies[1], actor=moderator)
    services.restore_post(post=replies[1], actor=moderator)
    services.delete_thread(thread=t2, actor=moderator)
    t3 = make_thread(board=board, title="将被移动", body="移动")
    make_reply(thread=t3, body="跟着移动")
    services.move_thread(thread=t3, actor=staff, board=make_board())
    t4 = make_thread(board=board, title="删了又恢复", body="恢复")
    services.delete_thread(thread=t4, actor=moderator)
    services.restore_thread(thread=t4, actor=moderator)


def test_reindex_from_scratch_equals_the_incremental_index(board, moderator, staff):
    _busy_forum(board, moderator, staff)
    incremental = engine().dump()
    search_index.rebuild(fresh=True)
    assert engine().dump() == incremental
    kinds = [key.split()[0] for key in incremental]
    assert kinds.count("post") == 1 + 4 + 2 + 1  # t1 + live replies, t3 + reply, t4
    assert kinds.count("title") == 3  # t1, t3, t4


def test_reindex_in_place_equals_the_incremental_index(board, moderator, staff):
    _busy_forum(board, moderator, staff)
    incremental = engine().dump()
    search_index.rebuild(batch_size=3)
    assert engine().dump() == incremental


def test_reindex_repairs_a_stale_index(thread):
    reply = make_reply(thread=thread, body="正确内容")
    engine().clear()
    from forum.search.documents import Document

    engine().write([Document(post_id=10**9, title=(), body=("过期",), meta=())])
    search_index.rebuild()
    assert found("正确") == [reply.pk]
    assert f"post {10**9}" not in engine().dump()


def test_reindex_command_reports_the_count(thread, capsys):
    from django.core.management import call_command

    make_reply(thread=thread, body="一")
    call_command("reindex")
    assert "Indexed 2 post(s)" in capsys.readouterr().out
