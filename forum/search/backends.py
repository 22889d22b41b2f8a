"""The two index engines: SQLite FTS5 and PostgreSQL tsvectors with GIN indexes.

Both store the same tokens (forum.search.tokenizer) in two tables keyed by post id:
`forum_search` (every live post: title tokens for an opening post, text tokens,
filter tokens) and `forum_search_title` (opening posts only: title and filter
tokens), so "is it in the title?" is a question to a table of threads, not of
posts. Both answer the same question: the ids of the posts matching a `Match`,
newest first, and how many there are. Filters (board, author, opening post, dates)
are tokens too, so a search reads only the index, never the post table; only live
posts are in it (the services keep it so, in their transactions), and the page's
posts are checked again when they are loaded (forum.search.query). Post ids grow
with time, so "newest first" is an id order.

The tables are created by the migrations `forum.0004_search_index` and
`forum.0007_search_titles` (raw SQL: FTS5 virtual tables and tsvector columns are
outside the ORM) and written only through forum.search.index, inside the
transaction of the write they reflect.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass

from django.db import connection, transaction

from ..models import Post, Thread
from .documents import Document, author_token, board_token
from .tokenizer import CJK_RE, Phrase

TABLE = "forum_search"
TITLE_TABLE = "forum_search_title"
TABLES = (TABLE, TITLE_TABLE)

# PostgreSQL keeps positions up to 16383 and at most 256 of them per lexeme.
PG_MAX_POSITION = 16383
PG_MAX_POSITIONS = 256


@dataclass(frozen=True)
class Match:
    """One search, as the engines see it.

    `part` is "all" (the title or text of any post), "title" (the thread title, in
    the title table) or "rest" (as "all", but not the title matches, which are
    listed first).
    """

    phrases: tuple[Phrase, ...] = ()
    part: str = "all"
    board_ids: tuple[int, ...] = ()
    author_id: int | None = None
    opening_only: bool = False
    dates: tuple[str, ...] = ()  # any of these year/month/day tokens

    @property
    def table(self) -> str:
        return TITLE_TABLE if self.part == "title" else TABLE

    def meta_groups(self) -> list[list[str]]:
        """Filter tokens: every group must match one of its tokens."""
        groups = []
        if self.board_ids:
            groups.append([board_token(b) for b in self.board_ids])
        if self.author_id is not None:
            groups.append([author_token(self.author_id)])
        if self.opening_only and self.part != "title":
            groups.append(["op"])
        if self.dates:
            groups.append(list(self.dates))
        return groups


class Engine:
    key: str  # the id column of the index tables
    vendor: str

    # --- writing ----------------------------------------------------------------------
    def write(self, docs: Iterable[Document], *, fresh: bool = False) -> None:
        raise NotImplementedError

    def delete(self, post_ids: Sequence[int]) -> None:
        if not post_ids:
            return
        with connection.cursor() as cursor:
            for chunk in _chunks(list(post_ids), 500):
                marks = ",".join(["%s"] * len(chunk))
                for table in TABLES:
                    cursor.execute(f"DELETE FROM {table} WHERE {self.key} IN ({marks})", chunk)

    def delete_thread(self, thread_id: int) -> None:
        with connection.cursor() as cursor:
            for table in TABLES:
                cursor.execute(
                    f"DELETE FROM {table} WHERE {self.key} IN "
                    f"(SELECT id FROM {Post._meta.db_table} WHERE thread_id = %s)",
                    [thread_id],
                )

    def move_thread(self, thread_id: int, old_board_id: int, new_board_id: int) -> None:
        raise NotImplementedError

    def clear(self) -> None:
        with connection.cursor() as cursor:
            for table in TABLES:
                cursor.execute(f"DELETE FROM {table}")

    def delete_orphans(self) -> int:
        """Drop entries whose post is gone, deleted or in a deleted thread."""
        posts, threads = Post._meta.db_table, Thread._meta.db_table
        ids: set[int] = set()
        with connection.cursor() as cursor:
            for table in TABLES:
                cursor.execute(
                    f"SELECT s.{self.key} FROM {table} s "
                    f"LEFT JOIN {posts} p ON p.id = s.{self.key} "
                    f"LEFT JOIN {threads} t ON t.id = p.thread_id "
                    f"WHERE p.id IS NULL OR p.is_deleted OR t.is_deleted "
                    f"OR ({'p.floor <> 1' if table == TITLE_TABLE else '1 = 0'})"
                )
                ids.update(row[0] for row in cursor.fetchall())
        self.delete(sorted(ids))
        return len(ids)

    def delete_above(self, post_id: int) -> None:
        """Drop entries for ids no post has reached yet (left over from a flushed table)."""
        with connection.cursor() as cursor:
            for table in TABLES:
                cursor.execute(f"DELETE FROM {table} WHERE {self.key} > %s", [post_id])

    def optimize(self) -> None:
        """Compact the index after a bulk rebuild."""

    def is_empty(self, table: str = TABLE) -> bool:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT 1 FROM {table} LIMIT 1")
            return cursor.fetchone() is None

    # --- reading ----------------------------------------------------------------------
    @contextmanager
    def session(self):
        """Around the queries of one search."""
        yield

    def match_sql(self, match: Match) -> tuple[str, list]:
        raise NotImplementedError

    def dump(self) -> dict[str, str]:
        """Every entry of both tables as text, for comparing two indexes (tests)."""
        raise NotImplementedError

    def _select(self, match: Match, what: str) -> tuple[str, list]:
        match_sql, params = self.match_sql(match)
        return f"SELECT {what} FROM {match.table} s WHERE {match_sql}", params

    def ids(self, match: Match, *, offset: int, limit: int) -> list[int]:
        """Matching post ids, newest first."""
        if limit <= 0:
            return []
        sql, params = self._select(match, f"s.{self.key}")
        sql += f" ORDER BY s.{self.key} DESC LIMIT %s OFFSET %s"
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, limit, offset])
            return [row[0] for row in cursor.fetchall()]

    def count(self, match: Match, *, cap: int) -> int:
        """How many posts match, counting no further than `cap`."""
        sql, params = self._select(match, "1")
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM ({sql} LIMIT %s) x", [*params, cap])
            return cursor.fetchone()[0]


class SQLiteEngine(Engine):
    """FTS5 tables `forum_search(title, body, meta)` and `forum_search_title(title, meta)`.

    rowid = post id. The tokens are already split, so FTS5's unicode61 tokenizer only
    cuts at the spaces (and keeps diacritics, as PostgreSQL does); `prefix='1'` keeps
    a one-character prefix index so a single-character query reads one doclist;
    `columnsize=0`: no bm25 ranking. FTS5 walks a doclist in rowid order, so "newest
    first, stop after N" costs N entries, however common the word.
    """

    key = "rowid"
    vendor = "sqlite"

    def write(self, docs: Iterable[Document], *, fresh: bool = False) -> None:
        docs = list(docs)
        if not docs:
            return
        if not fresh:
            self.delete([d.post_id for d in docs])
        rows = [(d.post_id, " ".join(d.title), " ".join(d.body), " ".join(d.meta))
                for d in docs]
        titles = [(d.post_id, " ".join(d.title), " ".join(d.meta)) for d in docs if d.opening]
        with connection.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {TABLE} (rowid, title, body, meta) VALUES (%s, %s, %s, %s)", rows
            )
            if titles:
                cursor.executemany(
                    f"INSERT INTO {TITLE_TABLE} (rowid, title, meta) VALUES (%s, %s, %s)", titles
                )

    def move_thread(self, thread_id: int, old_board_id: int, new_board_id: int) -> None:
        old, new = board_token(old_board_id), board_token(new_board_id)
        with connection.cursor() as cursor:
            for table in TABLES:
                # The board token leads the meta column (see documents.build).
                cursor.execute(
                    f"UPDATE {table} SET meta = %s || substr(meta, %s) WHERE rowid IN "
                    f"(SELECT id FROM {Post._meta.db_table} WHERE thread_id = %s) "
                    f"AND meta LIKE %s",
                    [new, len(old) + 1, thread_id, old + " %"],
                )

    def optimize(self) -> None:
        with connection.cursor() as cursor:
            for table in TABLES:
                cursor.execute(f"INSERT INTO {table} ({table}) VALUES ('optimize')")

    def match_sql(self, match: Match) -> tuple[str, list]:
        return f"s.{match.table} MATCH %s", [self.expression(match)]

    @staticmethod
    def _phrase(phrase: Phrase) -> str:
        quoted = '"' + " ".join(t.replace('"', '""') for t in phrase.tokens) + '"'
        return quoted + "*" if phrase.prefix else quoted

    def expression(self, match: Match) -> str:
        parts = [
            "meta : (" + " OR ".join(f'"{t}"' for t in group) + ")"
            for group in match.meta_groups()
        ]
        if match.phrases:
            all_of = " AND ".join(self._phrase(p) for p in match.phrases)
            if match.part == "title":
                parts.append(f"title : ({all_of})")
            elif match.part == "rest":
                parts.append(f"({{title body}} : ({all_of})) NOT (title : ({all_of}))")
            else:
                parts.append(f"{{title body}} : ({all_of})")
        return " AND ".join(f"({p})" for p in parts)

    def dump(self) -> dict[str, str]:
        out = {}
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT rowid, title, body, meta FROM {TABLE}")
            out.update({f"post {r[0]}": f"{r[1]}|{r[2]}|{r[3]}" for r in cursor.fetchall()})
            cursor.execute(f"SELECT rowid, title, meta FROM {TITLE_TABLE}")
            out.update({f"title {r[0]}": f"{r[1]}|{r[2]}" for r in cursor.fetchall()})
        return out


class PostgresEngine(Engine):
    """Tables (post_id, document tsvector), each with a GIN index on the document.

    The tsvector is written from our own tokens as a literal (never through a text
    search parser): title tokens at weight A, then text tokens after a gap (no phrase
    spans the two), then without positions the filter tokens ('#b12', '#a3', …) and
    every CJK character once ('%秘'), so a single-character query reads one posting
    list instead of the union of every bigram that starts with it.

    GIN cannot hand out matches newest first, and reading a posting list of a word in
    every other post costs more than walking the newest rows until enough match. So
    each search measures how dense its matches are (a probe of the newest rows, then
    the count) and picks the plan itself (see `count` and `ids`) instead of leaving it
    to the planner's guess about how common a phrase is: a wrong guess either way
    costs seconds at a million posts.
    """

    key = "post_id"
    vendor = "postgresql"
    PLANNER_FLAGS = ("enable_seqscan", "enable_indexscan", "enable_bitmapscan")
    # The index table read through its GIN index only.
    THROUGH_GIN = {"enable_seqscan": False, "enable_indexscan": False}
    # Walking the primary key backwards, newest first.
    BY_KEY = {"enable_seqscan": False, "enable_bitmapscan": False}
    PROBE_ROWS = 1000
    # Reading one row by key and matching its tsvector costs about four GIN postings.
    WALK_ROW_COST = 4

    def __init__(self):
        # What count() saw, per match: (count, cap, density, walked the key?).
        self._seen: dict[Match, tuple[int, int, float, bool]] = {}
        self._ids_span: dict[str, tuple[int, int]] | None = None

    @staticmethod
    def _lexeme(token: str) -> str:
        return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"

    @classmethod
    def literal(cls, doc: Document, *, title_only: bool = False) -> str:
        positions: dict[str, list[str]] = {}

        def add(tokens, start: int, weight: str) -> int:
            pos = start
            for token in tokens:
                pos += 1
                slot = positions.setdefault(token, [])
                if len(slot) < PG_MAX_POSITIONS and pos <= PG_MAX_POSITION:
                    slot.append(f"{pos}{weight}")
            return pos

        end = add(doc.title, 0, "" if title_only else "A")
        if not title_only:
            add(doc.body, end + 1 if doc.title else 0, "")
        parts = [f"{cls._lexeme(t)}:{','.join(p)}" for t, p in positions.items() if p]
        # Tokens past PostgreSQL's last position still match, without a position.
        parts += [cls._lexeme(t) for t, p in positions.items() if not p]
        parts += [cls._lexeme("#" + m) for m in doc.meta]
        characters = {ch for t in positions if CJK_RE.match(t) for ch in t}
        parts += [cls._lexeme("%" + ch) for ch in sorted(characters)]
        return " ".join(parts)

    def write(self, docs: Iterable[Document], *, fresh: bool = False) -> None:
        docs = list(docs)
        conflict = "" if fresh else (
            " ON CONFLICT (post_id) DO UPDATE SET document = EXCLUDED.document"
        )
        tables = [
            (TABLE, [(d.post_id, self.literal(d)) for d in docs]),
            (TITLE_TABLE, [(d.post_id, self.literal(d, title_only=True))
                           for d in docs if d.opening]),
        ]
        with connection.cursor() as cursor:
            for table, rows in tables:
                for chunk in _chunks(rows, 500):
                    values = ",".join(["(%s, %s::tsvector)"] * len(chunk))
                    flat = [v for row in chunk for v in row]
                    cursor.execute(
                        f"INSERT INTO {table} (post_id, document) VALUES {values}{conflict}",
                        flat,
                    )

    def clear(self) -> None:
        # TRUNCATE, not DELETE: a fresh rebuild should not leave a million dead rows.
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {', '.join(TABLES)}")

    def move_thread(self, thread_id: int, old_board_id: int, new_board_id: int) -> None:
        with connection.cursor() as cursor:
            for table in TABLES:
                cursor.execute(
                    f"UPDATE {table} SET document = ts_delete(document, %s) || %s::tsvector "
                    f"WHERE post_id IN "
                    f"(SELECT id FROM {Post._meta.db_table} WHERE thread_id = %s)",
                    ["#" + board_token(old_board_id),
                     self._lexeme("#" + board_token(new_board_id)), thread_id],
                )

    def optimize(self) -> None:
        with connection.cursor() as cursor:
            for table in TABLES:
                cursor.execute(f"ANALYZE {table}")

    def match_sql(self, match: Match) -> tuple[str, list]:
        return "s.document @@ %s::tsquery", [self.expression(match)]

    @classmethod
    def _phrase(cls, phrase: Phrase, weight: str = "") -> str:
        if phrase.prefix:
            if weight:  # only ever checked row by row (see expression): a prefix is fine
                return f"{cls._lexeme(phrase.tokens[0])}:*{weight}"
            return cls._lexeme("%" + phrase.tokens[0])
        suffix = f":{weight}" if weight else ""
        return "(" + " <-> ".join(cls._lexeme(t) + suffix for t in phrase.tokens) + ")"

    def expression(self, match: Match) -> str:
        parts = [
            "(" + " | ".join(self._lexeme("#" + t) for t in group) + ")"
            for group in match.meta_groups()
        ]
        parts += [self._phrase(p) for p in match.phrases]
        if match.part == "rest" and match.phrases:
            # Not a title match: a negation, so GIN finds the rows and each is checked.
            parts.append("!(" + " & ".join(self._phrase(p, "A") for p in match.phrases) + ")")
        return " & ".join(parts)

    @contextmanager
    def session(self):
        """One transaction for a search: the planner settings live inside it only."""
        nested = connection.in_atomic_block
        with transaction.atomic(), connection.cursor() as cursor:
            yield
            if nested:  # inside a caller's transaction the settings would outlive the search
                cursor.execute("SELECT " + ", ".join(["set_config(%s, 'on', true)"] * 3),
                               list(self.PLANNER_FLAGS))

    @contextmanager
    def _planner(self, **flags: bool):
        """A cursor whose next query may use only the given plans (see session)."""
        values = [v for name in self.PLANNER_FLAGS
                  for v in (name, "on" if flags.get(name, True) else "off")]
        with self.session() if not connection.in_atomic_block else nullcontext(), \
                connection.cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(["set_config(%s, %s, true)"] * 3), values)
            yield cursor

    def _cost(self, match: Match, density: float, wanted: int) -> tuple[float, float]:
        """(walking the key, reading the GIN index) for `wanted` matches, in GIN postings.

        Walking newest first reads about wanted / density rows; the index reads the
        posting list of every token and filter of the query, about density × rows each.
        """
        low, high = self._bounds()[match.table]
        rows = max(1, high - low + 1)
        lists = sum(len(p.tokens) for p in match.phrases) + len(match.meta_groups())
        return wanted / density * self.WALK_ROW_COST, density * rows * max(1, lists)

    def count(self, match: Match, *, cap: int) -> int:
        """How many posts match, counting no further than `cap`: by the cheaper plan.

        A probe of the newest PROBE_ROWS entries estimates how dense the matches are.
        Dense: walk the key newest first until `cap` matches (a few thousand rows).
        Sparse: read the posting lists through GIN; the bitmap heap scan stops after
        `cap` rows. Either way the count also measures the density for `ids`.
        """
        low, high = self._bounds()[match.table]
        expression = self.expression(match)
        with self._planner(**self.BY_KEY) as cursor:
            cursor.execute(
                f"SELECT COUNT(*) FROM (SELECT document FROM {match.table} "
                f"ORDER BY post_id DESC LIMIT %s) w WHERE w.document @@ %s::tsquery",
                [self.PROBE_ROWS, expression],
            )
            hits = cursor.fetchone()[0]
        density = max(hits, 0.5) / max(1, min(self.PROBE_ROWS, high - low + 1))
        walk_cost, index_cost = self._cost(match, density, cap)
        walk = walk_cost < index_cost
        sql, params = self._select(match, f"s.{self.key} AS id")
        if walk:
            with self._planner(**self.BY_KEY) as cursor:
                cursor.execute(f"SELECT COUNT(*), MIN(x.id) FROM "
                               f"({sql} ORDER BY s.{self.key} DESC LIMIT %s) x", [*params, cap])
                n, reach = cursor.fetchone()
            if n:
                density = n / max(1, high - reach + 1)
        else:
            with self._planner(**self.THROUGH_GIN) as cursor:
                cursor.execute(f"SELECT COUNT(*), MAX(x.id) FROM ({sql} LIMIT %s) x",
                               [*params, cap])
                n, reach = cursor.fetchone()
            if n:  # the bitmap heap scan reads in table order, roughly id order
                density = n / max(1, (reach if n >= cap else high) - low + 1)
        self._seen[match] = (n, cap, density, walk)
        return n

    def _bounds(self) -> dict[str, tuple[int, int]]:
        """The lowest and highest post id of each table (read once per search)."""
        if self._ids_span is None:
            with connection.cursor() as cursor:
                cursor.execute("SELECT " + ", ".join(
                    f"(SELECT MIN(post_id) FROM {t}), (SELECT MAX(post_id) FROM {t})"
                    for t in TABLES))
                row = cursor.fetchone()
            self._ids_span = {t: (row[2 * i] or 0, row[2 * i + 1] or 0)
                              for i, t in enumerate(TABLES)}
        return self._ids_span

    def ids(self, match: Match, *, offset: int, limit: int) -> list[int]:
        """Newest first, by whichever plan costs less for this page.

        All matches counted (fewer than the cap): the plan the count used, which read
        them all already. More: walking the key costs (offset + limit) / density rows,
        reading the index density × rows; the cheaper is at worst about
        sqrt(wanted × rows), some 30,000 rows for page 50 of a million posts.
        """
        if limit <= 0:
            return []
        if match not in self._seen:
            self.count(match, cap=offset + limit + 1)
        n, cap, density, walked = self._seen[match]
        if n < cap:
            walk = walked
        else:
            walk_cost, index_cost = self._cost(match, density, offset + limit)
            walk = walk_cost <= index_cost
        sql, params = self._select(match, f"s.{self.key}")
        with self._planner(**(self.BY_KEY if walk else self.THROUGH_GIN)) as cursor:
            cursor.execute(f"{sql} ORDER BY s.{self.key} DESC LIMIT %s OFFSET %s",
                           [*params, limit, offset])
            return [row[0] for row in cursor.fetchall()]

    def dump(self) -> dict[str, str]:
        out = {}
        with connection.cursor() as cursor:
            for label, table in (("post", TABLE), ("title", TITLE_TABLE)):
                cursor.execute(f"SELECT post_id, document::text FROM {table}")
                out.update({f"{label} {r[0]}": r[1] for r in cursor.fetchall()})
        return out


ENGINES = {"sqlite": SQLiteEngine, "postgresql": PostgresEngine}


def engine() -> Engine:
    try:
        return ENGINES[connection.vendor]()
    except KeyError:
        raise NotImplementedError(
            f"Full-text search supports SQLite and PostgreSQL, not {connection.vendor}."
        ) from None


def _chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i:i + size]
