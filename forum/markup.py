"""Source text -> RenderedBody: sanitized HTML, the public variant, plain text.

The source is Markdown plus Discuz!'s hidden blocks (`[hide]…[/hide]`,
`[hide=N]…[/hide]`, `[hide=dD]`, `[hide=dD,N]`). The source is split into public
and hidden segments first; each segment is rendered and sanitized on its own and
the cleaned fragments are joined whole. Cleaned HTML is never edited with string
operations, so no combination of user input can assemble a tag the sanitizer
removed. Rendering happens once, at write time; bump RENDER_VERSION when the
output changes and run `manage.py rerender`.
"""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass, field
from functools import partial

import bleach
import mistune
from bleach.linkifier import LinkifyFilter

RENDER_VERSION = 2  # 2: @mentions of existing members are links

ALLOWED_TAGS = frozenset({
    "p", "br", "hr", "strong", "em", "del", "s", "code", "pre", "blockquote",
    "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6", "a", "img",
    "table", "thead", "tbody", "tr", "th", "td",
})
ALLOWED_ATTRIBUTES = {"a": ["href", "title", "rel"], "img": ["src", "alt", "title"]}
ALLOWED_PROTOCOLS = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener"

_markdown = mistune.create_markdown(
    escape=True, hard_wrap=True, plugins=["strikethrough", "table"]
)


def _set_rel(attrs, new=False):
    href_key = (None, "href")
    if href_key in attrs:
        attrs[(None, "rel")] = LINK_REL
    return attrs


_cleaner = bleach.Cleaner(
    tags=ALLOWED_TAGS,
    attributes=ALLOWED_ATTRIBUTES,
    protocols=ALLOWED_PROTOCOLS,
    strip=True,
    strip_comments=True,
    filters=[partial(LinkifyFilter, callbacks=[_set_rel], skip_tags={"pre", "code"})],
)
_text_cleaner = bleach.Cleaner(tags=set(), attributes={}, strip=True, strip_comments=True)


def sanitize(fragment_html: str) -> str:
    """The one place bleach is called on markup (bleach is in maintenance mode)."""
    return _cleaner.clean(fragment_html)


def html_to_text(fragment_html: str) -> str:
    text = _text_cleaner.clean(fragment_html)
    return re.sub(r"\s+", " ", html_lib.unescape(text)).strip()


# --- @mentions (accounts.mentions decides which names exist) -----------------------------

_NO_MENTION_TAGS = frozenset({"a", "pre", "code"})


class _MentionFilter(bleach.html5lib_shim.Filter):
    """Turns "@name" in text nodes into a link to the member's page.

    A token filter run over cleaned HTML, as the jammer's pass: it only splits text
    tokens and adds whole <a> elements of its own, never inside links or code.
    """

    def __init__(self, source, links):
        super().__init__(source)
        self.links = links
        names = sorted(links, key=len, reverse=True)
        self.pattern = re.compile(
            r"(?<![A-Za-z0-9_@.+-])@(" + "|".join(re.escape(n) for n in names) + ")"
        )

    def __iter__(self):
        skipping = 0
        for token in super().__iter__():
            kind = token["type"]
            if kind == "StartTag" and token["name"] in _NO_MENTION_TAGS:
                skipping += 1
            elif kind == "EndTag" and token["name"] in _NO_MENTION_TAGS:
                skipping = max(0, skipping - 1)
            elif kind == "Characters" and not skipping:
                yield from self._split(token["data"])
                continue
            yield token

    def _split(self, text: str):
        end = 0
        for match in self.pattern.finditer(text):
            if match.start() > end:
                yield {"type": "Characters", "data": text[end:match.start()]}
            attrs = {(None, "href"): self.links[match.group(1)], (None, "class"): "mention"}
            yield {"type": "StartTag", "name": "a", "data": attrs}
            yield {"type": "Characters", "data": match.group(0)}
            yield {"type": "EndTag", "name": "a"}
            end = match.end()
        if end < len(text):
            yield {"type": "Characters", "data": text[end:]}


def link_mentions(fragment_html: str, links: dict[str, str]) -> str:
    """Cleaned HTML with each "@name" in `links` ({name: url}) made a link."""
    if not links:
        return fragment_html
    cleaner = bleach.Cleaner(
        tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES, protocols=ALLOWED_PROTOCOLS,
        strip=True, strip_comments=True, filters=[partial(_MentionFilter, links=links)],
    )
    return cleaner.clean(fragment_html)


# --- hidden blocks -------------------------------------------------------------------

@dataclass(frozen=True)
class HideRule:
    """Who may read one hidden block: repliers (credits=0) or members with credits."""

    credits: int = 0
    days: int = 0  # public for everyone this many days after posting; 0 = never

    @property
    def marker(self) -> str:
        # An HTML comment: bleach strips every comment from user input, so only
        # this module can put one into stored HTML.
        return f"<!--hide:{self.credits}:{self.days}-->"


