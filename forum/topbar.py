"""The signed-in part of the top bar as a slot of a page kept for many members.

A member's thread, board or index page may come from a rendering shared with other
members (forum/member_pages.py, forum/shared_pages.py). Of the page's chrome only the
top bar is each member's own: their name, unread notifications, the staff link and the
forms' CSRF tokens. Such pages are rendered with `SLOT` in its place (base.html's
`topbar_slot`) and `render()` fills it per request with the same include base.html
renders otherwise.
"""

from __future__ import annotations

from django.template import engines
from markupsafe import Markup

from .jinja_env import bound_helpers

TEMPLATE = "includes/topbar_user.html"
SLOT = "\x00topbar\x00"


def context() -> dict:
    """What base.html needs to leave the slot in place of the top bar."""
    return {"topbar_slot": Markup(SLOT)}  # noqa: S704 - a constant marker


def render(request) -> str:
    """The top bar for this request's member."""
    # The pages' own helpers (`_`, `url`, this request's CSRF field), not the other
    # context processors: the top bar reads nothing else.
    return engines["jinja2"].env.get_template(TEMPLATE).render({
        **bound_helpers(request), "user": request.user, "request": request})
