"""The Discuz! X3.5 fixture database for the importer's tests.

`discuz_db` (session scope) loads ../shared/fixtures/discuz-x35.sql.gz into a fresh
MariaDB database of its own (127.0.0.1:3306, root, no password), named
`discuz_test_<random>`, and drops it at the end of the session. Tests skip with the
reason when MariaDB or the `mysql` client is not there (.ci/run provides both).
DISCUZ_FIXTURE and DISCUZ_TEST_HOST/PORT/USER point elsewhere when needed.

`imported` (module scope) imports that database once into our test database inside
a transaction that is rolled back after the module's last test; each test runs in
a savepoint inside it (pytest-django's `db`), so tests may write freely.
"""

from __future__ import annotations

import gzip
import os
import secrets
import shutil
import subprocess
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

FIXTURE = Path(os.environ.get("DISCUZ_FIXTURE") or Path(__file__).resolve().parents[2]
               / "shared" / "fixtures" / "discuz-x35.sql.gz")
HOST = os.environ.get("DISCUZ_TEST_HOST", "127.0.0.1")
PORT = int(os.environ.get("DISCUZ_TEST_PORT", "3306"))
USER = os.environ.get("DISCUZ_TEST_USER", "root")


@dataclass(frozen=True)
class DiscuzDb:
    name: str

    @property
    def dsn(self) -> str:
        return f"mysql://{USER}@{HOST}:{PORT}/{self.name}"

    def connect(self, *, server_only: bool = False):
        import pymysql

        return pymysql.connect(host=HOST, port=PORT, user=USER,
                               database=None if server_only else self.name,
                               charset="utf8mb4", autocommit=True,
                               # As Discuz! itself runs: columns left out take their
                               # type's empty value (tests insert only what they need).
                               init_command="SET SESSION sql_mode = ''",
                               cursorclass=pymysql.cursors.DictCursor)

    def query(self, sql: str, params=None) -> list[dict]:
        conn = self.connect()
        try:
            with conn.cursor() as cur:
                cur.execute(sql, params)
                return list(cur.fetchall())
        finally:
            conn.close()

    def execute(self, sql: str, params=None) -> None:
        self.query(sql, params)

    @contextmanager
    def changed(self, *undo: str):
        """Rows a test adds inside the block are taken out by `undo` afterwards: the
        database is shared by the whole session."""
        try:
            yield self
        finally:
            for sql in undo:
                self.execute(sql)


def server_error() -> str | None:
    """Why MariaDB cannot be used, or None."""
    try:
        import pymysql
    except ImportError:
        return "PyMySQL is not installed"
    try:
        pymysql.connect(host=HOST, port=PORT, user=USER, connect_timeout=3).close()
    except pymysql.MySQLError as exc:
        return f"MariaDB is not reachable at {HOST}:{PORT} as {USER}: {exc}"
    if shutil.which("mysql") is None:
        return "the mysql client is not installed (apt-get install mariadb-client)"
    if not FIXTURE.exists():
        return f"the fixture {FIXTURE} is missing"
    return None


def _on_server(db: DiscuzDb, sql: str) -> None:
    conn = db.connect(server_only=True)
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()


def create_database(prefix: str = "discuz_test") -> DiscuzDb:
    db = DiscuzDb(f"{prefix}_{secrets.token_hex(4)}")
    _on_server(db, f"CREATE DATABASE `{db.name}` CHARACTER SET utf8mb4")
    return db


def drop_database(db: DiscuzDb) -> None:
    _on_server(db, f"DROP DATABASE IF EXISTS `{db.name}`")


def load_fixture(db: DiscuzDb) -> None:
    """The dump through the mysql client (the dump's own SET statements included)."""
    with gzip.open(FIXTURE, "rb") as dump:
        sql = dump.read()
    command = ["mysql", f"-h{HOST}", f"-P{PORT}", f"-u{USER}", db.name]
    # Fixed arguments; the client is the one on PATH, as an administrator would run it.
    result = subprocess.run(command, input=sql, capture_output=True,  # noqa: S603
                            timeout=600, check=False)
    if result.returncode:
        raise RuntimeError(f"loading {FIXTURE.name} failed: {result.stderr.decode()[-500:]}")


@pytest.fixture(scope="session")
def discuz_db():
    reason = server_error()
    if reason:
        pytest.skip(f"Discuz! fixture database unavailable: {reason}")
    db = create_database()
    try:
        load_fixture(db)
        yield db
    finally:
        drop_database(db)


@pytest.fixture
def scratch_db(discuz_db):
    """An empty database on the same server, dropped afterwards."""
    db = create_database("discuz_scratch")
    yield db
    drop_database(db)


@pytest.fixture(scope="module")
def imported(discuz_db, django_db_setup, django_db_blocker):
    """The fixture imported once for the module; rolled back after its last test."""
    from django.db import transaction

    from discuz.importer import run_import

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            report = run_import(dsn=discuz_db.dsn, progress=False)
            yield report
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
