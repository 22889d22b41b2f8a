"""The Jinja2 pages translate and reverse URLs through helpers bound to the request
(language, URLconf, script prefix) once per render (forum.jinja_env.bound_helpers): the
same output as the per-call globals, and two members reading in two languages in one
process each get their own."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.utils import translation

from forum import jinja_env

pytestmark = pytest.mark.django_db


def bound_gettext(language: str):
    request = RequestFactory().get("/")
    request.LANGUAGE_CODE = language
    return jinja_env.bound_helpers(request)["_"]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_bound_gettext_equals_django(language):
    _ = bound_gettext(language)
    with translation.override(language):
        for message in ["Reply", "Quote", "Edit", "Sticky", "Log in"]:
            assert _(message) == translation.gettext(message)
    assert _("%(n)s <b>", n="<i>") == "&lt;i&gt; <b>"  # variables escaped, text trusted


def test_languages_do_not_bleed_into_each_other(client_for, member, thread):
    zh, en = client_for(member), client_for(member)
    en.post("/i18n/setlang/", {"language": "en", "next": "/"})
    for _ in range(2):  # interleaved, so a memo keyed wrongly would show
        assert "回复" in zh.get(thread.get_absolute_url()).content.decode()
        page = en.get(thread.get_absolute_url()).content.decode()
        assert 'lang="en"' in page and "Reply" in page and "发表于" not in page


def test_the_pages_use_the_bound_gettext(client_for, member, thread, monkeypatch, settings):
    settings.FORUM_PAGE_CACHE = False  # the page rendered whole (a shell's top bar is apart)
    calls = []
    real = jinja_env.bound_helpers

    def counting(request):
        context = real(request)
        inner = context["_"]

        def spy(message, **variables):
            calls.append(message)
            return inner(message, **variables)

        return {**context, "_": spy, "gettext": spy}

    from django.template import engines

    engine = engines["jinja2"]
    monkeypatch.setattr(engine, "template_context_processors", [
        counting if getattr(p, "__name__", "") == "bound_helpers" else p
        for p in engine.template_context_processors])
    client_for(member).get(thread.get_absolute_url())
    assert "Reply" in calls and len(calls) > 50  # {{ _() }} and {% trans %} both


def test_bound_url_equals_reverse_and_follows_the_script_prefix(thread):
    from django.urls import reverse, set_script_prefix

    request = RequestFactory().get("/")
    assert jinja_env.bound_helpers(request)["url"]("forum:thread", thread.pk) == reverse(
        "forum:thread", args=[thread.pk])
    try:
        set_script_prefix("/forum/")
        prefixed = jinja_env.bound_helpers(request)["url"]("forum:thread", thread.pk)
        assert prefixed == f"/forum/t/{thread.pk}/"
    finally:
        set_script_prefix("/")
    assert jinja_env.bound_helpers(request)["url"]("forum:thread", thread.pk) == (
        f"/t/{thread.pk}/")
