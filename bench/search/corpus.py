"""Deterministic text for the search benchmark, shared by generate.py and run.py.

Posts are sentences of the demo corpus (forum/demo_data: real forum Chinese, so the
common bigrams are very common) plus words from a Zipf-distributed vocabulary of
random two-to-four-character "terms" (a long tail from very frequent to rare), some
English product names and numbers, and sometimes a hidden block.
"""

from __future__ import annotations

import itertools
import json
import random
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "forum" / "demo_data"
VOCABULARY_SIZE = 5000
ENGLISH = ["Excel", "Word", "PPT", "PDF", "WPS", "Office", "email", "report", "GB/T 9704-2012",
           "Windows", "OA", "Word2010", "Excel表格", "iPhone"]
HIDDEN_WORD = "机密暗号"  # only ever inside hidden blocks: must never be found


def _strings(node, out):
    if isinstance(node, str):
        out.append(node)
    elif isinstance(node, dict):
        for v in node.values():
            _strings(v, out)
    elif isinstance(node, list):
        for v in node:
            _strings(v, out)


def load(seed: int = 7):
    """(sentences, titles, vocabulary, vocabulary weights) for a seed."""
    strings: list[str] = []
    _strings(json.loads((DEMO / "corpus.json").read_text("utf-8")), strings)
    strings.append((DEMO / "seed-thread.md").read_text("utf-8"))
    sentences = sorted({
        s.strip().strip("#>*- ")
        for text in strings for s in re.split(r"(?<=[。！？；\n])", text)
        if re.search(r"[\u4e00-\u9fff]", s) and len(s.strip()) >= 4
        and "[hide" not in s and "{" not in s
    })
    chars = sorted({ch for text in strings for ch in text if "\u4e00" <= ch <= "\u9fff"})
    rng = random.Random(seed)
    vocabulary: list[str] = []
    seen: set[str] = set()
    while len(vocabulary) < VOCABULARY_SIZE:
        word = "".join(rng.choice(chars) for _ in range(rng.choice((2, 3, 3, 4))))
        if word not in seen:
            seen.add(word)
            vocabulary.append(word)
    weights = [1 / (rank + 1) for rank in range(VOCABULARY_SIZE)]  # Zipf: rank 1 is common
    titles = sorted({s for s in sentences if 6 <= len(s) <= 30})
    return sentences, titles, vocabulary, weights


class Writer:
    """Post bodies and titles from a seeded generator."""

    def __init__(self, seed: int = 7):
        self.rng = random.Random(seed + 1)
        self.sentences, self.titles, self.vocabulary, weights = load(seed)
        self.cum_weights = list(itertools.accumulate(weights))

    def terms(self, n: int) -> list[str]:
        return self.rng.choices(self.vocabulary, cum_weights=self.cum_weights, k=n)

    def title(self) -> str:
        return f"{self.rng.choice(self.titles)[:40]}{self.terms(1)[0]}"

    def post(self) -> tuple[str, str]:
        """(source body, public text)."""
        rng = self.rng
        parts = rng.sample(self.sentences, rng.randint(2, 8))
        for term in self.terms(rng.randint(1, 3)):
            parts.insert(rng.randrange(len(parts) + 1), f"{term}。")
        if rng.random() < 0.15:
            english = f"用{rng.choice(ENGLISH)}做了{rng.randint(1, 2024)}份。"
            parts.insert(rng.randrange(len(parts) + 1), english)
        public = "".join(parts)
        if rng.random() < 0.05:
            return f"{public}\n\n[hide]{HIDDEN_WORD}：{rng.choice(self.sentences)}[/hide]", public
        return public, public
