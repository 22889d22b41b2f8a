"""Highlighted excerpts for search results, from public plain text only.

The text is matched in its normalised form (the tokenizer's NFKC + case folding),
character by character, so every match maps back to a span of the original text;
the output escapes everything and wraps matches in <mark>.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .tokenizer import WORD_CLASS, Phrase, normalize


def pattern_for(phrases: Sequence[Phrase]) -> re.Pattern | None:
    """One regex finding any phrase of the query in normalised text."""
    needles = []
    for phrase in phrases:
        if phrase.is_cjk:
            needles.append(re.escape(phrase.text))
        else:
            words = r"[\W_]*".join(re.escape(w) for w in phrase.tokens)
            needles.append(f"(?<!{WORD_CLASS}){words}(?!{WORD_CLASS})")
    if not needles:
        return None
    needles.sort(key=len, reverse=True)
    return re.compile("|".join(needles))


@lru_cache(maxsize=8192)
def _fold_char(ch: str) -> str:
    return normalize(ch)


def _normalized(text: str) -> tuple[str, list[int] | None]:
    """The normalised text and, for each of its characters, the index it came from.

    None stands for "the same index": the usual case, where normalising kept the
    length (full-width punctuation and letters map one to one).
    """
    whole = normalize(text)
    if len(whole) == len(text):
        return whole, None
    out: list[str] = []
    origin: list[int] = []
    for i, ch in enumerate(text):
        folded = _fold_char(ch)
        out.append(folded)
        origin.extend([i] * len(folded))
    return "".join(out), origin


def _spans(text: str, pattern: re.Pattern | None) -> list[tuple[int, int]]:
    """Matches as (start, end) in the original text."""
    if pattern is None or not text:
        return []
    norm, origin = _normalized(text)
    spans = []
    for m in pattern.finditer(norm):
        if m.end() > m.start():
            if origin is None:
                spans.append((m.start(), m.end()))
            else:
                spans.append((origin[m.start()], origin[m.end() - 1] + 1))
    return spans


def _render(text: str, spans: list[tuple[int, int]], start: int, end: int) -> str:
    out, pos = [], start
    for s, e in spans:
        s, e = max(s, start), min(e, end)
        if e <= s or s < pos:
            continue
        out.append(escape(text[pos:s]))
        out.append(f"<mark>{escape(text[s:e])}</mark>")
        pos = e
    out.append(escape(text[pos:end]))
    return "".join(out)


def highlight(text: str, pattern: re.Pattern | None) -> SafeString:
    """The whole text (a title), escaped, with matches marked."""
    return mark_safe(_render(text, _spans(text, pattern), 0, len(text)))  # noqa: S308


def snippet(text: str, pattern: re.Pattern | None, *, length: int = 160,
            before: int = 40) -> SafeString:
    """About `length` characters around the first match, escaped, matches marked."""
    text = text or ""
    spans = _spans(text, pattern)
    start = max(0, spans[0][0] - before) if spans else 0
    end = min(len(text), start + length)
    if end - start < length:
        start = max(0, end - length)
    body = _render(text, spans, start, end)
    prefix = "…" if start > 0 else ""
    suffix = "…" if end < len(text) else ""
    return mark_safe(prefix + body + suffix)  # noqa: S308
