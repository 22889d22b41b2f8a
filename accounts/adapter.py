"""allauth customisation: keep redirects on this site and greet in the site's name."""

from allauth.account.adapter import DefaultAccountAdapter
from django.utils.http import url_has_allowed_host_and_scheme


class AccountAdapter(DefaultAccountAdapter):
    def is_safe_url(self, url):
        # Stricter than the host check alone: relative paths only, so
        # //evil.example, /\evil.example and https:evil.example never pass.
        if not url or not url.startswith("/") or url.startswith(("//", "/\\")):
            return False
        return url_has_allowed_host_and_scheme(url, allowed_hosts=None)
