from django.contrib import admin
from django.urls import include, path

from .feeds import BoardThreadsFeed, LatestThreadsFeed
from .moderation.urls import patterns as moderation_patterns
from .search import views as search
from .views import attachments, boards, crawlers, errors, language, posting, tags, threads

forum_patterns = [
    path("", boards.index, name="index"),
    path("b/<slug:slug>/", boards.board, name="board"),
    path("b/<slug:slug>/new/", posting.new_thread, name="new_thread"),
    path("t/<int:thread_id>/", threads.thread, name="thread"),
    path("t/<int:thread_id>/reply/", posting.reply, name="reply"),
    path("t/<int:thread_id>/print/", threads.thread_print, name="print"),
    path("t/<int:thread_id>/prev/", threads.thread_neighbour, {"direction": "prev"}, name="prev"),
    path("t/<int:thread_id>/next/", threads.thread_neighbour, {"direction": "next"}, name="next"),
    path("p/<int:post_id>/", threads.post_jump, name="post"),
    path("p/<int:post_id>/edit/", posting.edit_post, name="edit"),
    path("p/<int:post_id>/quote/", posting.quote_post, name="quote"),
    path("a/<int:attachment_id>/", attachments.serve, name="attachment"),
    path("a/upload/", attachments.upload, name="attachment_upload"),
    # Finding things (issue 7): search, tags, feeds, crawlers.
    path("search/", search.search, name="search"),
    path("tags/", tags.tag_cloud, name="tags"),
    path("tags/<str:slug>/", tags.tag, name="tag"),
    path("feed.xml", LatestThreadsFeed(), name="feed"),
    path("b/<slug:slug>/feed.xml", BoardThreadsFeed(), name="board_feed"),
    path("sitemap.xml", crawlers.sitemap_index, name="sitemap"),
    path("sitemap-<slug:section>.xml", crawlers.sitemap_section, name="sitemap_section"),
    path("robots.txt", crawlers.robots_txt, name="robots"),
    # Guests switch language by a link (no CSRF token on cacheable pages).
    path("language/<str:code>/", language.switch, name="language"),
    # Moderation (issue 5): thread toolbar, per-floor actions, reports.
    *moderation_patterns,
]

urlpatterns = [
    path("", include((forum_patterns, "forum"))),
    path("", include("accounts.urls")),  # /u/…, /rank/, /notifications/, /feed/ (issue 4)
    path("accounts/", include("allauth.urls")),
    path("", include("discuz.urls")),  # old Discuz! addresses -> 301 (issue 10)
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("healthz", errors.healthz, name="healthz"),
]

handler400 = "forum.views.errors.bad_request"
handler403 = "forum.views.errors.permission_denied"
handler404 = "forum.views.errors.page_not_found"
handler500 = "forum.views.errors.server_error"
handler429 = "forum.moderation.views.too_many_requests"  # allauth's rate limits
