"""The tokenizer: the same tokens for the index and for queries (no database)."""

from __future__ import annotations

from forum.search.snippets import highlight, pattern_for, snippet
from forum.search.tokenizer import parse_query, tokens


def test_cjk_run_becomes_overlapping_bigrams_and_its_last_character():
    assert tokens("秘书工作") == ["秘书", "书工", "工作", "作"]


def test_single_cjk_character_is_one_token():
    assert tokens("文") == ["文"]


def test_punctuation_ends_a_cjk_run():
    assert tokens("秘书，公文。") == ["秘书", "书", "公文", "文"]


def test_full_width_letters_and_digits_fold_to_half_width_lower_case():
    assert tokens("ＰＰＴ２０１９") == tokens("ppt2019") == ["ppt", "2019"]


def test_letters_and_digits_split_inside_a_word():
    assert tokens("Word2010") == ["word", "2010"]


def test_chinese_and_english_split_where_they_meet():
    assert tokens("用Excel表格") == ["用", "excel", "表格", "格"]


def test_punctuation_and_symbols_are_not_tokens():
    assert tokens("GB/T 9704-2012！!?") == ["gb", "t", "9704", "2012"]


def test_two_character_query_is_one_token_phrase():
    (phrase,) = parse_query("秘书")
    assert phrase.tokens == ("秘书",) and not phrase.prefix


def test_longer_cjk_query_is_a_phrase_of_bigrams():
    (phrase,) = parse_query("会议纪要")
    assert phrase.tokens == ("会议", "议纪", "纪要")


def test_single_cjk_character_query_is_a_prefix():
    (phrase,) = parse_query("秘")
    assert phrase.tokens == ("秘",) and phrase.prefix


def test_spaces_separate_terms_that_must_all_match():
    assert [p.text for p in parse_query("公文  格式")] == ["公文", "格式"]


def test_mixed_query_splits_into_cjk_and_word_phrases():
    assert [p.tokens for p in parse_query("Excel表格")] == [("excel",), ("表格",)]


def test_words_joined_by_punctuation_stay_one_phrase():
    assert [p.tokens for p in parse_query("GB/T")] == [("gb", "t")]


def test_query_of_punctuation_only_has_no_phrases():
    assert parse_query("，。！？…——") == []


def test_full_width_query_equals_half_width_query():
    assert parse_query("ＥＸＣＥＬ") == parse_query("excel")


def test_repeated_terms_count_once():
    assert len(parse_query("秘书 秘书 秘书")) == 1


def test_snippet_marks_matches_and_escapes_the_text():
    html = snippet("<b>秘书</b> & 公文", pattern_for(parse_query("秘书")))
    assert html == "&lt;b&gt;<mark>秘书</mark>&lt;/b&gt; &amp; 公文"


def test_snippet_marks_full_width_text_for_a_half_width_query():
    html = snippet("请用ＥＸＣＥＬ做表", pattern_for(parse_query("excel")))
    assert "<mark>ＥＸＣＥＬ</mark>" in html


def test_english_highlight_respects_word_boundaries():
    html = highlight("report on the port", pattern_for(parse_query("port")))
    assert html == "report on the <mark>port</mark>"


def test_snippet_centres_on_the_first_match_of_a_long_text():
    text = "无关内容。" * 100 + "会议纪要" + "其他内容。" * 100
    html = snippet(text, pattern_for(parse_query("纪要")), length=60)
    assert html.startswith("…") and html.endswith("…") and "<mark>纪要</mark>" in html
