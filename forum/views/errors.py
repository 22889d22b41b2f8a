"""Error pages and the liveness probe."""

from __future__ import annotations

from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _


def csrf_failure(request, reason=""):
    """An expired form keeps the user's text: show it again with a fresh token."""
    fields = {k: request.POST.get(k, "") for k in ("title", "body", "tags", "token")}
    return render(request, "errors/csrf.html", {
        "action": request.path, "fields": fields,
        "has_text": any(fields.values()),
    }, status=403)


def page_not_found(request, exception=None):
    return render(request, "errors/404.html", {"message": _page_message(exception)}, status=404)


def permission_denied(request, exception=None):
    return render(request, "errors/403.html", {"message": _page_message(exception)}, status=403)


def bad_request(request, exception=None):
    return render(request, "errors/400.html", status=400)


def server_error(request):
    return render(request, "errors/500.html", status=500)


def _page_message(exception) -> str:
    # Messages raised by permissions are translated and meant for the reader;
    # Django's own resolver messages are not.
    if exception is None or not exception.args:
        return ""
    message = exception.args[0]
    if not isinstance(message, str) or message.startswith(("No ", "Resolver")):
        return ""
    return message


def healthz(request):
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 - any database failure means "not alive"
        return JsonResponse({"status": "error", "detail": _("database unavailable")}, status=503)
    return HttpResponse("ok", content_type="text/plain")
