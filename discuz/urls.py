"""Discuz! X addresses, at the site root where Discuz served them (see legacy_views)."""

from django.urls import re_path

from . import legacy_views

app_name = "discuz"

urlpatterns = [
    re_path(r"^forum\.php$", legacy_views.forum_php, name="forum_php"),
    re_path(r"^thread-(?P<tid>[0-9]+)-(?P<page>[0-9]+)-(?P<_extra>[0-9]+)\.html$",
            legacy_views.thread_html, name="thread_html"),
    re_path(r"^forum-(?P<fid>[0-9]+)-(?P<page>[0-9]+)\.html$", legacy_views.forum_html,
            name="forum_html"),
    re_path(r"^home\.php$", legacy_views.home_php, name="home_php"),
    re_path(r"^space-uid-(?P<uid>[0-9]+)\.html$", legacy_views.space_html, name="space_html"),
    re_path(r"^archiver/$", legacy_views.archiver, name="archiver"),
]
