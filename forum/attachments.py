"""Post attachments: upload, link to a post, and the one rule for who may fetch one.

An attachment is placed in a post's text as `[attach]ID[/attach]` and rendered as an
image whose URL is a view (`/a/ID/`), never a storage URL. The view serves it only to
those who may read the place it sits in: the thread must be visible, and an image
inside a hidden block follows that block's rule (forum.permissions.HiddenAccess).
An attachment not placed anywhere in its post is shown to nobody but its post's
author and moderators (fail closed).
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from . import permissions
from .markup import ATTACH_RE, MARKER_RE, HideRule
from .models import Attachment, Post
from .uploads import clean_image

MAX_PER_SUBMISSION = 10


def markup_for(attachment: Attachment) -> str:
    return f"[attach]{attachment.pk}[/attach]"


def referenced_ids(body: str) -> list[int]:
    return [int(n) for n in ATTACH_RE.findall(body or "")]


def upload(*, uploader, file) -> Attachment:
    """Decode, re-encode and store one image; raises ValidationError with the reason."""
    if not uploader.is_authenticated or not uploader.is_active:
        raise PermissionDenied(_("You need to log in before uploading."))
    permissions.ensure_can_write(uploader)  # a banned member uploads nothing either
    image = clean_image(file)
    with transaction.atomic():
        return Attachment.objects.create(
            uploader=uploader, file=image.content, content_type=image.content_type,
            size=image.content.size, width=image.width, height=image.height,
            original_name=(getattr(file, "name", "") or "")[:200],
        )


def accept_uploads(uploader, files: Iterable) -> tuple[list[Attachment], list[str]]:
    """Store what can be stored; return the attachments and one message per refusal."""
    stored, errors = [], []
    for index, file in enumerate(files):
        if index >= MAX_PER_SUBMISSION:
            errors.append(_("At most %(n)d images at a time.") % {"n": MAX_PER_SUBMISSION})
            break
        try:
            stored.append(upload(uploader=uploader, file=file))
        except (ValidationError, PermissionDenied) as error:
            reason = " ".join(getattr(error, "messages", [str(error)]))
            errors.append(f"{getattr(file, 'name', '')}: {reason}")
    return stored, errors


def append_markup(body: str, attachments: Iterable[Attachment]) -> str:
    lines = [markup_for(a) for a in attachments]
    if not lines:
        return body
    return (body.rstrip() + "\n\n" if body.strip() else "") + "\n".join(lines)


def link_to_post(*, post: Post, user) -> None:
    """Attach the user's not-yet-used uploads that the post's text places."""
    ids = referenced_ids(post.body)
    if ids:
        Attachment.objects.filter(pk__in=ids, uploader=user, post__isnull=True).update(post=post)


# --- who may fetch ------------------------------------------------------------------------

def can_view(user, attachment: Attachment) -> bool:
    post = attachment.post
    if post is None:  # uploaded, not yet posted: for the uploader's preview only
        return user.is_authenticated and user.pk == attachment.uploader_id
    thread = post.thread
    if not permissions.can_see_thread(user, thread):
        return False
    moderator = permissions.can_moderate(user, thread.board)
    if post.is_deleted and not moderator:
        return False
    if moderator or (user.is_authenticated and post.author_id == user.pk):
        return True
    src = f'src="{attachment.get_absolute_url()}"'
    if src in post.html_public:
        return True
    access = permissions.HiddenAccess(user, thread)
    rules = [HideRule(credits=int(c), days=int(d)) for c, d in MARKER_RE.findall(post.html_public)]
    blocks = [i for i, fragment in enumerate(post.hidden_fragments or []) if src in fragment]
    return any(access.allows(post, rules[i]) for i in blocks if i < len(rules))
