"""The language switch for guests: a plain link, so guest pages carry no CSRF token.

Django's set_language wants a POST with a CSRF token, and a token on a page makes
Django set the CSRF cookie, which makes the page uncacheable (and a token cached
for every guest would hand one guest's CSRF secret to all). Choosing a language
only sets a preference cookie, so a GET is safe: a forged link can at worst switch
someone's language. Members keep the POST form.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

_SUPPORTED = {code for code, _name in settings.LANGUAGES}


def switch(request, code: str):
    if code not in _SUPPORTED:
        raise Http404
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("forum:index")
    response = HttpResponseRedirect(target)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME, code,
        max_age=settings.LANGUAGE_COOKIE_AGE, path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN, secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY, samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    # The redirect depends on ?next=: no shared cache may keep it.
    response["Cache-Control"] = "no-store"
    return response
