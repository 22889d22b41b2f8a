from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ForumConfig(AppConfig):
    name = "forum"
    verbose_name = _("Forum")

    def ready(self) -> None:
        from . import signals  # noqa: F401
        from .moderation import signals as moderation_signals  # noqa: F401
        from .search import signals as search_signals  # noqa: F401
