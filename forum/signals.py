"""Cache invalidation for the board navigation, site settings and guest pages
(not counters)."""

from django.contrib.admin.models import LogEntry
from django.core.cache import cache
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from . import page_cache
from .models import Board, Category, SiteSettings

NAV_CACHE_KEY = "forum:nav:v1"
SITE_CACHE_KEY = "forum:site:v2"


@receiver([post_save, post_delete], sender=Board)
@receiver([post_save, post_delete], sender=Category)
def forget_nav(sender, **kwargs):
    cache.delete(NAV_CACHE_KEY)
    page_cache.bump_site()  # every page's navigation, names and places


@receiver(m2m_changed, sender=Board.moderators.through)
def forget_nav_moderators(sender, **kwargs):
    cache.delete(NAV_CACHE_KEY)


@receiver([post_save, post_delete], sender=SiteSettings)
def forget_site(sender, **kwargs):
    cache.delete(SITE_CACHE_KEY)
    page_cache.bump_site()


@receiver(post_save, sender=LogEntry)
def admin_saved_something(sender, created, raw=False, **kwargs):
    """Every change, addition and deletion through the admin's forms is logged: one
    hook for all of them (a title, a profile, a level, a board). Admin actions go
    through the services, which bump what they change themselves."""
    if created and not raw:
        page_cache.bump_site()
