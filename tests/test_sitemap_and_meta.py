"""sitemap.xml, robots.txt, canonical URLs, meta description and OpenGraph tags."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest
from django.urls import reverse

from forum import services
from forum.sitemaps import ThreadSitemap
from tests.factories import make_reply, make_thread

pytestmark = pytest.mark.django_db

SM = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
CANARY = "METACANARY77"


def _xml(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return ET.fromstring(response.content)  # noqa: S314 - our own response


def _locs(root, kind="url"):
    return [e.find(f"{SM}loc").text for e in root.findall(f"{SM}{kind}")]


def test_sitemap_index_lists_every_section(client, thread):
    root = _xml(client, "/sitemap.xml")
    assert root.tag == f"{SM}sitemapindex"
    locs = _locs(root, "sitemap")
    for section in ("pages", "boards", "threads", "tags"):
        assert any(f"/sitemap-{section}.xml" in loc for loc in locs), section


def test_thread_sitemap_has_live_threads_with_lastmod(client, board, moderator):
    live = make_thread(board=board)
    gone = make_thread(board=board)
    services.delete_thread(thread=gone, actor=moderator)
    root = _xml(client, "/sitemap-threads.xml")
    locs = _locs(root)
    assert any(loc.endswith(live.get_absolute_url()) for loc in locs)
    assert not any(loc.endswith(gone.get_absolute_url()) for loc in locs)
    assert root.find(f"{SM}url/{SM}lastmod") is not None


def test_thread_sitemap_is_paginated(client, board, monkeypatch):
    monkeypatch.setattr(ThreadSitemap, "limit", 2)
    threads = [make_thread(board=board) for _ in range(5)]
    index = _locs(_xml(client, "/sitemap.xml"), "sitemap")
    pages = [loc for loc in index if "sitemap-threads.xml" in loc]
    assert len(pages) == 3
    seen = []
    for n in (1, 2, 3):
        seen += _locs(_xml(client, f"/sitemap-threads.xml?p={n}"))
    assert len(seen) == 5 and all(any(s.endswith(t.get_absolute_url()) for s in seen)
                                  for t in threads)


def test_boards_and_tags_are_in_the_sitemap(client, board):
    make_thread(board=board, tags=["公文"])
    assert any(loc.endswith(board.get_absolute_url())
               for loc in _locs(_xml(client, "/sitemap-boards.xml")))
    tag_url = reverse("forum:tag", args=["公文"])
    assert any(loc.endswith(tag_url) for loc in _locs(_xml(client, "/sitemap-tags.xml")))


def test_sitemap_never_carries_text(client, board):
    make_thread(board=board, title="标题", body=f"[hide]{CANARY}[/hide]")
    for url in ("/sitemap.xml", "/sitemap-threads.xml", "/sitemap-pages.xml"):
        assert CANARY not in client.get(url).content.decode()


def test_unknown_sitemap_section_is_404(client, db):
    assert client.get("/sitemap-nothing.xml").status_code == 404


def test_robots_txt_points_to_the_sitemap_and_keeps_crawlers_out_of_search(client, db):
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    text = response.content.decode()
    assert "User-agent: *" in text and "Disallow: /search/" in text
    assert re.search(r"^Sitemap: http://testserver/sitemap\.xml$", text, re.M)


def _meta(html: str, attr: str, name: str) -> str | None:
    m = re.search(rf'<meta {attr}="{re.escape(name)}" content="([^"]*)"', html)
    return m.group(1) if m else None


def test_thread_page_has_canonical_description_and_opengraph(client, board):
    thread = make_thread(board=board, title="如何写讲话稿", body="讲话稿要口语化。",
                         tags=["讲话稿"])
    html = client.get(thread.get_absolute_url()).content.decode()
    assert f'<link rel="canonical" href="http://testserver{thread.get_absolute_url()}">' in html
    assert _meta(html, "name", "description") == "讲话稿要口语化。"
    assert _meta(html, "property", "og:title") == "如何写讲话稿"
    assert _meta(html, "property", "og:description") == "讲话稿要口语化。"
    assert _meta(html, "property", "og:type") == "article"
    assert _meta(html, "property", "og:url") == f"http://testserver{thread.get_absolute_url()}"
    assert _meta(html, "property", "article:tag") == "讲话稿"


def test_canonical_of_a_later_page_keeps_the_page(client, board, settings):
    settings.FORUM_POSTS_PER_PAGE = 2
    thread = make_thread(board=board)
    for _ in range(3):
        make_reply(thread=thread)
    html = client.get(thread.get_absolute_url(), {"page": 2}).content.decode()
    assert f'href="http://testserver{thread.get_absolute_url()}?page=2"' in html


@pytest.mark.parametrize("hide", ["[hide]{}[/hide]", "[hide=5]{}[/hide]", "[hide=d7]{}[/hide]",
                                  "[hide=d3,10]{}[/hide]", "[hide]{} 未闭合"])
def test_meta_and_opengraph_never_carry_hidden_text(client, board, hide):
    thread = make_thread(board=board, title="标题", body="公开部分。\n\n" + hide.format(CANARY))
    html = client.get(thread.get_absolute_url()).content.decode()
    head = html.split("</head>")[0]
    assert CANARY not in head
    assert _meta(head, "property", "og:description") == "公开部分。"


def test_board_page_has_canonical_description_and_opengraph(client, board, settings):
    settings.FORUM_THREADS_PER_PAGE = 1
    board.description = "公文写作的讨论"
    board.save()
    make_thread(board=board)
    make_thread(board=board)
    html = client.get(board.get_absolute_url()).content.decode()
    assert f'<link rel="canonical" href="http://testserver{board.get_absolute_url()}">' in html
    assert _meta(html, "property", "og:title") == board.name
    assert _meta(html, "property", "og:description") == "公文写作的讨论"
    page2 = client.get(board.get_absolute_url(), {"page": 2}).content.decode()
    assert f'href="http://testserver{board.get_absolute_url()}?page=2"' in page2


def test_index_has_a_canonical_url(client, db):
    assert '<link rel="canonical" href="http://testserver/">' in client.get("/").content.decode()
