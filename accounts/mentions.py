"""@mentions and quotes: who a post names, resolved to existing members.

Names are found in text (the public text of a post for notifications, the source
for linking) and matched against usernames in one query. Chinese is written
without spaces, so "@张伟你好" mentions 张伟: the longest existing username that the
text after "@" starts with wins, in linking and in notifying alike.
"""

from __future__ import annotations

import re

from django.contrib.auth import get_user_model
from django.urls import reverse

MAX_MENTIONS = 10  # per post, as Discuz!
MAX_NAME = 30  # longest username tried when splitting "@张伟你好"
# "@" after a Latin letter or digit is an email address; after a Chinese character
# it is a mention ("请@王芳看看").
MENTION_RE = re.compile(r"(?<![A-Za-z0-9_@.+-])@([\w.+-]{1,150})")
# The first line of a quote made by the quote button (forum.markup.quote_source).
QUOTE_HEADER_RE = re.compile(r"^\s*>\s*\*\*(.{1,150}?):\*\*\s*$", re.MULTILINE)


def candidates(text: str) -> list[str]:
    """Distinct "@…" runs in order of appearance, at most MAX_MENTIONS."""
    found: list[str] = []
    for match in MENTION_RE.finditer(text or ""):
        name = match.group(1).rstrip(".+-")[:MAX_NAME]
        if name and name not in found:
            found.append(name)
            if len(found) >= MAX_MENTIONS:
                break
    return found


def _prefixes(name: str) -> list[str]:
    return [name[:n] for n in range(len(name), 0, -1)]


def resolve(text: str) -> dict[str, int]:
    """{username: user id} for the members mentioned in `text` (one query, or none)."""
    names = candidates(text)
    if not names:
        return {}
    tried = {p for name in names for p in _prefixes(name)}
    User = get_user_model()  # noqa: N806
    existing = dict(
        User.objects.filter(**{f"{User.USERNAME_FIELD}__in": tried}, is_active=True)
        .values_list(User.USERNAME_FIELD, "pk")
    )
    resolved: dict[str, int] = {}
    for name in names:
        for prefix in _prefixes(name):
            if prefix in existing:
                resolved[prefix] = existing[prefix]
                break
    return resolved


def links(text: str) -> dict[str, str]:
    """{username: profile URL} for linking mentions when a post is rendered."""
    return {name: reverse("accounts:profile", args=[name]) for name in resolve(text)}


def quoted(source: str) -> dict[str, int]:
    """{username: user id} of the members whose posts the source quotes."""
    names = list(dict.fromkeys(m.group(1).strip() for m in QUOTE_HEADER_RE.finditer(source or "")))
    if not names:
        return {}
    User = get_user_model()  # noqa: N806
    return dict(
        User.objects.filter(**{f"{User.USERNAME_FIELD}__in": names[:MAX_MENTIONS]})
        .values_list(User.USERNAME_FIELD, "pk")
    )
