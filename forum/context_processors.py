"""What every page's chrome needs: site settings and the left board navigation.

Both are cached (and forgotten by forum.signals on change) so the chrome costs no
query on a warm cache.
"""


from . import request_cache
from .models import Board, Category, SiteSettings
from .signals import NAV_CACHE_KEY, SITE_CACHE_KEY


def _nav():
    nav = request_cache.get(NAV_CACHE_KEY)
    if nav is None:
        boards = list(Board.objects.filter(parent__isnull=True).values(
            "category_id", "name", "slug"))
        nav = [
            {"name": c.name, "boards": [b for b in boards if b["category_id"] == c.pk]}
            for c in Category.objects.all()
        ]
        request_cache.set(NAV_CACHE_KEY, nav, 600)
    return nav


def site_settings() -> dict:
    site = request_cache.get(SITE_CACHE_KEY)
    if site is None:
        s = SiteSettings.load()
        site = {
            "name": s.name, "tagline": s.tagline, "footer_text": s.footer_text,
            "contact_email": s.contact_email, "record_number": s.record_number,
            "hide_open_after_days": s.hide_open_after_days,
        }
        request_cache.set(SITE_CACHE_KEY, site, 600)
    return site


def site(request):
    return {"forum_site": site_settings(), "nav_categories": _nav()}
