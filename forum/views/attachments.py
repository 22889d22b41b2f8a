"""Uploading images for a post, and serving them through the post's rules."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, JsonResponse
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET, require_POST

from .. import attachments
from ..models import Attachment


@require_GET
def serve(request, attachment_id: int):
    attachment = get_object_or_404(
        Attachment.objects.select_related("post__thread__board"), pk=attachment_id
    )
    if not attachments.can_view(request.user, attachment):
        raise Http404  # no hint that it exists
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(handle, content_type=attachment.content_type)
    response["Content-Disposition"] = "inline"
    # Per viewer: the same URL may be allowed for one member and not another.
    response["Cache-Control"] = "private, max-age=3600"
    response["Vary"] = "Cookie"
    return response


@login_required
@require_POST
def upload(request):
    """For the editor's image button: store one image, answer with its markup."""
    file = request.FILES.get("file")
    if file is None:
        return JsonResponse({"error": "no file"}, status=400)
    try:
        attachment = attachments.upload(uploader=request.user, file=file)
    except (ValidationError, PermissionDenied) as error:
        message = " ".join(getattr(error, "messages", [str(error)]))
        return JsonResponse({"error": message}, status=400)
    return JsonResponse({"id": attachment.pk, "markup": attachments.markup_for(attachment),
                         "url": attachment.get_absolute_url()})
