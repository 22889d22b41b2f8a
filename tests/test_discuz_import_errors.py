"""import_discuz with bad input, --dry-run, and a crash in the middle: a clear error,
nothing written (or whole batches only), and a re-run that finishes the job."""

from __future__ import annotations

import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from accounts.models import CreditLog, Profile
from discuz.importer import threads as thread_stages
from discuz.models import ImportedObject, ImportRun
from forum.models import Board, Post, Thread
from forum.recount import recount_all

# The fixtures discuz_db (session) and imported (module) live there.
pytest_plugins = ["tests.discuz_fixture"]
pytestmark = pytest.mark.django_db
User = get_user_model()


def _import(*args, language: str = "en") -> str:
    """Run the command in English (the messages below are its msgids) unless told."""
    out = io.StringIO()
    with translation.override(language):
        call_command("import_discuz", *args, "-v0", stdout=out, stderr=io.StringIO())
    return out.getvalue()


def _nothing_written() -> None:
    assert not ImportedObject.objects.exists()
    assert not ImportRun.objects.exists()
    assert not User.objects.exists() and not Profile.objects.exists()
    assert not Board.objects.exists() and not Thread.objects.exists()
    assert not CreditLog.objects.exists()


@pytest.mark.parametrize(("dsn", "message"), [
    ("http://admin:topsecret@example.com/discuz", "The DSN must look like"),
    ("mysql://root@127.0.0.1", "The DSN must look like"),
    ("mysql://root@127.0.0.1:notaport/db", "The DSN is not valid"),
    ("mysql://root@127.0.0.1:1/discuz", "Cannot read the Discuz! database"),
])
def test_a_wrong_dsn_is_a_clear_error(dsn, message):
    with pytest.raises(CommandError, match=message) as error:
        _import("--dsn", dsn)
    assert "topsecret" not in str(error.value)  # the password is never echoed
    _nothing_written()


def test_errors_speak_the_site_language_by_default():
    with pytest.raises(CommandError, match="DSN 的格式应为") as error:
        _import("--dsn", "http://admin:topsecret@example.com/discuz", language="zh-hans")
    assert "topsecret" not in str(error.value)


def test_an_unknown_database_is_a_clear_error(discuz_db):
    with pytest.raises(CommandError, match="Cannot read the Discuz! database"):
        _import("--dsn", discuz_db.dsn.rsplit("/", 1)[0] + "/no_such_database_here")
    _nothing_written()


def test_a_database_that_is_not_discuz(scratch_db):
    scratch_db.execute("CREATE TABLE wp_posts (ID INT PRIMARY KEY)")
    with pytest.raises(CommandError, match="is not a Discuz! X database"):
        _import("--dsn", scratch_db.dsn)
    _nothing_written()


def test_a_wrong_prefix(discuz_db):
    with pytest.raises(CommandError, match="is not a Discuz! X database"):
        _import("--dsn", discuz_db.dsn, "--prefix", "cdb_")
    with pytest.raises(CommandError, match="letters, digits and underscores"):
        _import("--dsn", discuz_db.dsn, "--prefix", "pre_`; DROP TABLE x; --")
    _nothing_written()


def test_a_missing_table_or_column_stops_before_anything_is_written(discuz_db, scratch_db):
    from discuz.importer.source import REQUIRED

    for table in REQUIRED:
        if table != "forum_post":
            scratch_db.execute(
                f"CREATE TABLE pre_{table} AS SELECT * FROM `{discuz_db.name}`.pre_{table}")  # noqa: S608
    scratch_db.execute("ALTER TABLE pre_common_member DROP COLUMN regdate")
    with pytest.raises(CommandError) as error:
        _import("--dsn", scratch_db.dsn)
    assert "pre_forum_post" in str(error.value)
    assert "pre_common_member.regdate" in str(error.value)
    assert "Nothing was imported" in str(error.value)
    _nothing_written()


def test_a_missing_attachments_directory(discuz_db, tmp_path):
    with pytest.raises(CommandError, match="does not exist"):
        _import("--dsn", discuz_db.dsn, "--attachments", str(tmp_path / "nope"))
    _nothing_written()


def test_dry_run_counts_and_writes_nothing(discuz_db):
    out = _import("--dsn", discuz_db.dsn, "--dry-run")
    posts = discuz_db.query("SELECT COUNT(*) AS n FROM pre_forum_post")[0]["n"]
    members = discuz_db.query("SELECT COUNT(*) AS n FROM pre_common_member")[0]["n"]
    assert f"posts: would import {posts}" in out
    assert f"members: would import {members}" in out
    _nothing_written()


def test_a_crash_keeps_whole_batches_and_the_next_run_resumes(discuz_db, monkeypatch):
    real_write = thread_stages.PostStage.write
    calls = {"n": 0}

    def failing_write(self, rows):
        calls["n"] += 1
        written = real_write(self, rows)  # the batch is written, then the process "dies"
        if calls["n"] == 2:
            raise RuntimeError("power cut")
        return written

    monkeypatch.setattr(thread_stages.PostStage, "write", failing_write)
    with pytest.raises(RuntimeError, match="power cut"):
        _import("--dsn", discuz_db.dsn, "--batch-size", "1000")
    # The first batch is there with its mapping; nothing of the second one is.
    assert Post.objects.count() == 1000
    assert ImportedObject.objects.filter(kind="post").count() == 1000
    assert set(ImportedObject.objects.filter(kind="post").values_list("new_id", flat=True)) == \
        set(Post.objects.values_list("pk", flat=True))

    monkeypatch.setattr(thread_stages.PostStage, "write", real_write)
    out = _import("--dsn", discuz_db.dsn, "--batch-size", "1000")
    total = discuz_db.query("SELECT COUNT(*) AS n FROM pre_forum_post")[0]["n"]
    assert f"posts: imported {total - 1000}" in out
    assert "members: imported 0" in out and "threads: imported 0" in out
    assert Post.objects.count() == total
    assert not any(recount_all().values())


def test_names_and_addresses_taken_here_already(discuz_db):
    """The admin who set this forum up is the Discuz! admin (same name and address);
    another member's name or address taken here is not overwritten."""
    from discuz.importer import run_import

    admin = User.objects.create_user("admin", "admin@example.com", "x")
    other = User.objects.create_user("王芳", "someone-else@example.com", "x")
    squatter = User.objects.create_user("squatter", "user3@example.com", "x")  # 李娜's
    report = run_import(dsn=discuz_db.dsn, progress=False)
    assert ImportedObject.new_id_for("member", 1) == admin.pk
    renamed = User.objects.get(pk=ImportedObject.new_id_for("member", 3))
    assert renamed.username == "王芳_dz3" and renamed.email == "user2@example.com"
    lina = User.objects.get(pk=ImportedObject.new_id_for("member", 4))
    assert lina.username == "李娜" and lina.email == ""
    assert len(report.warnings) == 2
    assert all("王芳" in w or "李娜" in w for w in report.warnings)
    other.refresh_from_db()
    squatter.refresh_from_db()
    assert (other.email, squatter.username) == ("someone-else@example.com", "squatter")
    assert not any(recount_all().values())
