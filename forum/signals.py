"""Cache invalidation for the board navigation and site settings (not counters)."""

from django.core.cache import cache
from django.db.models.signals import m2m_changed, post_delete, post_save
from django.dispatch import receiver

from .models import Board, Category, SiteSettings

NAV_CACHE_KEY = "forum:nav:v1"
SITE_CACHE_KEY = "forum:site:v2"


@receiver([post_save, post_delete], sender=Board)
@receiver([post_save, post_delete], sender=Category)
def forget_nav(sender, **kwargs):
    cache.delete(NAV_CACHE_KEY)


@receiver(m2m_changed, sender=Board.moderators.through)
def forget_nav_moderators(sender, **kwargs):
    cache.delete(NAV_CACHE_KEY)


@receiver([post_save, post_delete], sender=SiteSettings)
def forget_site(sender, **kwargs):
    cache.delete(SITE_CACHE_KEY)
