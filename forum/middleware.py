"""Language: Chinese unless the visitor chose otherwise with the switcher.

Django's LocaleMiddleware would follow the browser's Accept-Language; this forum
speaks Chinese first, so only the language cookie set by the switcher counts.
"""

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_cache_control, patch_vary_headers

_SUPPORTED = {code for code, _name in settings.LANGUAGES}


def language_for(request) -> str:
    """The visitor's language: the switcher's cookie if it names one we speak."""
    chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
    return chosen if chosen in _SUPPORTED else settings.LANGUAGE_CODE


class LanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = language_for(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response


class PrivateForMembersMiddleware:
    """A page rendered for a signed-in member may hold what only they may read
    (hidden blocks after a reply): no shared cache may keep it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            patch_cache_control(response, private=True)
        return response
