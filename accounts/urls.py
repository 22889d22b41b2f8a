"""People pages: profiles, follows, leaderboards, notifications, the follow feed."""

from django.conf import settings
from django.conf.urls.static import static
from django.urls import path

from . import views, views_activity

app_name = "accounts"

urlpatterns = [
    path("u/<str:username>/", views.profile, name="profile"),
    path("u/<str:username>/replies/", views.profile, {"tab": "replies"}, name="profile_replies"),
    path("u/<str:username>/followers/", views.profile, {"tab": "followers"},
         name="followers"),
    path("u/<str:username>/following/", views.profile, {"tab": "following"},
         name="following"),
    path("u/<str:username>/credits/", views.profile, {"tab": "credits"},
         name="credit_history"),
    path("u/<str:username>/favorites/", views.profile, {"tab": "favorites"},
         name="favorites"),
    path("u/<str:username>/follow/", views.follow, name="follow"),
    path("favorites/<int:thread_id>/", views.favorite, name="favorite"),
    path("u/<str:username>/edit/", views.edit_profile, name="edit_profile"),
    path("rank/", views_activity.rank, name="rank"),
    path("notifications/", views_activity.notifications, name="notifications"),
    path("notifications/read/", views_activity.mark_read, name="notifications_read"),
    path("notifications/<int:pk>/", views_activity.notification_go, name="notification_go"),
    path("feed/", views_activity.feed, name="feed"),
]

# Uploaded avatars in development (`make run`); in production the web server or the
# storage backend serves MEDIA_URL. Files are re-encoded under random names, and the
# Content-Type follows their extension, which is the format we wrote.
urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
