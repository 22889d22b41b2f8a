"""The post admin's "posts by IP" page: a member's addresses, or an address's members.

Author IPs are shown to moderators only (here and on the thread page); a board
moderator sees only the posts of their own boards, through the post admin's scoped
queryset.
"""

from __future__ import annotations

import ipaddress

from django.contrib.auth import get_user_model
from django.db.models import Count, Max, Min
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext as _


class PostsByIPMixin:
    """For PostAdmin: /admin/forum/post/ips/?ip=… or ?user=<id or name>."""

    def get_urls(self):
        view = self.admin_site.admin_view(self.posts_by_ip_view)
        return [path("ips/", view, name="forum_post_ips"), *super().get_urls()]

    def posts_by_ip_view(self, request):
        if not self.has_view_permission(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        posts = self.get_queryset(request).order_by()
        ip_text = (request.GET.get("ip") or "").strip()
        who = (request.GET.get("user") or "").strip()
        member, rows, error = None, [], ""
        if ip_text:
            try:
                ip = str(ipaddress.ip_address(ip_text))
            except ValueError:
                error = _("“%(ip)s” is not an IP address.") % {"ip": ip_text}
            else:
                ip_text = ip
                rows = list(
                    posts.filter(author_ip=ip).values("author_id", "author__username")
                    .annotate(n=Count("id"), first=Min("created_at"), last=Max("created_at"))
                    .order_by("-n")[:200]
                )
        elif who:
            User = get_user_model()
            lookup = {"pk": int(who)} if who.isdigit() else {"username": who}
            member = User.objects.filter(**lookup).first()
            if member is None:
                error = _("There is no member “%(name)s”.") % {"name": who}
            else:
                rows = list(
                    posts.filter(author=member).exclude(author_ip__isnull=True)
                    .values("author_ip")
                    .annotate(n=Count("id"), first=Min("created_at"), last=Max("created_at"))
                    .order_by("-n")[:200]
                )
        opts = self.model._meta
        context = {
            **self.admin_site.each_context(request),
            "title": _("Posts by IP address"),
            "opts": opts,
            "app_label": opts.app_label,
            "ip": ip_text,
            "who": who,
            "member": member,
            "rows": rows,
            "error": error,
        }
        return TemplateResponse(request, "admin/forum/post/ips.html", context)
