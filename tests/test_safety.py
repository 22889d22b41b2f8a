"""Response headers and page structure that the Content-Security-Policy depends on."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import make_reply, make_thread, make_user, opening_post

pytestmark = pytest.mark.django_db


class ScriptAudit(HTMLParser):
    """Collects what a strict CSP would block: inline scripts, handlers, inline styles."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_script = False
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script":
            self._in_script = True
            if not attrs.get("src"):
                self.problems.append("<script> without src")
        if tag == "style":
            self._in_style = True
            self.problems.append("<style> element")
        for name, value in attrs.items():
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…>")
            if name == "style":
                self.problems.append(f"<{tag} style=…>")
            if name in {"href", "src", "action", "formaction"} and (value or "").strip(
            ).lower().startswith("javascript:"):
                self.problems.append(f"<{tag} {name}=javascript:…>")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.problems.append(f"inline script body: {data.strip()[:40]!r}")


def audit(html: str) -> list[str]:
    parser = ScriptAudit()
    parser.feed(html)
    parser.close()
    return parser.problems


def csp_directives(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy", "")
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0]] = words[1:]
    return directives


@pytest.fixture
def pages(board, thread, author):
    """Every kind of HTML page a visitor can reach, as (client, path)."""
    reply = make_reply(thread=thread, body="[hide]隐藏[/hide] 公开 https://example.com")
    guest = Client()
    member = Client()
    member.force_login(author)
    return [
        (guest, "/"),
        (guest, board.get_absolute_url()),
        (guest, thread.get_absolute_url()),
        (guest, thread.get_absolute_url() + "?order=desc"),
        (guest, reverse("forum:print", args=[thread.pk])),
        (guest, reverse("account_login")),
        (guest, reverse("account_signup")),
        (guest, "/t/999999/"),
        (member, "/"),
        (member, thread.get_absolute_url()),
        (member, reverse("forum:new_thread", args=[board.slug])),
        (member, reverse("forum:quote", args=[reply.pk])),
        (member, reverse("forum:edit", args=[opening_post(thread).pk])),
        (member, reverse("forum:edit", args=[opening_post(make_thread(board=board)).pk])),  # 403
    ]


def test_every_html_response_has_a_strict_csp(pages):
    for client, path in pages:
        response = client.get(path)
        csp = csp_directives(response)
        assert csp.get("script-src") == ["'self'"], path
        assert "'unsafe-inline'" not in response["Content-Security-Policy"], path
        assert "'unsafe-eval'" not in response["Content-Security-Policy"], path
        assert csp.get("object-src") == ["'none'"], path
        assert csp.get("base-uri") == ["'none'"], path
        assert csp.get("frame-ancestors") == ["'none'"], path


def test_every_html_response_has_nosniff(pages):
    for client, path in pages:
        assert client.get(path)["X-Content-Type-Options"] == "nosniff", path


def test_pages_refuse_to_be_framed(pages):
    for client, path in pages:
        assert client.get(path)["X-Frame-Options"] == "DENY", path


def test_pages_have_no_inline_scripts_handlers_or_styles(pages):
    for client, path in pages:
        response = client.get(path)
        assert response["Content-Type"].startswith("text/html"), path
        assert audit(response.content.decode()) == [], path


def test_pages_do_load_their_scripts_from_files(client, thread):
    html = client.get(thread.get_absolute_url()).content.decode()
    assert '<script src="/static/js/' in html


def test_csrf_failure_page_has_csp_and_no_inline_script(member):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    response = client.post(reverse("forum:index"), {"body": "x"})
    assert response.status_code == 403
    assert csp_directives(response).get("script-src") == ["'self'"]
    assert audit(response.content.decode()) == []


def test_user_content_cannot_add_scripts_to_the_page(client, board, author):
    thread = make_thread(board=board, author=author, title="<script>alert(1)</script>",
                         body='<script>alert(2)</script> <img src=x onerror=alert(3)> '
                              '[x](javascript:alert(4))')
    for path in [thread.get_absolute_url(), board.get_absolute_url(), "/",
                 reverse("forum:print", args=[thread.pk])]:
        assert audit(client.get(path).content.decode()) == [], path


def test_session_cookie_is_http_only(client, db):
    make_user("cookie", password="correct horse battery staple")
    response = client.post(reverse("account_login"), {
        "login": "cookie", "password": "correct horse battery staple"})
    assert response.status_code == 302
    assert response.cookies["sessionid"]["httponly"]


def test_allowed_hosts_is_never_a_wildcard(settings):
    assert "*" not in settings.ALLOWED_HOSTS


def test_healthz_answers_ok(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok"
