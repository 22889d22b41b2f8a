"""The database settings built from DATABASE_URL."""

import pytest

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


def test_postgresql_prepares_repeated_queries(monkeypatch):
    options = _database("postgres://u@127.0.0.1:5432/forum")["OPTIONS"]
    assert options["server_side_binding"] is True
    assert options["prepare_threshold"] == 5
    monkeypatch.setenv("DATABASE_PREPARE_THRESHOLD", "off")  # behind PgBouncer < 1.21
    options = _database("postgres://u@127.0.0.1:5432/forum")["OPTIONS"]
    assert "prepare_threshold" not in options and "server_side_binding" not in options


def test_the_running_connection_prepares_when_on_postgresql(db):
    """What Django made of the options: psycopg prepares after the threshold."""
    from django.db import connection

    if connection.vendor != "postgresql" or "prepare_threshold" not in connection.settings_dict[
            "OPTIONS"]:
        pytest.skip("PostgreSQL with prepared statements only")
    connection.ensure_connection()
    assert connection.connection.prepare_threshold == 5
