"""Moderation and abuse resistance.

- `models`: ModerationLog, Report/ReportEntry, Ban, PendingPost, ThreadRedirect and the
  recycle-bin proxies (all in the forum app, imported by forum/models.py);
- `services`: thread and post operations (stick, digest, highlight, close, move,
  merge, split, delete, restore), each writing a ModerationLog row and notifying;
- `bans`, `reports`, `approval`: the other writes, as services;
- `staff`: how board moderators get into the Django admin (the 版主 group);
- `ratelimit`, `gate`: limits and guards at the request boundary (never in services);
- `notify`: the one call into the accounts app's notifications;
- `views`, `forms`, `toolbar`, `admin`: the thread-page toolbar, the report form and
  the admin console pieces.
"""
