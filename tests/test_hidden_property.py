"""Property: for any Markdown + hide markup, the public rendering holds no hidden text."""

from __future__ import annotations

import html
from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st

from forum import markup

PUBLIC_WORDS = st.sampled_from([
    "公文", "写作", "**粗体**", "*斜体*", "> 引用", "- 列表", "`代码`", "[链接](http://a.example/)",
    "<b>标签</b>", "<script>x</script>", "&amp;", "\n\n", "\n", "# 标题", "[/hide]", "1.",
    "|表|格|", "[hide", "hide]", "<!--", "-->", "```", "~~删~~",
])
# Inside a block any word but a closing tag (which, correctly, ends the block).
INNER_WORDS = PUBLIC_WORDS.filter(lambda w: w != "[/hide]")
HIDE_OPEN = st.sampled_from(["[hide]", "[hide=30]", "[hide=d7]", "[hide=d7,30]", "[HIDE]",
                             "[hide=abc]", "[hide=]"])


@st.composite
def documents(draw):
    """Public words around hidden blocks whose every word carries a canary."""
    parts, canaries = [], []
    for i in range(draw(st.integers(1, 4))):
        parts.append(" ".join(draw(st.lists(PUBLIC_WORDS, max_size=6))))
        canary = f"SECRET{i}X"
        canaries.append(canary)
        inner = " ".join(draw(st.lists(INNER_WORDS, max_size=4)))
        nested = draw(st.booleans())
        block = f"{canary} {inner} " + (f"[hide]{canary}嵌套[/hide] {canary}" if nested else "")
        close = "" if draw(st.integers(0, 5)) == 0 else "[/hide]"  # sometimes unclosed
        parts.append(f"{draw(HIDE_OPEN)}{block}{close}")
        if not close:
            break  # an unclosed block hides everything after it
    return "".join(parts), canaries


class _Validator(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        for name, value in attrs:
            assert not name.startswith("on"), name
            assert name != "style"
            if value:
                assert not value.strip().lower().startswith(("javascript:", "data:")), value


@settings(max_examples=300, deadline=None)
@given(documents())
def test_public_rendering_never_contains_hidden_text(doc):
    source, canaries = doc
    rendered = markup.render(source)
    public_everything = (rendered.html_public + rendered.text_public
                         + markup.public_source(source) + markup.quote_source("x", source))
    for canary in canaries:
        assert canary not in public_everything
        assert canary not in html.unescape(public_everything)
    assert rendered.has_hidden


@settings(max_examples=300, deadline=None)
@given(documents())
def test_renderings_are_sanitized_html(doc):
    source, _canaries = doc
    rendered = markup.render(source)
    for fragment in (rendered.html, rendered.html_public, *rendered.hidden_fragments):
        validator = _Validator()
        validator.feed(fragment)
        assert validator.tags <= markup.ALLOWED_TAGS | {"div"}
        assert "<script" not in fragment.lower()
