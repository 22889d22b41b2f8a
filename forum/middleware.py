"""Language: Chinese unless the visitor chose otherwise with the switcher.

Django's LocaleMiddleware would follow the browser's Accept-Language; this forum
speaks Chinese first, so only the language cookie set by the switcher counts.
"""

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers

_SUPPORTED = {code for code, _name in settings.LANGUAGES}


class LanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")
        language = chosen if chosen in _SUPPORTED else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response
