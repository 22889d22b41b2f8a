"""Text -> search tokens, the same way for the index and for queries.

Chinese, Japanese and Korean are written without spaces between words, and no
dictionary segmenter agrees with every reader on where a word ends. So each run
of CJK characters becomes its overlapping bigrams followed by its last character
(秘书工作 -> 秘书 书工 工作 作), and every other run of letters and digits is one
word (split where letters meet digits: Word2010 -> word 2010). Any two adjacent
CJK characters of a text are then one token of its index, a longer CJK query is a
phrase of consecutive bigrams, and a single character matches as a prefix (秘*
finds 秘书 and a run-final 秘). Text is NFKC-normalised (full-width ＡＢＣ１２３ ->
abc123) and case-folded first.

Both backends (SQLite FTS5, PostgreSQL tsvector) store exactly these tokens, so
a query finds the same posts on both.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from operator import add

# Letters of the scripts written without spaces: kana, bopomofo, Han (basic,
# extension A, compatibility, extensions B-G), Hangul; plus 々 〇 〻.
CJK_CHARS = (
    "\u1100-\u11ff\u3005\u3007\u303b\u3041-\u3096\u309d-\u309f\u30a1-\u30fa\u30fc-\u30ff"
    "\u3105-\u312f\u3131-\u318e\u31a0-\u31bf\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
    "\uac00-\ud7a3\uf900-\ufaff\U00020000-\U0002ebef\U00030000-\U0003134f"
)
_CJK = f"[{CJK_CHARS}]"
# A letter or digit of any other script: a word character that is neither "_" nor CJK.
WORD_CLASS = f"[^\\W_{CJK_CHARS}]"
_RUN_RE = re.compile(f"({_CJK}+)|({WORD_CLASS}+)")
CJK_RE = re.compile(_CJK)
# Letters and digits part inside a word: Word2010 -> word 2010, so "word" finds it.
_PIECE_RE = re.compile(r"\d+|\D+")

MAX_WORD_LENGTH = 64  # longer "words" (hashes, base64) are cut, in the index and queries alike
MAX_QUERY_LENGTH = 100
MAX_PHRASES = 12


# Punctuation and full-width forms that NFKC rewrites (，→ , …→ ... ＡＢＣ→ ABC), mapped
# as NFKC maps them. Chinese text is full of them; translating them first (fast)
# usually leaves a string that is already NFKC, so the slow normalisation is skipped.
_FOLD = {
    cp: unicodedata.normalize("NFKC", chr(cp))
    for lo, hi in ((0x2000, 0x2070), (0x3000, 0x3040), (0xFE10, 0xFE70), (0xFF00, 0xFFF0))
    for cp in range(lo, hi)
    if unicodedata.normalize("NFKC", chr(cp)) != chr(cp)
}
_FOLD_RE = re.compile("[" + "".join(chr(cp) for cp in _FOLD) + "]")


def normalize(text: str) -> str:
    """NFKC (full-width -> half-width, compatibility forms) and case folding."""
    if text.isascii():
        return text.lower()
    text = _FOLD_RE.sub(lambda m: _FOLD[ord(m.group())], text)
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return text.casefold()


def _runs(normalized: str):
    """(is_cjk, run) for each maximal run of CJK characters or of other letters/digits."""
    for match in _RUN_RE.finditer(normalized):
        cjk, word = match.groups()
        yield (True, cjk) if cjk else (False, word)


def _word_tokens(run: str) -> list[str]:
    if run.isalpha() or run.isdigit():
        return [run[:MAX_WORD_LENGTH]]
    return [piece[:MAX_WORD_LENGTH] for piece in _PIECE_RE.findall(run)]


def tokens(text: str) -> list[str]:
    """The index tokens of a text, in order."""
    out: list[str] = []
    for match in _RUN_RE.finditer(normalize(text or "")):
        run = match.group(1)
        if run is None:
            out += _word_tokens(match.group(2))
        elif len(run) == 1:
            out.append(run)
        else:
            out += map(add, run, run[1:])  # the overlapping bigrams
            out.append(run[-1])
    return out
@dataclass(frozen=True)
class Phrase:
    """Consecutive tokens that must appear in this order.

    `prefix` marks a lone CJK character, matched as the prefix of a token. `text` is
    the normalised run the phrase came from, for highlighting.
    """

    tokens: tuple[str, ...]
    text: str
    prefix: bool = False
    is_cjk: bool = False


def _word_phrase(words: list[str]) -> Phrase:
    return Phrase(tokens=tuple(words), text=" ".join(words))


def parse_query(query: str) -> list[Phrase]:
    """Split a query into phrases that must all match.

    Whitespace separates terms. Inside a term, a CJK run is one phrase of bigrams and
    consecutive other words (GB/T, e-mail) are one phrase; punctuation only separates.
    """
    phrases: list[Phrase] = []
    for term in normalize(query or "")[:MAX_QUERY_LENGTH * 2].split():
        words: list[str] = []
        for is_cjk, run in _runs(term):
            if not is_cjk:
                words.extend(_word_tokens(run))
                continue
            if words:
                phrases.append(_word_phrase(words))
                words = []
            if len(run) == 1:
                phrases.append(Phrase(tokens=(run,), text=run, prefix=True, is_cjk=True))
            else:
                bigrams = tuple(map(add, run, run[1:]))
                phrases.append(Phrase(tokens=bigrams, text=run, is_cjk=True))
        if words:
            phrases.append(_word_phrase(words))
    unique = list(dict.fromkeys(phrases))
    return unique[:MAX_PHRASES]
