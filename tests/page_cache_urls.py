"""Marked test views that misbehave, for tests/test_page_cache.py: none may be stored."""

from django.http import HttpResponse, HttpResponseRedirect
from django.middleware.csrf import get_token
from django.urls import path
from django.utils.cache import patch_cache_control, patch_vary_headers

from forum.page_cache import guest_page


@guest_page("index")
def plain(request):
    return HttpResponse("plain")


@guest_page("index")
def sets_cookie(request):
    response = HttpResponse("cookie")
    response.set_cookie("tracking", "1")
    return response


@guest_page("index")
def csrf_token(request):
    return HttpResponse(f"token {get_token(request)}")


@guest_page("index")
def not_found(request):
    return HttpResponse("gone", status=404)


@guest_page("index")
def varies(request):
    response = HttpResponse("by browser")
    patch_vary_headers(response, ("Accept-Language",))
    return response


@guest_page("index")
def private(request):
    response = HttpResponse("mine")
    patch_cache_control(response, private=True)
    return response


@guest_page("index")
def redirect(request):
    return HttpResponseRedirect("/plain/")


urlpatterns = [
    path("plain/", plain),
    path("sets-cookie/", sets_cookie),
    path("csrf-token/", csrf_token),
    path("not-found/", not_found),
    path("varies/", varies),
    path("private/", private),
    path("redirect/", redirect),
]


SEEN_PINNED = []


@guest_page("index")
def records_pinning(request):
    from forum import db_router

    SEEN_PINNED.append(db_router._pinned.get())
    return HttpResponse("pinned?")


urlpatterns.append(path("pinning/", records_pinning))
