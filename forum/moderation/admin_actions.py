"""Thread and post admin actions that need a second page: merge, highlight, split.

Like "move", each shows an intermediate page (choose, give a reason, confirm or go
back), then calls the moderation service for the selection. The reason typed next to
the action menu carries over to that page. Kept apart from forum/admin.py (which
lists them in its ModelAdmins) so the two modules do not import each other.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.utils.translation import gettext, ngettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _

from ..models import Thread
from . import services as mod_services
from .forms import ReasonField


class ModerationActionForm(helpers.ActionForm):
    """The change list's action bar, with the reason every moderator action takes."""

    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=200,
        widget=forms.TextInput(attrs={"size": 40,
                                      "placeholder": _("optional, sent to the author")}),
    )


def reason_of(request) -> str:
    return (request.POST.get("reason") or "").strip()[:200]


def confirmation_page(modeladmin, request, *, form, title: str, action: str, objects,
                      intro: str, submit: str,
                      template: str = "admin/forum/moderation/confirm_action.html"):
    """The intermediate page of an admin action: the selection, a form, confirm or go back."""
    opts = modeladmin.model._meta
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "subtitle": None,
        "opts": opts,
        "app_label": opts.app_label,
        "objects": objects,
        "intro": intro,
        "form": form,
        "submit": submit,
        "action_name": action,
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "media": modeladmin.media + form.media,
    }
    request.current_app = modeladmin.admin_site.name
    return TemplateResponse(request, template, context)


# --- merge -------------------------------------------------------------------------------

class MergeThreadsForm(forms.Form):
    target = forms.ModelChoiceField(
        queryset=Thread.objects.none(), widget=forms.RadioSelect,
        label=_("Keep this thread; merge the others into it"),
    )
    reason = ReasonField()

    def __init__(self, *args, threads, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = threads
        self.fields["target"].label_from_instance = (
            lambda t: f"#{t.pk} {t.title} ({t.board.name}, {t.last_floor})"
        )


@admin.action(description=_("Merge selected threads…"))
def merge_action(modeladmin, request, queryset):
    threads = queryset.select_related("board").order_by("created_at", "id")
    if len(threads) < 2:
        modeladmin.message_user(request, gettext("Select at least two threads to merge."),
                                messages.WARNING)
        return None
    if "apply" in request.POST:
        form = MergeThreadsForm(request.POST, threads=threads)
        if form.is_valid():
            target, reason = form.cleaned_data["target"], form.cleaned_data["reason"]
            others = [t for t in threads if t.pk != target.pk]
            modeladmin.run_per_object(
                request, others,
                lambda t: mod_services.merge_threads(target=target, source=t,
                                                     actor=request.user, reason=reason),
                ngettext_lazy("%(count)d thread merged into “%(target)s”.",
                              "%(count)d threads merged into “%(target)s”.", "count"),
                target=target.title,
            )
            return None
    else:
        form = MergeThreadsForm(threads=threads,
                                initial={"target": threads[0].pk, "reason": reason_of(request)})
    return confirmation_page(
        modeladmin, request, form=form, title=gettext("Merge threads"), action="merge_threads",
        objects=list(threads), submit=gettext("Merge threads"),
        intro=gettext("All posts end up in the thread you keep, their floors renumbered in "
                      "time order; the other threads' addresses lead there."),
    )


# --- highlight ---------------------------------------------------------------------------

class HighlightForm(forms.Form):
    color = forms.ChoiceField(label=_("Title highlight"), choices=Thread.Highlight.choices,
                              required=False)
    reason = ReasonField()


@admin.action(description=_("Highlight titles…"))
def highlight_action(modeladmin, request, queryset):
    if "apply" in request.POST:
        form = HighlightForm(request.POST)
        if form.is_valid():
            color, reason = form.cleaned_data["color"], form.cleaned_data["reason"]
            modeladmin.run_per_object(
                request, queryset,
                lambda t: mod_services.highlight_thread(thread=t, actor=request.user,
                                                        color=color, reason=reason),
                ngettext_lazy("%(count)d title changed.", "%(count)d titles changed.", "count"),
            )
            return None
    else:
        form = HighlightForm(initial={"color": Thread.Highlight.RED, "reason": reason_of(request)})
    return confirmation_page(
        modeladmin, request, form=form, title=gettext("Highlight titles"),
        action="highlight_titles", objects=list(queryset.select_related("board")),
        submit=gettext("Apply"), intro=gettext("Highlighted titles stand out in board lists."),
    )


# --- split -------------------------------------------------------------------------------

class SplitPostsForm(forms.Form):
    title = forms.CharField(label=_("Title of the new thread"), max_length=200)
    board = forms.ModelChoiceField(queryset=None, label=_("Board"))
    reason = ReasonField()

    def __init__(self, *args, boards, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["board"].queryset = boards


@admin.action(description=_("Split selected replies into a new thread…"))
def split_posts_action(modeladmin, request, queryset):
    posts = list(queryset.select_related("thread__board").order_by("floor"))
    threads = {p.thread_id for p in posts}
    if len(threads) != 1:
        modeladmin.message_user(
            request, gettext("Select replies of one thread to split them off."), messages.ERROR)
        return None
    thread = posts[0].thread
    boards = modeladmin.boards_for(request)
    if "apply" in request.POST:
        form = SplitPostsForm(request.POST, boards=boards)
        if form.is_valid():
            try:
                new = mod_services.split_thread(
                    thread=thread, post_ids=[p.pk for p in posts], actor=request.user,
                    title=form.cleaned_data["title"], board=form.cleaned_data["board"],
                    reason=form.cleaned_data["reason"],
                )
            except (PermissionDenied, ValidationError) as error:  # nothing was written
                form.add_error(None, " ".join(error.messages)
                               if isinstance(error, ValidationError) else str(error))
            else:
                modeladmin.message_user(
                    request, ngettext("%(count)d post is now the thread “%(title)s”.",
                                      "%(count)d posts are now the thread “%(title)s”.",
                                      len(posts))
                    % {"count": len(posts), "title": new.title}, messages.SUCCESS)
                return None
    else:
        form = SplitPostsForm(boards=boards, initial={
            "board": thread.board_id, "reason": reason_of(request),
            "title": thread.title,
        })
    return confirmation_page(
        modeladmin, request, form=form, title=gettext("Split into a new thread"),
        action="split_to_new_thread", objects=posts, submit=gettext("Split"),
        intro=gettext("The selected replies of “%(title)s” become a new thread, numbered "
                      "from 1 in their order; the old thread closes the gaps.")
        % {"title": thread.title},
    )

