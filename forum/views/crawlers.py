"""robots.txt and the sitemap views (django.contrib.sitemaps, paginated)."""

from __future__ import annotations

from django.contrib.sitemaps import views as sitemap_views
from django.shortcuts import render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from ..sitemaps import SITEMAPS


@require_safe
@cache_control(public=True, max_age=3600)
def robots_txt(request):
    return render(request, "robots.txt", content_type="text/plain; charset=utf-8")


@cache_control(public=True, max_age=3600)
def sitemap_index(request):
    return sitemap_views.index(request, SITEMAPS, sitemap_url_name="forum:sitemap_section")


@cache_control(public=True, max_age=3600)
def sitemap_section(request, section: str):
    return sitemap_views.sitemap(request, SITEMAPS, section=section)
