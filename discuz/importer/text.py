"""Small Discuz!-format readers: titles, edit notes, highlight codes, signatures, settings.

Post bodies (BBCode) go through `discuz.bbcode.convert`, a real parser; what is
here are the few other formats Discuz stores: HTML-escaped subjects, the "本帖最后由
… 编辑" note it writes into an edited post, the two-digit title highlight code,
signatures saved as HTML, and PHP-serialized settings.
"""

from __future__ import annotations

import datetime
import html
import ipaddress
import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

from django.conf import settings

UTC = datetime.UTC


def when(timestamp) -> datetime.datetime | None:
    """A Discuz! Unix timestamp as an aware datetime (0 means "never")."""
    try:
        value = int(timestamp or 0)
    except (TypeError, ValueError):
        return None
    return datetime.datetime.fromtimestamp(value, tz=UTC) if value > 0 else None


def title(subject: str) -> str:
    """Discuz! stores subjects HTML-escaped; ours are plain text of at most N characters."""
    text = " ".join(html.unescape(subject or "").split())
    limit = settings.FORUM_TITLE_MAX_LENGTH
    return text if len(text) <= limit else text[: limit - 1] + "…"


def ip_or_none(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address((value or "").strip()))
    except ValueError:
        return None


# --- edit notes -----------------------------------------------------------------------

# Discuz! prepends this (in the site's language) when a post is edited; the text
# between the tags is "本帖最后由 <name> 于 <Y-m-d H:i> 编辑".
_EDIT_NOTE_RE = re.compile(
    r"^\s*\[i=s\]\s*本帖最后由\s*(?P<name>.+?)\s*于\s*"
    r"(?P<at>\d{4}-\d{1,2}-\d{1,2}\s+\d{1,2}:\d{2}(?::\d{2})?)\s*编辑\s*\[/i\]\s*",
)


def split_edit_note(
    message: str, offset_hours: float
) -> tuple[str, str | None, datetime.datetime | None]:
    """(message without the note, editor's name, edit time) — name and time None if none."""
    match = _EDIT_NOTE_RE.match(message or "")
    if not match:
        return message, None, None
    raw = match.group("at")
    fmt = "%Y-%m-%d %H:%M:%S" if raw.count(":") == 2 else "%Y-%m-%d %H:%M"
    try:
        local = datetime.datetime.strptime(" ".join(raw.split()), fmt)
    except ValueError:
        return message, None, None
    tz = datetime.timezone(datetime.timedelta(hours=offset_hours))
    return message[match.end():], match.group("name"), local.replace(tzinfo=tz)


# --- title highlight -----------------------------------------------------------------

# The units digit is Discuz!'s colour index; the tens digit a bit set (4 = bold, 2 =
# italic, 1 = underline). Our palette is smaller: the nearest colour, else bold.
_COLOURS = {1: "red", 2: "orange", 3: "orange", 4: "green", 5: "blue", 6: "blue",
            7: "purple", 8: "purple"}


def highlight(code) -> str:
    try:
        value = int(code or 0)
    except (TypeError, ValueError):
        return ""
    colour = _COLOURS.get(value % 10, "")
    if colour:
        return colour
    return "bold" if (value // 10) & 4 else ""


# --- signatures (stored by Discuz! as HTML) ----------------------------------------------

class _SignatureParser(HTMLParser):
    """HTML -> our Markdown: bold, italics, links and line breaks survive; the rest is text.

    Images (mostly smilies, loaded from the old site) are dropped: a signature that
    loads pictures from a server about to be switched off would show broken images.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.links: list[str | None] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("strong", "b"):
            self.out.append("**")
        elif tag in ("em", "i"):
            self.out.append("*")
        elif tag == "br":
            self.out.append("\n")
        elif tag == "a":
            href = attrs.get("href") or ""
            ok = urlsplit(href).scheme in ("http", "https", "mailto")
            self.links.append(href if ok else None)
            if ok:
                self.out.append("[")

    def handle_endtag(self, tag):
        if tag in ("strong", "b"):
            self.out.append("**")
        elif tag in ("em", "i"):
            self.out.append("*")
        elif tag in ("p", "div"):
            self.out.append("\n")
        elif tag == "a" and self.links:
            href = self.links.pop()
            if href:
                self.out.append(f"]({href})")

    def handle_data(self, data):
        self.out.append(re.sub(r"([\\`*_\[\]<>])", r"\\\1", data))


def signature(sightml: str) -> str:
    if not (sightml or "").strip():
        return ""
    parser = _SignatureParser()
    parser.feed(sightml)
    parser.close()
    text = "".join(parser.out)
    return "\n".join(" ".join(line.split()) for line in text.splitlines()).strip()


def custom_title(customstatus: str) -> str:
    """自定义头衔: Discuz! stores it HTML-escaped (varchar 30); ours is one line of plain
    text in a CharField of the same length, escaped when shown."""
    from accounts.models import Profile

    limit = Profile._meta.get_field("custom_title").max_length
    return " ".join(strip_html(customstatus).split())[:limit]


def strip_html(value: str) -> str:
    """Board descriptions may hold HTML in Discuz!; ours are plain text."""
    parser = HTMLParser(convert_charrefs=True)
    parts: list[str] = []
    parser.handle_data = parts.append  # type: ignore[method-assign]
    parser.feed(value or "")
    parser.close()
    return "".join(parts).strip()


# --- PHP serialize() (settings such as the credit names) ---------------------------------

def php_unserialize(data: str):
    """The subset Discuz! settings use: arrays, strings, ints, floats, booleans, null.

    String lengths are byte counts of the UTF-8 text. Returns None when malformed.
    """
    raw = (data or "").encode("utf-8")
    try:
        value, _end = _php_value(raw, 0)
    except (ValueError, IndexError):
        return None
    return value


def _php_value(raw: bytes, i: int):
    kind = raw[i:i + 1]
    if kind == b"N":
        return None, i + 2
    if kind in (b"i", b"d", b"b"):
        end = raw.index(b";", i)
        text = raw[i + 2:end].decode()
        value = int(text) if kind == b"i" else float(text) if kind == b"d" else text == "1"
        return value, end + 1
    if kind == b"s":
        colon = raw.index(b":", i + 2)
        length = int(raw[i + 2:colon])
        start = colon + 2
        return raw[start:start + length].decode("utf-8", "replace"), start + length + 2
    if kind == b"a":
        colon = raw.index(b":", i + 2)
        count = int(raw[i + 2:colon])
        i = colon + 2
        result = {}
        for _n in range(count):
            key, i = _php_value(raw, i)
            value, i = _php_value(raw, i)
            result[key] = value
        return result, i + 1
    raise ValueError(f"unknown PHP type {kind!r}")


def credit_names(extcredits_setting: str) -> dict[int, str]:
    """{1: "威望", 2: "金钱", …} of the credit types the install defines."""
    parsed = php_unserialize(extcredits_setting)
    names: dict[int, str] = {}
    if isinstance(parsed, dict):
        for key, spec in parsed.items():
            if isinstance(spec, dict) and isinstance(key, int):
                names[key] = str(spec.get("title") or "")
    return names
