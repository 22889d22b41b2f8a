"""Discuz! BBCode -> our post source (Markdown + hidden blocks), by a real parser.

`convert(message, attachments=..., smilies=...)` reads a `pre_forum_post.message` in
three steps: a tokenizer finds the known tags (anything else is text), a matcher pairs
each closing tag with the nearest open tag of its name (an opening tag that is never
closed and a closing tag that closes nothing stay literal text), and a tree builder
nests them, splitting a mis-nested tag in two the way browsers do
(`[b]1[i]2[/b]3[/i]` is `**1*2***` then `*3*`). A renderer then writes Markdown that
`forum.markup` reads back as the same structure: every character of text is escaped
so that it stays text (`*`, `#` at a line start, `<script>`, `[hide]` typed as text…),
and nothing becomes HTML: the output goes through our usual Markdown + bleach pipeline.

| Discuz                         | our source                 | why / note                     |
|--------------------------------|----------------------------|--------------------------------|
| [b] [i] [s]                    | `**` `*` `~~`              |                                |
| [u] [color] [size] [font]      | the text, unstyled         | bleach allows no style, span   |
| [backcolor] [sup] [sub] [fly]  | the text, unstyled         | or u; text over decoration     |
| [free]                         | the text                   | (paid threads' free part)      |
| [align] [p] [float]            | the content as own blocks  | Discuz made them <div>/<p>     |
| [quote] [indent]               | `> ` blockquote            | Discuz renders both so         |
| [code]                         | fenced block, verbatim     | no escapes; `[hide`, `[attach` |
|                                |                            | get a U+2060 after `[` so our  |
|                                |                            | markup leaves them as text     |
| [list] [list=1/a/A/i/I] [*]    | `- ` / `1. ` lists         | letters/roman become numbers   |
| [table] [tr] [td]              | GFM table, 1st row header  | spans/widths/colours dropped;  |
|                                |                            | a cell holding blocks (quote,  |
|                                |                            | list, hide…) turns the table   |
|                                |                            | into plain blocks, row by row  |
| [hr]                           | `---`                      |                                |
| [url] [url=…]                  | `[text](<url>)`            | http(s), mailto; www. -> http; |
|                                |                            | relative -> site-root (our old |
|                                |                            | link redirects answer them);   |
|                                |                            | any other scheme: text only    |
| [url=home.php?mod=space&uid=N] | `@name`                    | our renderer links mentions    |
| @name (Discuz's @ link)        |                            |                                |
| [email] [email=…]              | `[text](<mailto:…>)`       | an invalid address is text     |
| [img] [img=w,h]                | `![](<url>)`               | size dropped; bad URL -> text  |
| [media] [audio] [flash]        | a link to the file         | no embedded players            |
| [qq]                           | the number as text         |                                |
| [attach]N / [attachimg]N       | `[attach]M[/attach]`       | M = attachments[N]; unmapped:  |
|                                |                            | the literal text, never ours   |
| [hide] [hide=N] [hide=dD]      | the same tag, own lines    | same rules (forum/markup.py);  |
| [hide=dD,N]                    |                            | a bad parameter: literal text  |
|                                |                            | (as in Discuz); nested: the    |
|                                |                            | outer rule (as our markup)     |
| :) {:2_25:}                    | `smilies[code]`            | see `smilies_from_rows`        |
| unknown or unclosed tags       | literal, visible text      | never dropped, never HTML      |

Hidden blocks are written on lines of their own, outside list indentation (inside
`> ` quote prefixes), so our markup's split into public and hidden segments keeps
each segment valid Markdown. Nesting deeper than MAX_DEPTH tags stays literal text.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

MAX_DEPTH = 32

# tag -> which parameter forms are tags ("none", "optional", "required")
_TAGS = {
    "b": "none", "i": "none", "u": "none", "s": "none", "strike": "none",
    "sup": "none", "sub": "none", "fly": "none", "free": "none", "indent": "none", "quote": "none",
    "color": "required", "size": "required", "font": "required", "backcolor": "required",
    "align": "required", "p": "required", "float": "required",
    "url": "optional", "email": "optional", "img": "optional",
    "list": "optional", "table": "optional", "tr": "optional", "td": "optional",
    "hide": "optional",
    "code": "none", "attach": "none", "attachimg": "none", "qq": "none",
    "media": "optional", "audio": "optional", "flash": "optional",
    "hr": "none", "*": "none",
}
_STYLE = {"b": "**", "i": "*", "s": "~~", "strike": "~~"}
_TRANSPARENT = {"u", "color", "size", "font", "backcolor", "sup", "sub", "fly", "free"}
_QUOTES = {"quote", "indent"}
_DIVS = {"align", "p", "float"}
_BLOCKS = _QUOTES | _DIVS | {"code", "list", "table", "hr", "hide"}
# Content is a value (a URL, an id, code), read up to the first closing tag as is.
_VERBATIM = {"code", "img", "attach", "attachimg", "qq", "media", "audio", "flash"}
_VERBATIM_WITHOUT_PARAM = {"url", "email"}
_VOID = {"hr", "*"}

# A parameter holds no "[": as in Discuz, "[/hide]" inside "[url=…]" still ends the block.
_TAG_RE = re.compile(r"\[(/?)([a-zA-Z]{1,10}|\*)(?:=([^\[\]\r\n]{0,500}))?\]")
_HIDE_PARAM_RE = re.compile(r"\s*(?:d(\d{1,5})\s*(?:,\s*(\d{1,9}))?|(\d{1,9}))\s*", re.I)

# --- tokens and tree ----------------------------------------------------------------------


@dataclass
class _Token:
    kind: str  # text | open | close | verbatim | void
    raw: str
    name: str = ""
    param: str | None = None
    content: str = ""  # verbatim


@dataclass
class _Node:
    name: str  # "" for text, "#root"
    param: str | None = None
    text: str = ""  # text nodes; verbatim content
    children: list[_Node] = field(default_factory=list)
    verbatim: bool = False
    raw: str = ""  # the literal tag, for a void tag that turns out misplaced
    text_parts: list[str] = field(default_factory=list)  # while parsing
    _has_block: bool | None = None

    @property
    def is_text(self) -> bool:
        return self.name == ""

    @property
    def has_block(self) -> bool:
        if self._has_block is None:
            self._has_block = self.name in _BLOCKS or any(c.has_block for c in self.children)
        return self._has_block


def _valid_param(name: str, param: str | None) -> bool:
    rule = _TAGS[name]
    if rule == "none":
        return param is None
    if rule == "required" and not (param or "").strip():
        return False
    if name == "hide" and param is not None:
        return _HIDE_PARAM_RE.fullmatch(param) is not None
    return True


@functools.cache
def _close_re(name: str) -> re.Pattern:
    # Not str.lower().find(): lowering can change the length of a string ("İ").
    return re.compile(rf"\[/{name}\]", re.I)


def _tokenize(source: str) -> list[_Token]:
    tokens: list[_Token] = []
    closes: dict[str, int] = {}  # the last search for "[/name]": a position or -1
    pos = 0
    text_start = 0

    def find_close(name: str, start: int) -> int:
        found = closes.get(name)
        if found is None or (found != -1 and found < start):
            match = _close_re(name).search(source, start)
            found = closes[name] = match.start() if match else -1
        return found

    def flush(end: int) -> None:
        if end > text_start:
            tokens.append(_Token("text", source[text_start:end]))

    while True:
        match = _TAG_RE.search(source, pos)
        if match is None:
            break
        closing, name, param = match.group(1), match.group(2).lower(), match.group(3)
        pos = match.end()
        if name not in _TAGS or (closing and (param is not None or name in _VOID)):
            continue
        if not closing and not _valid_param(name, param):
            continue
        flush(match.start())
        text_start = pos
        raw = match.group(0)
        if closing:
            tokens.append(_Token("close", raw, name))
        elif name in _VOID:
            tokens.append(_Token("void", raw, name))
        elif name in _VERBATIM or (name in _VERBATIM_WITHOUT_PARAM and param is None):
            end = find_close(name, pos)
            # Only [code] holds tags as text; a URL or an id with a "[" in it is no value
            # (Discuz's patterns refuse it too), so [img][hide][/img] hides, not shows.
            if end == -1 or (name != "code" and "[" in source[pos:end]):
                tokens.append(_Token("text", raw))
                continue
            close_len = len(name) + 3
            tokens.append(_Token("verbatim", source[match.start():end + close_len], name,
                                 param, source[pos:end]))
            pos = text_start = end + close_len
        else:
            tokens.append(_Token("open", raw, name, param))
    flush(len(source))
    return tokens


def _pair(tokens: list[_Token]) -> dict[int, int]:
    """open index <-> close index; each close takes the nearest open of its name."""
    open_by_name: dict[str, list[int]] = {}
    pairs: dict[int, int] = {}
    for i, token in enumerate(tokens):
        if token.kind == "open":
            open_by_name.setdefault(token.name, []).append(i)
        elif token.kind == "close" and open_by_name.get(token.name):
            j = open_by_name[token.name].pop()
            pairs[i], pairs[j] = j, i
    return pairs


def _parse(source: str) -> _Node:
    tokens = _tokenize(source)
    pairs = _pair(tokens)
    root = _Node("#root")
    stack = [root]
    current: dict[int, _Node] = {}  # open token index -> the node now standing for it
    literal: set[int] = set()

    def add_text(text: str) -> None:
        siblings = stack[-1].children
        if not (siblings and siblings[-1].is_text):
            siblings.append(_Node("", text_parts=[]))
        siblings[-1].text_parts.append(text)  # joined once at the end: no quadratic +=

    for i, token in enumerate(tokens):
        if token.kind == "text" or i in literal or (token.kind in ("open", "close")
                                                    and i not in pairs):
            add_text(token.raw)
        elif token.kind == "verbatim":
            stack[-1].children.append(
                _Node(token.name, token.param, text=token.content, verbatim=True, raw=token.raw)
            )
        elif token.kind == "void":
            stack[-1].children.append(_Node(token.name, raw=token.raw))
        elif token.kind == "open":
            if len(stack) > MAX_DEPTH:
                literal.add(pairs[i])
                add_text(token.raw)
                continue
            node = _Node(token.name, token.param, raw=token.raw)
            stack[-1].children.append(node)
            stack.append(node)
            current[i] = node
        else:  # a paired close: close everything above its node, then reopen those
            target = current[pairs[i]]
            crossing: list[tuple[int, _Node]] = []
            while stack[-1] is not target:
                node = stack.pop()
                crossing.append(next((k, n) for k, n in current.items() if n is node))
            stack.pop()
            del current[pairs[i]]
            for k, node in reversed(crossing):
                again = _Node(node.name, node.param)
                stack[-1].children.append(again)
                stack.append(again)
                current[k] = again
    _join_text(root)
    return root


def _join_text(node: _Node) -> None:
    for child in node.children:
        if child.is_text:
            child.text = "".join(child.text_parts)
            child.text_parts = []
        elif child.children:
            _join_text(child)


# --- escaping --------------------------------------------------------------------------------

_INLINE_SPECIAL_RE = re.compile(r"[\\`*_~<|\[\]]")
_LINE_START_RE = re.compile(r"^(?:[ \t]+|[#>+=\-]|(\d{1,9})([.)]))", re.M)
_GUARD = "\u2060"  # WORD JOINER: invisible, and "punctuation" to mistune's flanking rules
_CODE_TRAP_RE = re.compile(r"\[(?=/?(?:hide|attach))", re.I)
_HIDE_PARAM_TRAP_RE = re.compile(r"\[(?=hide=)", re.I)


def _escape_char(match: re.Match) -> str:
    char = match.group(0)
    if char == "[" and _HIDE_PARAM_TRAP_RE.match(match.string, match.start()):
        # Escaped brackets already keep "[hide]", "[/hide]" and "[attach]N[/attach]"
        # from our markup's patterns, but "\[hide=5\]" would still match (the parameter
        # may end in a backslash): break the word with the invisible guard.
        return "\\[" + _GUARD
    return "\\" + char


def _escape(text: str) -> str:
    return _INLINE_SPECIAL_RE.sub(_escape_char, text)


def _escape_line_starts(text: str) -> str:
    """Block syntax a paragraph's line could start with (headings, quotes, lists…)."""
    def fix(match: re.Match) -> str:
        if match.group(1):
            return f"{match.group(1)}\\{match.group(2)}"
        lead = match.group(0)
        if lead[0] in " \t":
            # Indentation would be a code block. Discuz showed two or more spaces and
            # tabs as &nbsp;s and let a single space collapse.
            if lead == " ":
                return ""
            return lead.replace("\t", "\u00a0" * 4).replace(" ", "\u00a0")
        return "\\" + lead

    return _LINE_START_RE.sub(fix, text)


