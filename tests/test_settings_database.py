"""The database settings built from DATABASE_URL."""

from forum.settings import _database


def test_postgresql_connections_run_without_jit():
    config = _database("postgres://u@127.0.0.1:5432/forum")
    assert config["OPTIONS"]["options"] == "-c jit=off"
    assert config["CONN_HEALTH_CHECKS"] is True


def test_options_given_in_the_url_are_kept():
    config = _database("postgres://u@127.0.0.1:5432/forum?options=-c%20statement_timeout%3D5000")
    assert config["OPTIONS"]["options"] == "-c jit=off -c statement_timeout=5000"


def test_other_engines_get_no_postgresql_options():
    assert "options" not in _database("sqlite:////tmp/x.sqlite3").get("OPTIONS", {})
