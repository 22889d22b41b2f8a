"""Template helpers of the people pages (load with {% load people_tags %})."""

from django import template
from django.utils.translation import gettext

register = template.Library()


@register.filter
def level_name(name: str) -> str:
    """A level's stored name, translated when it is one of the default names."""
    return gettext(name) if name else ""


@register.filter
def signed(value: int) -> str:
    """+3 / -2 / 0, for the credit history."""
    try:
        value = int(value)
    except (TypeError, ValueError):
        return ""
    return f"{value:+d}" if value else "0"