# --- URLs ------------------------------------------------------------------------------------

_SCHEME_RE = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")
_EMAIL_RE = re.compile(r"[^@\s<>()\[\]\\\"',;:]+@[^@\s<>()\[\]\\\"',;:]+\.[^@\s<>()\[\]\\\"',;:]+")
_MENTION_URL_RE = re.compile(r"(?:home\.php\?mod=space&(?:amp;)?uid=\d+|space-uid-\d+\.html)",
                             re.I)


def safe_url(raw: str, *, image: bool = False) -> str | None:
    """The URL to link, or None when it must stay text (javascript:, data:, ftp:…)."""
    url = raw.strip()
    if not url or any(ord(c) < 32 or ord(c) == 127 for c in url):
        return None
    if url.lower().startswith("www."):
        url = "http://" + url
    scheme = _SCHEME_RE.match(url)
    if scheme:
        allowed = {"http", "https"} if image else {"http", "https", "mailto"}
        if scheme.group(1).lower() not in allowed:
            return None
    elif not url.startswith("/"):
        url = "/" + url  # Discuz made a relative URL site-relative
    # "[" and "]" encoded: a URL holding "[/hide]" or "[attach]" must not look like
    # our markup's tags (a hidden block would end early and the rest leak).
    for char, code in (("\\", "%5C"), (" ", "%20"), ("<", "%3C"), (">", "%3E"),
                       ("[", "%5B"), ("]", "%5D")):
        url = url.replace(char, code)
    return url


