"""Old Discuz! addresses answer with a 301 to the same thread, floor, board or member.

Search engines and old posts keep linking to `forum.php?mod=viewthread&tid=N`,
`thread-N-P-1.html` and friends; each form is parsed strictly here (ASCII digits, at
most 18 of them, so a huge or odd number is a 404, never a database error) and
`discuz.old_links` finds the new address. Anything not imported is our normal 404.
"""

from __future__ import annotations

import re

from django.http import Http404, HttpResponsePermanentRedirect
from django.urls import reverse
from django.views.decorators.http import require_safe

from . import old_links

_ID_RE = re.compile(r"[0-9]{1,18}")
_PAGE_RE = re.compile(r"[0-9]{1,9}")
# archiver/?tid-12.html&page=2 (the query string is the address, not key=value pairs)
_ARCHIVER_RE = re.compile(r"(tid|fid)-([0-9]{1,18})\.html(?:&page=([0-9]{1,9}))?")


def _id(raw) -> int:
    if not isinstance(raw, str) or not _ID_RE.fullmatch(raw) or int(raw) == 0:
        raise Http404
    return int(raw)


def _page(raw) -> int:
    """Discuz reads a bad page number as page 1; so do we."""
    if isinstance(raw, str) and _PAGE_RE.fullmatch(raw):
        return max(int(raw), 1)
    return 1


def _moved(url: str | None) -> HttpResponsePermanentRedirect:
    if url is None:
        raise Http404
    return HttpResponsePermanentRedirect(url)


@require_safe
def forum_php(request):
    """forum.php?mod=viewthread|redirect|forumdisplay|index…"""
    params = request.GET
    mod = params.get("mod", "index")
    if mod == "viewthread":
        return _moved(old_links.thread_url(_id(params.get("tid")), _page(params.get("page"))))
    if mod == "redirect":
        goto = params.get("goto")
        if goto == "findpost":
            url = old_links.post_url_for(_id(params.get("pid")))
            if url is None and params.get("ptid"):  # the post is gone; its thread may not be
                url = old_links.thread_url(_id(params.get("ptid")))
            return _moved(url)
        if goto == "lastpost":
            return _moved(old_links.last_post_url(_id(params.get("tid"))))
        return _moved(old_links.thread_url(_id(params.get("tid"))))
    if mod == "forumdisplay":
        return _moved(old_links.board_url(_id(params.get("fid")), _page(params.get("page"))))
    if mod in ("index", "forum", "guide"):
        return _moved(reverse("forum:index"))
    raise Http404


@require_safe
def thread_html(request, tid: str, page: str, _extra: str = "1"):
    """thread-N-P-E.html (E is the board page the visitor came from: ignored)."""
    return _moved(old_links.thread_url(_id(tid), _page(page)))


@require_safe
def forum_html(request, fid: str, page: str):
    """forum-F-P.html"""
    return _moved(old_links.board_url(_id(fid), _page(page)))


@require_safe
def home_php(request):
    """home.php?mod=space&uid=U (&do=profile, …)"""
    if request.GET.get("mod") != "space":
        raise Http404
    return _moved(old_links.member_url(_id(request.GET.get("uid"))))


@require_safe
def space_html(request, uid: str):
    """space-uid-U.html"""
    return _moved(old_links.member_url(_id(uid)))


@require_safe
def archiver(request):
    """archiver/, archiver/?tid-N.html(&page=P), archiver/?fid-F.html(&page=P)"""
    query = request.META.get("QUERY_STRING", "")
    if not query:
        return _moved(reverse("forum:index"))
    match = _ARCHIVER_RE.fullmatch(query)
    if match is None:
        raise Http404
    kind, raw_id, raw_page = match.groups()
    if kind == "tid":
        return _moved(old_links.thread_url(_id(raw_id), _page(raw_page)))
    return _moved(old_links.board_url(_id(raw_id), _page(raw_page)))
