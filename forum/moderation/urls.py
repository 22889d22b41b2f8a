"""Moderation URLs, part of the forum namespace (forum/urls.py includes them)."""

from django.urls import path

from . import views

patterns = [
    path("t/<int:thread_id>/mod/<slug:action>/", views.thread_action, name="mod_thread"),
    path("p/<int:post_id>/mod/<slug:action>/", views.post_action, name="mod_post"),
    path("p/<int:post_id>/report/", views.report_post, name="report"),
]
