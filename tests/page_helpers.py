"""Shared pieces of the tests of pages kept for many members (test_member_pages.py,
test_shared_pages.py): a page as served, and the same page rendered afresh."""

from __future__ import annotations


def get_page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def get_fresh(client, url: str, settings) -> str:
    """The page rendered for this request alone, with the page caches off."""
    settings.FORUM_PAGE_CACHE = False
    try:
        return get_page(client, url)
    finally:
        settings.FORUM_PAGE_CACHE = True


def queries_of_a_hit(client, url: str) -> list[str]:
    """The SQL of a request for a page already rendered and kept (the third visit)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(2):
        get_page(client, url)
    with CaptureQueriesContext(connection) as ctx:
        get_page(client, url)
    return [q["sql"] for q in ctx.captured_queries]
