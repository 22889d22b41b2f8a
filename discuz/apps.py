from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DiscuzConfig(AppConfig):
    name = "discuz"
    verbose_name = _("Discuz! import")
    default_auto_field = "django.db.models.BigAutoField"
