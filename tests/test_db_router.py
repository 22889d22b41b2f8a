"""The read-replica router (forum/db_router.py): reads to the replica unless the newest
rows matter — writes, transactions, a browser that just wrote, pages for the cache."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.http import HttpResponse
from django.test import Client, RequestFactory

from forum import db_router
from forum.models import Thread
from tests import page_cache_urls

pytestmark = pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")

router = db_router.PrimaryReplicaRouter()


@pytest.fixture
def with_replica(settings):
    settings.DATABASES = {**settings.DATABASES, "replica": settings.DATABASES["default"]}


def test_without_a_replica_the_router_stays_out_of_the_way():
    assert router.db_for_read(Thread) is None


def test_reads_go_to_the_replica(with_replica):
    assert router.db_for_read(Thread) == "replica"
    assert router.db_for_write(Thread) == "default"


@pytest.mark.django_db(transaction=True)
def test_reads_inside_a_transaction_go_to_the_primary(with_replica):
    with transaction.atomic():
        assert router.db_for_read(Thread) == "default"
    assert router.db_for_read(Thread) == "replica"


def test_pinned_reads_go_to_the_primary(with_replica):
    with db_router.primary():
        assert router.db_for_read(Thread) == "default"
    assert router.db_for_read(Thread) == "replica"


def test_migrations_run_on_the_primary_only():
    assert router.allow_migrate("default", "forum")
    assert not router.allow_migrate("replica", "forum")


def _seen_by(request):
    seen = []

    def view(request):
        seen.append(db_router._pinned.get())
        return HttpResponse("ok")

    response = db_router.PrimaryAfterWriteMiddleware(view)(request)
    return seen[0], response


def test_a_write_pins_this_request_and_the_next_ones_by_cookie(settings):
    factory = RequestFactory()
    pinned, response = _seen_by(factory.post("/t/1/reply/"))
    cookie = response.cookies[db_router.STICKY_COOKIE]
    assert pinned and int(cookie["max-age"]) == settings.FORUM_REPLICA_STICKY_SECONDS
    follow = factory.get("/t/1/")
    follow.COOKIES[db_router.STICKY_COOKIE] = "1"
    assert _seen_by(follow)[0] is True
    plain, response = _seen_by(factory.get("/t/1/"))
    assert plain is False and db_router.STICKY_COOKIE not in response.cookies


@pytest.mark.urls("tests.page_cache_urls")
def test_a_page_rendered_for_the_cache_reads_from_the_primary(db):
    page_cache_urls.SEEN_PINNED.clear()
    Client().get("/pinning/")
    Client().get("/pinning/?page=%3Cjunk%3E")  # served, never stored: no need to pin
    assert page_cache_urls.SEEN_PINNED == [True, False]
