"""The notice shown in place of a hidden block the viewer may not read."""

from __future__ import annotations

from django.template.loader import render_to_string

from .markup import HideRule


def notice_html(rule: HideRule, user, access) -> str:
    return render_to_string("forum/includes/hidden_notice.html", {
        "rule": rule, "user": user, "credits": access.credits,
        "next_url": access.thread.get_absolute_url(),
    })
