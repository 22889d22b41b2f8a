"""The thread page's moderator toolbar, per-floor moderation, reports, redirects.

Every moderator action is a POST form that works without JavaScript and carries an
optional reason. A form that fails (bad input, a refusal) comes back on its own
page with the moderator's input and the reason for the failure.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from .. import permissions
from ..models import Post
from ..thread_page import get_thread_for
from ..views.threads import post_url
from . import forms, ratelimit, reports, toolbar
from . import services as mod


def _errors(form, error: Exception) -> None:
    if isinstance(error, ValidationError):
        for message in error.messages:
            form.add_error(None, message)
    else:
        form.add_error(None, str(error) or _("You may not do that."))


@dataclass(frozen=True)
class ThreadAction:
    form: type[forms.ModerationForm]
    run: Callable  # (cleaned_data, thread, user) -> Thread to show afterwards, or None
    title: str
    done: str


def _stick(d, t, u):
    mod.stick_thread(thread=t, actor=u, level=d["level"], reason=d["reason"])


def _digest(d, t, u):
    mod.set_digest(thread=t, actor=u, digest=d["digest"], reason=d["reason"])


def _highlight(d, t, u):
    mod.highlight_thread(thread=t, actor=u, color=d["color"], reason=d["reason"])


def _close(d, t, u):
    mod.close_thread(thread=t, actor=u, closed=d["closed"], reason=d["reason"])


def _move(d, t, u):
    mod.move_thread(thread=t, actor=u, board=d["board"], reason=d["reason"],
                    leave_redirect=d["leave_redirect"])


def _merge(d, t, u):
    return mod.merge_threads(target=t, source=d["source"], actor=u, reason=d["reason"])


def _split(d, t, u):
    return mod.split_thread(thread=t, post_ids=d["posts"], actor=u, title=d["title"],
                            reason=d["reason"])


def _delete(d, t, u):
    mod.delete_thread(thread=t, actor=u, reason=d["reason"])


def _restore(d, t, u):
    mod.restore_thread(thread=t, actor=u, reason=d["reason"])


THREAD_ACTIONS: dict[str, ThreadAction] = {
    "stick": ThreadAction(forms.StickForm, _stick, gettext_lazy("Stick"),
                          gettext_lazy("The sticky level was changed.")),
    "digest": ThreadAction(forms.DigestForm, _digest, gettext_lazy("Digest"),
                           gettext_lazy("The digest mark was changed.")),
    "highlight": ThreadAction(forms.HighlightForm, _highlight, gettext_lazy("Highlight title"),
                              gettext_lazy("The title highlight was changed.")),
    "close": ThreadAction(forms.CloseForm, _close, gettext_lazy("Close or open"),
                          gettext_lazy("The thread was closed or reopened.")),
    "move": ThreadAction(forms.MoveForm, _move, gettext_lazy("Move thread"),
                         gettext_lazy("The thread was moved.")),
    "merge": ThreadAction(forms.MergeForm, _merge, gettext_lazy("Merge threads"),
                          gettext_lazy("The threads were merged.")),
    "split": ThreadAction(forms.SplitForm, _split, gettext_lazy("Split thread"),
                          gettext_lazy("The chosen floors are now a thread of their own.")),
    "delete": ThreadAction(forms.ModerationForm, _delete, gettext_lazy("Delete thread"),
                           gettext_lazy("The thread was moved to the recycle bin.")),
    "restore": ThreadAction(forms.ModerationForm, _restore, gettext_lazy("Restore thread"),
                            gettext_lazy("The thread was restored.")),
}


@login_required
@require_POST
def thread_action(request, thread_id: int, action: str):
    spec = THREAD_ACTIONS.get(action)
    if spec is None:
        raise Http404
    thread = get_thread_for(request.user, thread_id)
    permissions.ensure_can_moderate(request.user, thread.board)
    boards = toolbar.move_targets(request.user) if action == "move" else ()
    form = spec.form(request.POST, user=request.user, thread=thread, boards=boards)
    if form.is_valid():
        try:
            shown = spec.run(form.cleaned_data, thread, request.user)
        except (PermissionDenied, ValidationError) as error:
            _errors(form, error)
        else:
            messages.success(request, spec.done)
            return redirect(shown or thread)
    return render(request, "forum/moderation/action_form.html", {
        "form": form, "thread": thread, "action": action, "title": spec.title,
        "posts": request.POST.getlist("posts") if action == "split" else (),
    }, status=400)


@login_required
@require_POST
def post_action(request, post_id: int, action: str):
    if action not in {"delete", "restore"}:
        raise Http404
    post = get_object_or_404(Post.objects.select_related("thread__board", "author"), pk=post_id)
    permissions.ensure_can_see_thread(request.user, post.thread)
    permissions.ensure_can_delete_post(request.user, post)
    form = forms.ModerationForm(request.POST)
    if form.is_valid():
        run = mod.delete_post if action == "delete" else mod.restore_post
        try:
            run(post=post, actor=request.user, reason=form.cleaned_data["reason"])
        except (PermissionDenied, ValidationError) as error:
            _errors(form, error)
        else:
            messages.success(request, _("The post was deleted.") if action == "delete"
                             else _("The post was restored."))
            return redirect(post_url(post))
    return render(request, "forum/moderation/action_form.html", {
        "form": form, "thread": post.thread, "post": post, "action": action,
        "title": _("Delete post") if action == "delete" else _("Restore post"),
    }, status=400)


@login_required
@require_http_methods(["GET", "POST"])
def report_post(request, post_id: int):
    post = get_object_or_404(Post.objects.select_related("thread__board", "author"), pk=post_id)
    permissions.ensure_can_see_thread(request.user, post.thread)
    permissions.ensure_can_report(request.user, post)  # a ban or own post: 403 with why
    form = forms.ReportForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            ratelimit.hit("report", str(request.user.pk))
            _report, new = reports.report_post(
                post=post, reporter=request.user, reason=form.cleaned_data["reason"],
                detail=form.cleaned_data["detail"],
            )
        except (PermissionDenied, ValidationError) as error:
            _errors(form, error)
            status = 429 if isinstance(error, ratelimit.RateLimited) else 400
        else:
            messages.success(request, _("Thank you. The moderators will look at this post.")
                             if new else _("You have reported this post already; thank you."))
            return redirect(post_url(post))
    elif request.method == "POST":
        status = 400
    return render(request, "forum/moderation/report_form.html",
                  {"form": form, "post": post, "thread": post.thread}, status=status)


def too_many_requests(request, exception=None):
    """allauth's rate limits answer with this page (forum.urls.handler429)."""
    return render(request, "forum/moderation/429.html", status=429)
