"""The Discuz! database, read-only: DSN parsing, connection, schema check, batched reads.

The importer never writes to Discuz: the session is put in READ ONLY mode right
after connecting, so even a bug here cannot change the community being moved.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

# Tables (without prefix) and the columns the importer reads from each. A database
# that lacks one is not a Discuz! X3 database we understand: the import stops
# before writing anything.
REQUIRED: dict[str, tuple[str, ...]] = {
    "forum_forum": ("fid", "fup", "type", "name", "status", "displayorder"),
    "forum_forumfield": ("fid", "description", "password", "viewperm"),
    "forum_moderator": ("uid", "fid", "displayorder"),
    "forum_thread": ("tid", "fid", "author", "authorid", "subject", "dateline", "lastpost", "views",
                     "displayorder", "highlight", "digest", "closed", "readperm"),
    "forum_post": ("pid", "tid", "first", "authorid", "dateline", "message", "useip",
                   "invisible", "anonymous", "smileyoff", "status", "position"),
    "common_member": ("uid", "email", "username", "status", "emailstatus", "adminid",
                      "groupid", "groupexpiry", "regdate", "credits"),
    "common_member_count": ("uid", "extcredits1", "extcredits8"),
    "common_member_status": ("uid", "lastvisit", "lastactivity"),
    "common_member_field_forum": ("uid", "sightml", "customstatus"),
    "ucenter_members": ("uid", "password", "salt"),
    "common_setting": ("skey", "svalue"),
    "common_tag": ("tagid", "tagname"),
    "common_tagitem": ("tagid", "itemid", "idtype"),
    "home_follow": ("uid", "followuid", "dateline"),
}
# Read when present; an older install without them simply has nothing of the kind.
OPTIONAL: dict[str, tuple[str, ...]] = {
    "common_member_crime": ("uid", "operatorid", "action", "reason", "dateline"),
    "forum_threadmod": ("tid", "action", "dateline"),
    "home_favorite": ("favid",),
    "forum_ratelog": ("pid",),
    "common_smiley": ("id", "typeid", "type", "code", "url"),
    "forum_imagetype": ("typeid", "directory"),
    "forum_attachment": ("aid", "pid", "uid", "tableid"),
    **{f"forum_attachment_{n}": ("aid", "dateline", "filename", "attachment", "remote",
                                 "readperm", "price", "isimage") for n in range(10)},
}

SPLIT = ("forum_thread", "forum_post")  # tables Discuz! may split over numbered copies

_PREFIX_RE = re.compile(r"^[A-Za-z0-9_]{0,32}$")


@dataclass(frozen=True)
class Dsn:
    host: str
    port: int
    user: str
    password: str
    database: str

    @property
    def label(self) -> str:
        """For messages and the ImportRun record: never the password."""
        return f"{self.host}:{self.port}/{self.database}"


def parse_dsn(dsn: str) -> Dsn:
    """`mysql://user:pass@host:3306/db` (mariadb:// too); CommandError when malformed."""
    try:
        parts = urlsplit(dsn or "")
        port = parts.port or 3306
    except ValueError as exc:
        raise CommandError(_("The DSN is not valid: %(error)s") % {"error": exc}) from exc
    database = unquote(parts.path.lstrip("/"))
    if parts.scheme not in ("mysql", "mariadb") or not parts.hostname or not database:
        raise CommandError(
            _("The DSN must look like mysql://user:password@host:3306/database (got %(dsn)s).")
            % {"dsn": _redact(dsn)}
        )
    return Dsn(host=parts.hostname, port=port, user=unquote(parts.username or "root"),
               password=unquote(parts.password or ""), database=database)


def _redact(dsn: str) -> str:
    return re.sub(r"(//[^:/@]*:)[^@]*@", r"\1***@", dsn or "")


def check_prefix(prefix: str) -> str:
    if not _PREFIX_RE.match(prefix or ""):
        raise CommandError(
            _("The table prefix may hold only letters, digits and underscores (got %(prefix)s).")
            % {"prefix": prefix}
        )
    return prefix


class Source:
    """One read-only connection to a Discuz! database with table prefix `prefix`."""

    def __init__(self, dsn: Dsn, prefix: str, *, connect_timeout: int = 10):
        import pymysql

        self.dsn = dsn
        self.prefix = check_prefix(prefix)
        try:
            self.conn = pymysql.connect(
                host=dsn.host, port=dsn.port, user=dsn.user, password=dsn.password,
                database=dsn.database, charset="utf8mb4", connect_timeout=connect_timeout,
                cursorclass=pymysql.cursors.DictCursor, autocommit=True,
            )
            with self.conn.cursor() as cur:
                cur.execute("SET SESSION TRANSACTION READ ONLY")
        except pymysql.MySQLError as exc:
            raise CommandError(
                _("Cannot read the Discuz! database at %(where)s: %(error)s")
                % {"where": dsn.label, "error": exc.args[-1] if exc.args else exc}
            ) from exc
        self.tables: set[str] = set()
        self.columns: dict[str, set[str]] = {}
        self.splits: dict[str, list[str]] = {base: [base] for base in SPLIT}

    def close(self) -> None:
        self.conn.close()

    def table(self, name: str) -> str:
        return f"`{self.prefix}{name}`"

    def has(self, name: str) -> bool:
        return name in self.tables

    def has_column(self, table: str, column: str) -> bool:
        return column in self.columns.get(table, ())

    # --- schema ---------------------------------------------------------------------

    def validate(self) -> None:
        """CommandError naming every missing table or column; nothing is read before."""
        rows = self.query(
            "SELECT TABLE_NAME AS t, COLUMN_NAME AS c FROM information_schema.COLUMNS "
            "WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME LIKE %s",
            [self.prefix.replace("_", r"\_") + "%"],
        )
        columns: dict[str, set[str]] = {}
        for row in rows:
            name = row["t"][len(self.prefix):]
            columns.setdefault(name, set()).add(row["c"].lower())
        missing_tables = [t for t in REQUIRED if t not in columns]
        if len(missing_tables) == len(REQUIRED):
            raise CommandError(
                _("%(where)s is not a Discuz! X database with the table prefix “%(prefix)s” "
                  "(no %(prefix)sforum_forum, %(prefix)sforum_post, … tables).")
                % {"where": self.dsn.label, "prefix": self.prefix}
            )
        problems = [self.prefix + t for t in missing_tables]
        for table, needed in REQUIRED.items():
            if table in columns:
                problems += [f"{self.prefix}{table}.{c}" for c in needed
                             if c not in columns[table]]
        if problems:
            raise CommandError(
                _("The Discuz! database at %(where)s lacks what the importer needs: "
                  "%(missing)s. Nothing was imported.")
                % {"where": self.dsn.label, "missing": ", ".join(problems)}
            )
        self.columns = columns
        self.tables = set(REQUIRED) | {
            t for t, needed in OPTIONAL.items()
            if t in columns and all(c in columns[t] for c in needed)
        }
        # Big installs split threads and posts over numbered tables (主题分表 / 帖子分表:
        # forum_thread_1…, forum_post_1…); each holds rows of the same shape.
        for base in SPLIT:
            parts = [t for t in columns if re.fullmatch(rf"{base}_\d+", t)
                     and all(c in columns[t] for c in REQUIRED[base])]
            self.splits[base] = [base, *sorted(parts, key=lambda t: int(t.rsplit("_", 1)[1]))]
            self.tables.update(parts)

    # --- reads ----------------------------------------------------------------------

    def query(self, sql: str, params=None) -> list[dict]:
        import pymysql

        try:
            with self.conn.cursor() as cur:
                cur.execute(sql, params)
                return list(cur.fetchall())
        except pymysql.MySQLError as exc:
            raise CommandError(
                _("Reading the Discuz! database failed: %(error)s")
                % {"error": exc.args[-1] if exc.args else exc}
            ) from exc

    def batches(self, sql: str, key: str, *, size: int, params=()) -> Iterator[list[dict]]:
        """Keyset pagination: `sql` must hold `{after}` where `key > %s` goes, and no
        ORDER BY / LIMIT (added here), so each batch is one index range read."""
        last = -1
        while True:
            rows = self.query(
                sql.format(after=f"{key} > %s") + f" ORDER BY {key} LIMIT {int(size)}",
                [*params, last],
            )
            if not rows:
                return
            yield rows
            last = rows[-1][key.rsplit(".", 1)[-1]]
            if len(rows) < size:
                return

    def count(self, tables: list[str], where: str = "1=1") -> int:
        return sum(self.query(f"SELECT COUNT(*) AS n FROM {self.table(t)} WHERE {where}")[0]["n"]
                   for t in tables)

    def setting(self, key: str, default: str = "") -> str:
        rows = self.query(f"SELECT svalue FROM {self.table('common_setting')} WHERE skey = %s",
                          [key])
        return rows[0]["svalue"] if rows else default

    def grouped_batches(self, sql: str, key: str, *, size: int,
                        where: str = "1=1") -> Iterator[list[dict]]:
        """Batches of rows for tables keyed by two columns (a follow, a tag on a thread):
        `size` distinct values of `key` at a time, with every row holding them.
        `sql` must hold `{where}`; `key` is a column of the table in `sql`'s FROM."""
        from_clause = sql.split(" FROM ", 1)[1].split(" WHERE ", 1)[0]
        last = -1
        while True:
            keys = [r["k"] for r in self.query(
                f"SELECT DISTINCT {key} AS k FROM {from_clause} WHERE {where} AND {key} > %s "
                f"ORDER BY {key} LIMIT {int(size)}", [last])]
            if not keys:
                return
            marks = ",".join(str(int(k)) for k in keys)
            yield self.query(sql.format(where=f"{where} AND {key} IN ({marks})")
                             + f" ORDER BY {key}")
            last = keys[-1]
            if len(keys) < size:
                return
