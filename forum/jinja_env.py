"""The Jinja2 environment of the hot pages (index, board, thread).

Those pages render through Django's own `django.template.backends.jinja2` backend
because the Django template language spent most of their time (docs/performance.md):
Jinja2 compiles a template to Python once, so a 20-floor page costs a fraction.
Everything else stays on Django templates.

What the Django templates had, the environment gives the same way: autoescaping
(on by the backend), Django's gettext through jinja2.ext.i18n (the same msgids,
so locale/ translates both), `csrf_input` and `request` from the backend, the
context processors from settings.TEMPLATES, and the forum's filters.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.staticfiles.storage import staticfiles_storage
from django.template.backends.utils import csrf_input
from django.template.defaultfilters import urlencode
from django.template.loader import render_to_string
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils import timezone, translation
from django.utils.functional import SimpleLazyObject
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from jinja2 import Environment, pass_context
from markupsafe import Markup

from accounts.templatetags.people_tags import level_name
from forum.templatetags.forum_tags import fdate, ftime, pagination_window

# --- memoised lookups -------------------------------------------------------------------
# A thread page asks for ~300 translations and ~90 URLs; through Django each costs a
# thread-local lookup and more. Both answers depend only on their inputs (and the
# language, the URLconf), so they are kept: bounded, per process, never stale.

_MEMO_MAX = 5_000  # ~1 MB per process at most: a crawler cannot grow it
_translations: dict[tuple[str, str], Markup] = {}
_urls: dict[tuple, str] = {}


def _remember(memo: dict, key, value):
    if len(memo) >= _MEMO_MAX:
        memo.clear()
    memo[key] = value
    return value


def _language(context) -> str:
    request = context.get("request")
    return getattr(request, "LANGUAGE_CODE", None) or translation.get_language()


@pass_context
def gettext(context, message: str, **variables) -> Markup:
    """`_()` and {% trans %}: Django's translation, trusted as markup, with the
    variables escaped into it (jinja2.ext.i18n's newstyle semantics, minus a layer)."""
    translated = _translations.get((language := _language(context), message))
    if translated is None:
        translated = _translate(language, message)
    return translated % variables if variables else translated


def _translate(language: str, message: str) -> Markup:
    with translation.override(language):
        return _remember(_translations, (language, message),
                         Markup(translation.gettext(message)))  # noqa: S704 - our catalogue


def _reverse(key: tuple) -> str:
    name, *args = key[2:]
    return _remember(_urls, key, reverse(name, args=args or None))


def bound_helpers(request) -> dict:
    """Context processor of the Jinja2 pages: `_`/`gettext` bound to the request's
    language and `url` bound to its URLconf and script prefix, once per render. The
    globals look those up on every call (a thread page makes ~300 translations and
    ~130 URLs; ~3.5 us a URL); a context variable shadows the global of its name, so
    {{ _() }}, {% trans %} and {{ url() }} take these (same memos, same output)."""
    language = getattr(request, "LANGUAGE_CODE", None) or translation.get_language()
    translations, urls = _translations, _urls
    urlconf, prefix = get_urlconf(), get_script_prefix()

    def bound_gettext(message: str, **variables) -> Markup:
        translated = translations.get((language, message)) or _translate(language, message)
        return translated % variables if variables else translated

    def bound_url(name: str, *args) -> str:
        key = (urlconf, prefix, name, *args)
        return urls.get(key) or _reverse(key)

    return {"_": bound_gettext, "gettext": bound_gettext, "url": bound_url,
            # The backend's csrf_input is made anew at every use; this one once, when used.
            "csrf_input": SimpleLazyObject(lambda: csrf_field(request))}


_plurals: dict[tuple, Markup] = {}


@pass_context
def ngettext(context, singular: str, plural: str, num: int, **variables) -> Markup:
    key = (_language(context), singular, plural, num)
    translated = _plurals.get(key)
    if translated is None:
        with translation.override(key[0]):
            translated = _remember(_plurals, key,
                                   Markup(translation.ngettext(singular, plural, num)))  # noqa: S704
    return translated % {"num": num, **variables}


def url(name: str, *args) -> str:
    key = (get_urlconf(), get_script_prefix(), name, *args)
    return _urls.get(key) or _reverse(key)


_statics: dict[str, str] = {}


def static(path: str) -> str:
    # The manifest maps a name to one hashed URL for the life of the process.
    return _statics.get(path) or _remember(_statics, path, staticfiles_storage.url(path))


# How a form's CSRF token shows in a page: what a page shared between members must not
# hold outside its slots (forum/member_pages.py, forum/shared_pages.py).
CSRF_FIELD_NAME = 'name="csrfmiddlewaretoken"'


def csrf_field(request) -> str:
    """The CSRF hidden input, made once per request (each making masks the token anew;
    a page holds several forms)."""
    field = getattr(request, "_forum_csrf_field", None)
    if field is None:
        field = request._forum_csrf_field = csrf_input(request)
    return field


def truncatechars(value, length: int) -> str:
    return Truncator(value).chars(length)


def iso(value) -> str:
    """Django's |date:'c': ISO 8601 in the current time zone."""
    if not value:
        return ""
    return timezone.localtime(value).isoformat()


def querystring(request, **changes) -> str:
    """Django's {% querystring %}: the request's parameters with some changed."""
    params = request.GET.copy()
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = value
    if not params and not request.GET:
        return ""
    return "?" + params.urlencode()


def include_dtl(name: str, context: dict, request=None) -> str:
    """Render a Django template inside a Jinja2 page (moderator-only parts that are
    not on the hot path keep their single Django template)."""
    return mark_safe(render_to_string(name, context, request=request))  # noqa: S308


def available_languages() -> list[tuple[str, str]]:
    """{% get_available_languages %}: the names translated into the current language."""
    return [(code, translation.gettext(name)) for code, name in settings.LANGUAGES]


def this_year() -> int:
    return timezone.localdate().year


def environment(**options) -> Environment:
    options.setdefault("extensions", []).append("jinja2.ext.i18n")
    options.pop("autoescape", None)  # never off for these pages (the backend's default too)
    env = Environment(autoescape=True, **options)
    # What install_gettext_callables(newstyle=True) sets up, without its wrappers.
    env.newstyle_gettext = True
    env.globals.update({"gettext": gettext, "_": gettext, "ngettext": ngettext})
    env.globals.update({
        "url": url, "static": static, "querystring": querystring, "this_year": this_year,
        "include_dtl": include_dtl, "pagination_window": pagination_window,
        "get_language": translation.get_language, "available_languages": available_languages,
    })
    env.filters.update({
        "ftime": ftime, "fdate": fdate, "iso": iso, "truncatechars": truncatechars,
        "urlencode": urlencode, "level_name": level_name,
    })
    return env