def _link(text_md: str, url: str) -> str:
    text_md = text_md.strip() or _escape(url)
    return f"[{text_md}](<{url}>)"


# --- rendering -------------------------------------------------------------------------------


@dataclass
class _Context:
    attachments: dict
    smilies_re: re.Pattern | None
    smilies: dict
    styles: frozenset = frozenset()
    in_link: bool = False
    in_hide: bool = False


_HIDE_OPEN = "\x00hide-open:"
_HIDE_CLOSE = "\x00hide-close"


class _Renderer:
    """Tree -> Markdown. Every method takes the context of the place it renders."""

    # blocks: each a Markdown string; joined by blank lines
    def blocks(self, nodes: list[_Node], ctx: _Context) -> list[str]:
        out: list[str] = []
        run: list[_Node] = []
        previous_list: str | None = None  # the marker of a list just written

        def flush() -> None:
            nonlocal previous_list
            text = self.paragraph(run, ctx)
            if text:
                out.append(text)
                previous_list = None
            run.clear()

        for node in self._lift(nodes, ctx):
            if node.name in _BLOCKS:
                flush()
                if node.name == "list":
                    # A list right after one of its kind would merge: change the marker.
                    marker = _list_marker(node, previous_list)
                    block = self.list(node, ctx, marker)
                    previous_list = marker
                else:
                    block = self.block(node, ctx)
                    previous_list = None
                if block:
                    out.append(block)
            else:
                run.append(node)
        flush()
        return out

    def _lift(self, nodes: list[_Node], ctx: _Context) -> list[_Node]:
        """Inline tags holding blocks split around them: [b]x[quote]y[/quote][/b] is
        **x** then a quote of **y**."""
        result: list[_Node] = []
        for node in nodes:
            if node.is_text or node.name in _BLOCKS or not node.has_block or node.verbatim:
                result.append(node)
                continue
            run: list[_Node] = []
            for child in self._lift(node.children, ctx):
                if child.name in _BLOCKS:
                    if run:
                        result.append(_Node(node.name, node.param, children=run, raw=node.raw))
                        run = []
                    if child.name in _QUOTES | _DIVS | {"hide"}:
                        child = _Node(child.name, child.param, children=[
                            _Node(node.name, node.param, children=child.children)])
                    result.append(child)
                else:
                    run.append(child)
            if run:
                result.append(_Node(node.name, node.param, children=run, raw=node.raw))
        return result

    def paragraph(self, nodes: list[_Node], ctx: _Context) -> str:
        text = self.inline(nodes, ctx).strip("\n").rstrip()
        return _escape_line_starts(text) if text.strip() else ""

    def join(self, blocks: list[str]) -> str:
        return "\n\n".join(blocks)

    def block(self, node: _Node, ctx: _Context) -> str:
        name = node.name
        if name == "hr":
            return "---"
        if name == "code":
            return _fence(node.text)
        if name in _QUOTES:
            return _prefix(self.join(self.blocks(node.children, ctx)), "> ", "> ", quote=True)
        if name in _DIVS:
            return self.join(self.blocks(node.children, ctx))
        if name == "table":
            return self.table(node, ctx)
        if name == "hide":
            inner = self.join(self.blocks(node.children, ctx_replace(ctx, in_hide=True)))
            if ctx.in_hide:
                return inner  # nested: the outer block's rule, as our markup does
            return f"{_HIDE_OPEN}{_hide_param(node.param)}\n{inner}\n{_HIDE_CLOSE}"
        return self.paragraph([node], ctx)

    def list(self, node: _Node, ctx: _Context, marker: str) -> str:
        before: list[_Node] = []
        items: list[list[_Node]] = []
        for child in node.children:
            if child.name == "*":
                items.append([])
            elif items:
                items[-1].append(child)
            else:
                before.append(child)
        out = self.blocks(before, ctx)
        rendered = [
            _prefix(_join_item(self.blocks(item, ctx)), marker, " " * len(marker))
            or marker.rstrip()
            for item in items
        ]
        if rendered:
            out.append("\n".join(rendered))
        return self.join(out)

    def table(self, node: _Node, ctx: _Context) -> str:
        rows = [
            [cell for cell in row.children if cell.name == "td"]
            for row in node.children if row.name == "tr"
        ]
        rows = [r for r in rows if r]
        loose = [c for c in node.children if c.name != "tr"]
        loose += [c for row in node.children if row.name == "tr"
                  for c in row.children if c.name != "td"]
        before = self.blocks([c for c in loose if not (c.is_text and not c.text.strip())], ctx)
        if any(cell.has_block for row in rows for cell in row):
            # Markdown table cells hold one line of inline text: blocks go row by row.
            cells = [self.join(self.blocks(cell.children, ctx)) for row in rows for cell in row]
            return self.join(before + [c for c in cells if c])
        if not rows:
            return self.join(before)
        width = max(len(r) for r in rows)
        lines = []
        for n, row in enumerate(rows):
            texts = [self.inline(cell.children, ctx) for cell in row]
            texts = [re.sub(r"\s*\n\s*", " ", t).strip() for t in texts]
            texts += [""] * (width - len(texts))
            lines.append("| " + " | ".join(texts) + " |")
            if n == 0:
                lines.append("|" + "---|" * width)
        return self.join([*before, "\n".join(lines)])

    # inline: one Markdown string
    def inline(self, nodes: list[_Node], ctx: _Context) -> str:
        out: list[str] = []
        for node in nodes:
            piece = self.inline_node(node, ctx)
            if out and out[-1][-1:] in ("*", "~") and piece[:1] in ("*", "~"):
                out.append(_GUARD)  # two delimiter runs must not merge into one
            if piece:
                out.append(piece)
        return "".join(out)

    def inline_node(self, node: _Node, ctx: _Context) -> str:
        name = node.name
        if node.is_text:
            return self.text(node.text, ctx)
        if name in _STYLE:
            marker = _STYLE[name]
            if marker in ctx.styles:
                return self.inline(node.children, ctx)
            inner = self.inline(node.children, ctx_replace(ctx, styles=ctx.styles | {marker}))
            return _wrap(inner, marker)
        if name in _TRANSPARENT or name in _DIVS or name in _QUOTES:
            return self.inline(node.children, ctx)
        if node.verbatim:
            return self.verbatim(node, ctx)
        if name == "url":
            return self.url(node, ctx)
        if name == "email":
            text = self.inline(node.children, ctx_replace(ctx, in_link=True))
            return self._mailto(text, node.param or "", ctx)
        # a tag out of its place ([*] outside a list, [td] outside a table…): literal
        literal = self.text(node.raw or f"[{name}]", ctx)
        if node.children or name not in _VOID:
            literal += self.inline(node.children, ctx) + self.text(f"[/{name}]", ctx)
        return literal

    def text(self, text: str, ctx: _Context) -> str:
        if ctx.smilies_re is None:
            return _escape(text)
        out = []
        end = 0
        for match in ctx.smilies_re.finditer(text):
            out.append(_escape(text[end:match.start()]))
            out.append(_escape(ctx.smilies[match.group(0)]))
            end = match.end()
        out.append(_escape(text[end:]))
        return "".join(out)

    def url(self, node: _Node, ctx: _Context) -> str:
        param = node.param or ""
        text = self.inline(node.children, ctx_replace(ctx, in_link=True))
        plain = "".join(c.text for c in node.children if c.is_text)
        if (_MENTION_URL_RE.search(param) and plain.startswith("@")
                and all(c.is_text for c in node.children)):
            return self.text(plain, ctx)  # Discuz's @ link: our renderer links mentions
        url = safe_url(param)
        if url is None or ctx.in_link:
            return text
        return _link(text, url)

    def _mailto(self, text_md: str, address: str, ctx: _Context) -> str:
        address = address.strip()
        if address.lower().startswith("mailto:"):
            address = address[7:]
        if not _EMAIL_RE.fullmatch(address) or ctx.in_link:
            return text_md or self.text(address, ctx)
        return _link(text_md or _escape(address), "mailto:" + address)

    def verbatim(self, node: _Node, ctx: _Context) -> str:
        name, content = node.name, node.text
        if name in ("attach", "attachimg"):
            aid = content.strip()
            new_id = ctx.attachments.get(int(aid)) if aid.isdigit() and len(aid) < 19 \
                else None
            if new_id is None:
                return self.text(node.raw, ctx)  # never our attachment of the same number
            return f"[attach]{int(new_id)}[/attach]"
        if name == "img":  # a linked image ([url=…][img]…[/img][/url]) is fine in Markdown
            url = safe_url(content, image=True)
            if url is None:
                return self.text(content, ctx)
            return f"![](<{url}>)"
        if name == "url":
            url = safe_url(content)
            if url is None or ctx.in_link:
                return self.text(content, ctx)
            return _link(_escape(content.strip()), url)
        if name == "email":
            return self._mailto("", content, ctx)
        if name in ("media", "audio", "flash"):
            url = safe_url(content)
            if url is None or ctx.in_link:
                return self.text(content, ctx)
            return _link(_escape(content.strip()), url)
        return self.text(content, ctx)  # qq: the number


