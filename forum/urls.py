from django.contrib import admin
from django.urls import include, path

from .views import attachments, boards, errors, posting, threads

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
]

urlpatterns = [
    path("", include((forum_patterns, "forum"))),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("healthz", errors.healthz, name="healthz"),
]

handler400 = "forum.views.errors.bad_request"
handler403 = "forum.views.errors.permission_denied"
handler404 = "forum.views.errors.page_not_found"
handler500 = "forum.views.errors.server_error"
