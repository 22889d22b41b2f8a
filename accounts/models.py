"""Member profiles: the forum's side of a user, with its denormalised counters."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Profile(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile",
        verbose_name=_("user"),
    )
    avatar = models.ImageField(_("avatar"), upload_to="avatars/", blank=True)
    bio = models.TextField(_("bio"), blank=True, max_length=500)
    signature = models.TextField(_("signature"), blank=True, max_length=500)
    credits = models.IntegerField(_("credits"), default=0)
    post_count = models.PositiveIntegerField(_("posts"), default=0, editable=False)
    thread_count = models.PositiveIntegerField(_("threads"), default=0, editable=False)
    follower_count = models.PositiveIntegerField(_("followers"), default=0, editable=False)
    following_count = models.PositiveIntegerField(_("following"), default=0, editable=False)

    class Meta:
        verbose_name = _("profile")
        verbose_name_plural = _("profiles")

    def __str__(self) -> str:
        return str(self.user)

    @property
    def initial(self) -> str:
        name = self.user.get_username()
        return name[:1].upper() if name else "?"
