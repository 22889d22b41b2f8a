"""Every user has a profile, however the user was made (sign-up, admin, shell);
logging in counts as a visit; cached rule, level and sidebar data is forgotten
when the staff change it. (No counters here: the services keep those.)"""

from allauth.account.signals import user_logged_in
from django.conf import settings
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from forum import page_cache

from . import credits, levels, sidebar
from .models import CreditRule, FeaturedAuthor, Level, Profile


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def create_profile(sender, instance, created, raw=False, **kwargs):
    if created and not raw:
        Profile.objects.get_or_create(user=instance,
                                      defaults={"level_id": levels.level_id_for(0)})
        page_cache.bump_index()  # the index counts members and names the newest


@receiver(user_logged_in)
def count_login_as_visit(sender, request, user, **kwargs):
    """A login through the site (allauth's signal: not the test client's force_login)
    is a visit, and the first one of a day earns the daily-login credit."""
    from . import services
    from .middleware import remember_visit

    services.record_visit(user=user, daily=True)
    if request is not None:
        remember_visit(request, user)


@receiver([post_save, post_delete], sender=CreditRule)
def forget_credit_rules(sender, **kwargs):
    credits.forget_rules()
    page_cache.bump_site()  # board pages list their credit rules


@receiver([post_save, post_delete], sender=Level)
def forget_levels(sender, **kwargs):
    levels.forget()
    page_cache.bump_site()  # level names and stars are on author cards


@receiver([post_save, post_delete], sender=FeaturedAuthor)
def forget_sidebar(sender, **kwargs):
    sidebar.forget()
    page_cache.bump_site()  # 作者专栏 on thread pages