def ctx_replace(ctx: _Context, **changes) -> _Context:
    values = {**ctx.__dict__, **changes}
    return _Context(**values)


def _wrap(inner: str, marker: str) -> str:
    """`**inner**`, keeping outer whitespace outside and each paragraph closed."""
    parts = re.split(r"(\n[ \t]*\n)", inner)
    out = []
    for part in parts:
        core = part.strip()
        if not core or part.startswith("\n") and not part.strip():
            out.append(part)
            continue
        lead = part[: len(part) - len(part.lstrip())]
        tail = part[len(part.rstrip()):]
        # A delimiter run next to punctuation opens or closes only beside punctuation or
        # space; the invisible guard is that punctuation (not needed inside one run).
        head_guard = "" if core[0].isalnum() or core[0] == marker[0] else _GUARD
        tail_guard = "" if core[-1].isalnum() or core[-1] == marker[0] else _GUARD
        out.append(f"{lead}{head_guard}{marker}{core}{marker}{tail_guard}{tail}")
    return "".join(out)


def _fence(code: str) -> str:
    code = code.strip("\r\n")
    code = _CODE_TRAP_RE.sub("[" + _GUARD, code)
    longest = max((len(m) for m in re.findall(r"`+", code)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n{code}\n{fence}"


def _prefix(text: str, first: str, rest: str, *, quote: bool = False) -> str:
    """Prefix each line (a quote's `> `, a list item's marker and indent).

    Hidden-block markers stay at the line start; inside a hidden block only quote
    prefixes apply, so list indentation cannot turn its text into a code block.
    """
    lines = text.split("\n")
    out = []
    hidden = 0
    for n, line in enumerate(lines):
        if line.startswith(_HIDE_OPEN):
            hidden += 1
            if n == 0 and not quote:
                out.append(first.rstrip())
            out.append(line)
            continue
        if line == _HIDE_CLOSE:
            hidden -= 1
            out.append(line)
            continue
        if hidden and not quote:
            out.append(line)
            continue
        prefix = first if n == 0 else rest
        out.append((prefix + line) if line or quote else line)
    if quote:
        out = [line.rstrip() if line.startswith(">") else line for line in out]
    return "\n".join(out)


_LIST_START_RE = re.compile(r"(?:[-*]|1[.)])(?: |$)")


def _join_item(blocks: list[str]) -> str:
    """A list item's blocks; a nested list follows its line directly (a tight list)."""
    out = blocks[:1]
    for block in blocks[1:]:
        out.append(("\n" if _LIST_START_RE.match(block) else "\n\n") + block)
    return "".join(out)


def _list_marker(node: _Node, previous: str | None) -> str:
    usual, other = ("1. ", "1) ") if node.param else ("- ", "* ")
    return other if previous == usual else usual


def _hide_param(param: str | None) -> str:
    if param is None:
        return ""
    match = _HIDE_PARAM_RE.fullmatch(param)
    days, credits_after_days, credits = match.groups()
    if days is not None:
        return f"=d{int(days)},{int(credits_after_days)}" if credits_after_days \
            and int(credits_after_days) else f"=d{int(days)}"
    return f"={int(credits)}" if int(credits) else ""


def _finish(markdown: str) -> str:
    def marker(match: re.Match) -> str:
        if match.group(0) == _HIDE_CLOSE:
            return "[/hide]"
        return f"[hide{match.group(1)}]"

    return re.sub(r"\x00hide-open:([^\n]*)|\x00hide-close", marker, markdown).strip("\n")


# --- public API ------------------------------------------------------------------------------

# Discuz's default smiley set (typeid 1, images in static/image/smiley/default/).
DEFAULT_EMOJI = {
    "smile.gif": "🙂", "sad.gif": "🙁", "biggrin.gif": "😁", "cry.gif": "😢",
    "huffy.gif": "😤", "shocked.gif": "😲", "tongue.gif": "😛", "shy.gif": "😊",
    "titter.gif": "🤭", "sweat.gif": "😓", "mad.gif": "😠", "lol.gif": "😆",
    "loveliness.gif": "🥰", "funk.gif": "😱", "curse.gif": "🤬", "dizzy.gif": "😵",
    "shutup.gif": "🤐", "sleepy.gif": "😪", "hug.gif": "🤗", "victory.gif": "✌️",
    "time.gif": "⏰", "kiss.gif": "😘", "handshake.gif": "🤝", "call.gif": "📞",
}


def smilies_from_rows(rows: Iterable[tuple[str, str, str]]) -> dict[str, str]:
    """`smilies` for convert() from (code, url, directory) rows of pre_common_smiley
    (type 'smiley') joined with pre_forum_imagetype.directory.

    The default set becomes emoji; other sets (coolmonkey, grapeman…) have none, so
    they become a readable text such as "[coolmonkey 01]".
    """
    smilies: dict[str, str] = {}
    for code, url, directory in rows:
        if not code:
            continue
        emoji = DEFAULT_EMOJI.get(url) if directory == "default" else None
        smilies[code] = emoji or f"[{directory} {url.rsplit('.', 1)[0]}]"
    return smilies


def convert(bbcode: str, *, attachments: dict | None = None,
            smilies: dict | None = None) -> str:
    """A Discuz! message as our post source (see the module docstring for the table).

    attachments: {Discuz aid: our Attachment id}; smilies: {code: text}, e.g. from
    smilies_from_rows(); None (a post with `smileyoff`) leaves smiley codes as text.
    """
    source = (bbcode or "").replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "\ufffd")
    smilies = {k: v for k, v in (smilies or {}).items() if k}
    smilies_re = None
    if smilies:
        codes = sorted(smilies, key=len, reverse=True)
        smilies_re = re.compile("|".join(re.escape(c) for c in codes))
    ctx = _Context(attachments=attachments or {}, smilies_re=smilies_re, smilies=smilies)
    renderer = _Renderer()
    return _finish(renderer.join(renderer.blocks(_parse(source).children, ctx)))
