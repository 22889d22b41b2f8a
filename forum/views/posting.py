"""Writing: new thread, reply, quote, edit. Each view parses, calls one service, answers.

A form that fails for any reason re-renders with the user's text. The one-time
token in each posting form makes a double submit land on the first post instead of
writing a second.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from .. import attachments, markup, permissions
from ..forms import EditForm, ReplyForm, ThreadForm
from ..models import Board, Post, Thread
from ..moderation import gate
from ..moderation.redirects import get_thread_following_merges
from .threads import post_url

TOKEN_TTL = 6 * 3600


def _client_ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


def _token_key(user, token: str) -> str:
    return f"forum:submit:{user.pk}:{token}"


def _claim_token(user, token: str) -> tuple[bool, str | None]:
    """(claimed, earlier_url): claimed is False when this form was already submitted."""
    if not token:
        return True, None
    key = _token_key(user, token)
    if cache.add(key, "", TOKEN_TTL):
        return True, None
    return False, cache.get(key) or None


def _settle_token(user, token: str, url: str | None) -> None:
    if not token:
        return
    if url is None:
        cache.delete(_token_key(user, token))  # failed: the user may submit again
    else:
        cache.set(_token_key(user, token), url, TOKEN_TTL)


def _add_errors(form, error) -> None:
    if isinstance(error, ValidationError):
        for message in error.messages:
            form.add_error(None, message)
    else:
        form.add_error(None, str(error) or _("You may not do that."))


def _data_with_uploads(request):
    """The POST data, with images uploaded in this submission placed at the end of the
    text, and one message per refused image. Stored images stay in the text even if
    the post then fails, so a resubmit loses nothing."""
    if request.method != "POST":
        return None, []
    data = request.POST.copy()
    files = request.FILES.getlist("images")
    if files and request.user.is_authenticated:
        stored, errors = attachments.accept_uploads(request.user, files)
        data["body"] = attachments.append_markup(data.get("body", ""), stored)
        return data, errors
    return data, []


def _upload_errors_block(form, errors) -> bool:
    for message in errors:
        form.add_error(None, message)
    return bool(errors)


def _preview(form, request) -> str | None:
    if "preview" not in request.POST:
        return None
    body = form.cleaned_data.get("body") if form.is_valid() else form.data.get("body", "")
    return markup.render(body or "").html if body else ""


@login_required
@require_http_methods(["GET", "POST"])
def new_thread(request, slug: str):
    board = get_object_or_404(Board.objects.select_related("category"), slug=slug)
    permissions.ensure_can_start_thread(request.user, board)  # a ban says why
    data, upload_errors = _data_with_uploads(request)
    form = ThreadForm(data)
    preview = None
    status = 200
    if request.method == "POST":
        preview = _preview(form, request)
        refused = _upload_errors_block(form, upload_errors)
        if preview is None and not refused and form.is_valid():
            token = form.cleaned_data["token"]
            claimed, earlier = _claim_token(request.user, token)
            if not claimed:
                return redirect(earlier or board)
            try:
                # Bans, rate limits, link and duplicate guards, the approval queue.
                thread = gate.submit_thread(
                    request, board=board, title=form.cleaned_data["title"],
                    body=form.cleaned_data["body"], tags=form.cleaned_data["tags"],
                )
            except (PermissionDenied, ValidationError) as error:
                _settle_token(request.user, token, None)
                _add_errors(form, error)
                status = gate.error_status(error)
            else:
                url = board.get_absolute_url() if gate.is_pending(thread) else (
                    thread.get_absolute_url())
                if gate.is_pending(thread):
                    messages.info(request, gate.PENDING_MESSAGE)
                _settle_token(request.user, token, url)
                return redirect(url)
    return render(request, "forum/post_form.html", {
        "form": form, "board": board, "mode": "thread", "preview": preview,
    }, status=status)


@require_http_methods(["GET", "POST"])
def reply(request, thread_id: int, quote: Post | None = None):
    # A reply written while its thread was merged away goes to the merged thread.
    thread = get_thread_following_merges(Thread.objects.select_related("board"), thread_id)
    if not permissions.can_see_thread(request.user, thread):
        if request.method != "POST":
            raise Http404(_("This thread does not exist or has been deleted."))
        # Someone wrote a reply while the thread was deleted: keep their text.
        form = ReplyForm(request.POST)
        form.is_valid()
        form.add_error(None, _("This thread has been deleted; your reply was not posted."))
        return render(request, "forum/post_form.html", {
            "form": form, "thread": None, "board": thread.board, "mode": "reply",
        }, status=404)
    if not request.user.is_authenticated:
        return redirect_to_login(thread.get_absolute_url())
    refusal = permissions.reply_refusal(request.user, thread)
    initial = {}
    if quote is not None:
        initial["body"] = markup.quote_source(quote.author.get_username(), quote.body)
    data, upload_errors = _data_with_uploads(request)
    form = ReplyForm(data, initial=initial)
    preview = None
    status = 200
    if request.method == "POST":
        preview = _preview(form, request)
        refused = _upload_errors_block(form, upload_errors)
        if preview is None and not refused and form.is_valid():
            token = form.cleaned_data["token"]
            claimed, earlier = _claim_token(request.user, token)
            if not claimed:
                return redirect(earlier or thread)
            try:
                # Bans, rate limits, link and duplicate guards, the approval queue.
                post = gate.submit_reply(request, thread=thread, body=form.cleaned_data["body"])
            except (PermissionDenied, ValidationError) as error:
                _settle_token(request.user, token, None)
                _add_errors(form, error)
                status = gate.error_status(error)
            else:
                if gate.is_pending(post):
                    messages.info(request, gate.PENDING_MESSAGE)
                url = thread.get_absolute_url() if gate.is_pending(post) else post_url(post)
                _settle_token(request.user, token, url)
                return redirect(url)
        elif refusal:
            status = 403
    return render(request, "forum/post_form.html", {
        "form": form, "thread": thread, "board": thread.board, "mode": "reply",
        "preview": preview,
        # Said once: a refused submit already carries the reason as a form error.
        "refusal": None if refusal in form.non_field_errors() else refusal,
    }, status=status)


def quote_post(request, post_id: int):
    post = get_object_or_404(Post.objects.select_related("author"), pk=post_id)
    if post.is_deleted:
        messages.error(request, _("A deleted post cannot be quoted."))
        return redirect(post_url(post))
    return reply(request, post.thread_id, quote=post)


@login_required
@require_http_methods(["GET", "POST"])
def edit_post(request, post_id: int):
    post = get_object_or_404(Post.objects.select_related("thread__board", "author"), pk=post_id)
    permissions.ensure_can_see_thread(request.user, post.thread)
    if post.is_deleted and not permissions.can_moderate(request.user, post.thread.board):
        raise Http404(_("This post has been deleted."))
    permissions.ensure_can_edit_post(request.user, post)
    opening = post.floor == 1
    initial = {"body": post.body}
    if opening:
        initial["title"] = post.thread.title
        initial["tags"] = " ".join(post.thread.tags.values_list("name", flat=True))
    data, upload_errors = _data_with_uploads(request)
    form = EditForm(data, initial=initial, opening=opening)
    preview = None
    if request.method == "POST":
        preview = _preview(form, request)
        refused = _upload_errors_block(form, upload_errors)
        if preview is None and not refused and form.is_valid():
            try:
                gate.submit_edit(  # new members' link rule, then services.edit_post
                    request, post=post, body=form.cleaned_data["body"],
                    title=form.cleaned_data.get("title") if opening else None,
                    tags=form.cleaned_data.get("tags") if opening else None,
                )
            except (PermissionDenied, ValidationError) as error:
                _add_errors(form, error)
            else:
                messages.success(request, _("Your changes have been saved."))
                return redirect(post_url(post))
    return render(request, "forum/post_form.html", {
        "form": form, "post": post, "thread": post.thread, "board": post.thread.board,
        "mode": "edit", "preview": preview,
    })