MARKER_RE = re.compile(r"<!--hide:(\d+):(\d+)-->")
_TAG_RE = re.compile(r"\[(/?)hide(?:=([^\]\n]{0,20}))?\]", re.IGNORECASE)
_PARAM_RE = re.compile(r"^\s*(?:d(\d{1,5})\s*(?:,\s*(\d{1,9}))?|(\d{1,9}))\s*$", re.IGNORECASE)


def _parse_rule(param: str | None) -> HideRule:
    if not param:
        return HideRule()
    m = _PARAM_RE.match(param)
    if not m:
        return HideRule()
    days, credits_after_days, credits = m.groups()
    if days is not None:
        return HideRule(credits=int(credits_after_days or 0), days=int(days))
    return HideRule(credits=int(credits))


@dataclass
class Segment:
    text: str
    rule: HideRule | None = None  # None: public


def split_hidden(source: str) -> list[Segment]:
    """Split source into public and hidden segments.

    Nested blocks are flattened into the outer one, a stray closing tag is dropped,
    and an unclosed block hides everything to the end (fail closed).
    """
    segments: list[Segment] = []
    depth = 0
    pos = 0
    current_rule: HideRule | None = None
    buffer: list[str] = []
    for match in _TAG_RE.finditer(source):
        buffer.append(source[pos:match.start()])
        pos = match.end()
        closing, param = match.group(1), match.group(2)
        if not closing:
            if depth == 0:
                segments.append(Segment("".join(buffer)))
                buffer = []
                current_rule = _parse_rule(param)
            depth += 1
        elif depth > 0:
            depth -= 1
            if depth == 0:
                segments.append(Segment("".join(buffer), current_rule))
                buffer = []
                current_rule = None
    buffer.append(source[pos:])
    segments.append(Segment("".join(buffer), current_rule if depth > 0 else None))
    return [s for s in segments if s.text.strip() or s.rule is not None]


def public_source(source: str) -> str:
    """The source with every hidden block removed (for quotes and excerpts)."""
    return "\n\n".join(s.text.strip("\n") for s in split_hidden(source) if s.rule is None)


# --- rendering ----------------------------------------------------------------------

@dataclass
class RenderedBody:
    html: str  # everything, for readers allowed to see hidden blocks
    html_public: str  # hidden blocks replaced by markers
    text_public: str  # plain text of the public part: excerpts, meta tags, search
    rules: list[HideRule] = field(default_factory=list)
    hidden_fragments: list[str] = field(default_factory=list)  # one per rule, wrapped

    @property
    def has_hidden(self) -> bool:
        return bool(self.rules)

    @property
    def excerpt(self) -> str:
        return excerpt(self.text_public)


ATTACH_RE = re.compile(r"\[attach\]\s*(\d{1,12})\s*\[/attach\]", re.IGNORECASE)


def _place_attachments(source: str) -> str:
    # An attachment becomes an image whose URL is the permission-checking view.
    return ATTACH_RE.sub(lambda m: f"![#{m.group(1)}](/a/{m.group(1)}/)", source)


def render_fragment(source: str) -> str:
    return sanitize(_markdown(_place_attachments(source)))


def render(source: str, *, mentions: dict[str, str] | None = None) -> RenderedBody:
    """`mentions` ({username: url}) links those "@username"s (see accounts.mentions)."""
    full: list[str] = []
    public: list[str] = []
    texts: list[str] = []
    rules: list[HideRule] = []
    hidden: list[str] = []
    for segment in split_hidden(source):
        fragment = link_mentions(render_fragment(segment.text), mentions or {})
        if segment.rule is None:
            full.append(fragment)
            public.append(fragment)
            texts.append(html_to_text(fragment))
        else:
            wrapped = f'<div class="hidden-content">{fragment}</div>'
            rules.append(segment.rule)
            hidden.append(wrapped)
            full.append(wrapped)
            public.append(segment.rule.marker)
    return RenderedBody(
        html="".join(full),
        html_public="".join(public),
        text_public=" ".join(t for t in texts if t),
        rules=rules,
        hidden_fragments=hidden,
    )


def excerpt(text: str, length: int = 120) -> str:
    text = text.strip()
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def quote_source(author_name: str, source: str, limit: int = 300) -> str:
    """A Markdown quote of the public part of a post, for the quote-reply form."""
    text = excerpt(html_to_text(render_fragment(public_source(source))), limit)
    lines = [f"**{author_name}:**", *text.splitlines()]
    return "\n".join(f"> {line}" for line in lines) + "\n\n"
