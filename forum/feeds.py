"""Atom feeds of the newest threads, site-wide (/feed.xml) and per board (/b/<slug>/feed.xml).

Each entry carries the thread title and an excerpt of the opening post's public
plain text (`Post.text_public`): no hidden block, no jammer junk (the jammer works
on rendered HTML only), no markup. Deleted threads never appear.
"""

from __future__ import annotations

from django.contrib.syndication.views import Feed
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.translation import gettext as _

from .context_processors import site_settings
from .markup import excerpt
from .models import Board, Post, Thread

FEED_ITEMS = 30
SUMMARY_LENGTH = 500


class LatestThreadsFeed(Feed):
    feed_type = Atom1Feed

    def title(self, obj=None) -> str:
        return _("%(site)s: newest threads") % {"site": site_settings()["name"]}

    def subtitle(self, obj=None) -> str:
        return site_settings()["tagline"] or None

    def link(self, obj=None) -> str:
        return reverse("forum:index")

    def threads(self, obj):
        return Thread.objects.live()

    def items(self, obj=None) -> list[Thread]:
        threads = list(
            self.threads(obj).select_related("author", "board")
            .prefetch_related("tags").order_by("-id")[:FEED_ITEMS]
        )
        openings = {
            p.thread_id: p for p in Post.objects.filter(
                thread_id__in=[t.pk for t in threads], floor=1
            ).only("thread_id", "text_public", "edited_at", "is_deleted")
        }
        for t in threads:
            t.opening = openings.get(t.pk)
        return threads

    def item_title(self, item: Thread) -> str:
        return item.title

    def item_link(self, item: Thread) -> str:
        return item.get_absolute_url()

    def item_description(self, item: Thread) -> str:
        # Atom's <summary type="html">: plain public text, escaped.
        opening = item.opening
        if opening is None or opening.is_deleted:
            return ""
        return escape(excerpt(opening.text_public, SUMMARY_LENGTH))

    def item_author_name(self, item: Thread) -> str:
        return item.author.get_username()

    def item_pubdate(self, item: Thread):
        return item.created_at

    def item_updateddate(self, item: Thread):
        edited = item.opening.edited_at if item.opening else None
        return max(item.created_at, edited) if edited else item.created_at

    def item_categories(self, item: Thread) -> list[str]:
        return [item.board.name, *(tag.name for tag in item.tags.all())]


class BoardThreadsFeed(LatestThreadsFeed):
    def get_object(self, request, slug: str) -> Board:
        return get_object_or_404(Board, slug=slug)

    def title(self, obj: Board) -> str:
        return _("%(board)s - %(site)s: newest threads") % {
            "board": obj.name, "site": site_settings()["name"],
        }

    def subtitle(self, obj: Board) -> str:
        return obj.description or None

    def link(self, obj: Board) -> str:
        return obj.get_absolute_url()

    def threads(self, obj: Board):
        return Thread.objects.live().filter(board=obj)
