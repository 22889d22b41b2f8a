"""sitemap.xml: an index of sections (pages, boards, threads, tags), each paginated.

Only public URLs: boards, live threads, tags in use. Entries carry a URL and a
date, never any text.
"""

from __future__ import annotations

from django.contrib.sitemaps import Sitemap
from django.db.models import Max
from django.urls import reverse

from .models import Board, Tag, Thread

# Each sitemap file holds at most this many URLs (the protocol allows 50,000; smaller
# files are quicker to build and to fetch).
URLS_PER_FILE = 5000


def _newest_post_time():
    """When the forum last changed: the newest of the boards' last posts (one small query).

    Django's default would compute every item's lastmod to find the newest, which on a
    forum of 100,000 threads means loading all of them for the sitemap index.
    """
    return Board.objects.aggregate(newest=Max("last_post__created_at"))["newest"]


class PagesSitemap(Sitemap):
    changefreq = "hourly"
    priority = 1.0

    def items(self) -> list[str]:
        return ["forum:index", "forum:tags"]

    def location(self, item: str) -> str:
        return reverse(item)


class BoardSitemap(Sitemap):
    changefreq = "hourly"
    priority = 0.8
    limit = URLS_PER_FILE

    def items(self):
        return Board.objects.select_related("last_post").order_by("pk")

    def lastmod(self, board: Board):
        return board.last_post.created_at if board.last_post else None

    def get_latest_lastmod(self):
        return _newest_post_time()


class ThreadSitemap(Sitemap):
    changefreq = "daily"
    priority = 0.6
    limit = URLS_PER_FILE

    def items(self):
        return Thread.objects.live().order_by("pk").only("pk", "last_post_at")

    def lastmod(self, thread: Thread):
        return thread.last_post_at

    def get_latest_lastmod(self):
        return _newest_post_time()


class TagSitemap(Sitemap):
    changefreq = "daily"
    priority = 0.4
    limit = URLS_PER_FILE

    def items(self):
        return Tag.objects.filter(thread_count__gt=0).order_by("pk").only("pk", "slug")

    def location(self, tag: Tag) -> str:
        return reverse("forum:tag", args=[tag.slug])


SITEMAPS = {
    "pages": PagesSitemap,
    "boards": BoardSitemap,
    "threads": ThreadSitemap,
    "tags": TagSitemap,
}
