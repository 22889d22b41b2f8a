"""Discuz!'s content anti-scraping ("jammer"), done without touching what people read.

On boards with the flag, the public HTML of a post gets short random junk strings
between sentences, each inside its own `<span class="jm" aria-hidden="true">`
that the stylesheet hides (display: none, so it is neither seen, read aloud nor
copied with a selection). A scraper that strips tags gets garbage.

This is the one post-pass over cleaned HTML, and it never edits markup with string
operations: a real tokenizer (html.parser) walks the cleaned HTML and re-emits every
token exactly as it came, adding junk elements only inside text nodes, and never
inside links, code, preformatted text, our hidden-block notices or markers. The
junk is escaped, so removing the `jm` elements gives back the input exactly (a
property test checks it). A fresh junk string on every render.
"""

from __future__ import annotations

import html
import re
import secrets
from html.parser import HTMLParser

JUNK_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%*()-;[]/"
JUNK_CLASS = "jm"
# Elements whose text is left alone: link text and code must stay exact, and a
# hidden-content notice is ours, not the author's.
SKIP_ELEMENTS = frozenset({"a", "code", "pre", "script", "style", "textarea"})
_BREAK_RE = re.compile(r"(?<=[。！？；，、：!?;,.])")
_VOID = frozenset({"br", "hr", "img", "input", "meta", "link", "wbr", "area", "col", "source"})


def junk(rng=secrets) -> str:
    """Short runs like `2 ]; C* O) n4 R7 E! I1 J- A`."""
    pieces = []
    for _ in range(2 + rng.randbelow(5)):
        size = 1 + rng.randbelow(2)
        pieces.append("".join(rng.choice(JUNK_ALPHABET) for _ in range(size)))
    return " ".join(pieces)


def _junk_element(rng) -> str:
    return f'<span class="{JUNK_CLASS}" aria-hidden="true">{html.escape(junk(rng))}</span>'


class _Jammer(HTMLParser):
    def __init__(self, rng, every: int):
        super().__init__(convert_charrefs=False)
        self.rng = rng
        self.every = every
        self.out: list[str] = []
        self.skip_depth = 0
        self.notice_depth = 0
        self.open_divs: list[bool] = []  # for each open div: is it a notice?
        self.jammed = False  # the first eligible place always gets junk

    def handle_starttag(self, tag, attrs):
        self.out.append(self.get_starttag_text())
        if tag in _VOID:
            return
        if tag in SKIP_ELEMENTS:
            self.skip_depth += 1
        if tag == "div":
            is_notice = any(k == "class" and v and "hide-notice" in v for k, v in attrs)
            self.open_divs.append(is_notice)
            self.notice_depth += is_notice

    def handle_startendtag(self, tag, attrs):
        self.out.append(self.get_starttag_text())

    def handle_endtag(self, tag):
        self.out.append(f"</{tag}>")
        if tag in SKIP_ELEMENTS and self.skip_depth:
            self.skip_depth -= 1
        if tag == "div" and self.open_divs:
            self.notice_depth -= self.open_divs.pop()

    def handle_data(self, data):
        if self.skip_depth or self.notice_depth or not data.strip():
            self.out.append(data)
            return
        parts = _BREAK_RE.split(data)
        for i, part in enumerate(parts):
            self.out.append(part)
            if part and i < len(parts) - 1 and self._now():
                self.out.append(_junk_element(self.rng))
        no_break = len(parts) == 1 and not data.endswith("\n")
        if no_break and self._now():
            self.out.append(_junk_element(self.rng))

    def _now(self) -> bool:
        if not self.jammed or self.rng.randbelow(self.every) == 0:
            self.jammed = True
            return True
        return False

    def handle_entityref(self, name):
        self.out.append(f"&{name};")

    def handle_charref(self, name):
        self.out.append(f"&#{name};")

    def handle_comment(self, data):
        self.out.append(f"<!--{data}-->")

    def handle_decl(self, decl):
        self.out.append(f"<!{decl}>")

    def unknown_decl(self, data):
        self.out.append(f"<![{data}]>")

    def handle_pi(self, data):
        self.out.append(f"<?{data}>")


def jam(cleaned_html: str, *, rng=secrets, every: int = 2) -> str:
    """Add junk elements to cleaned HTML; roughly one break in `every` gets one."""
    parser = _Jammer(rng, every)
    parser.feed(cleaned_html)
    parser.close()
    return "".join(parser.out)


_JUNK_RE = re.compile(rf'<span class="{JUNK_CLASS}" aria-hidden="true">[^<]*</span>')


def unjam(jammed_html: str) -> str:
    """Remove the junk elements (for tests and for tools that need clean text)."""
    return _JUNK_RE.sub("", jammed_html)
