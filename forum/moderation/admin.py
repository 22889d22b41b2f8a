"""The moderation console's own pages: reports, the approval queue, the recycle bin
(回收站), bans and the read-only moderation log; plus the rate-limited admin login.

forum/admin.py imports this module after defining BoardScopedAdmin, so each page here
is scoped to a board moderator's boards exactly like threads and posts. Every action
calls a moderation service and takes the reason typed next to the action menu.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import OuterRef, Subquery
from django.urls import reverse
from django.utils.html import format_html, format_html_join, linebreaks
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _

from .. import permissions
from ..admin import BoardScopedAdmin
from ..models import Board
from . import approval, bans, reports
from . import services as mod_services
from .admin_actions import ModerationActionForm, reason_of
from .forms import BanForm, RateLimitedAdminLoginForm
from .models import (
    Ban,
    DeletedPost,
    DeletedThread,
    ModerationLog,
    PendingPost,
    Report,
    ReportEntry,
)

admin.site.login_form = RateLimitedAdminLoginForm


def _thread_link(thread) -> str:
    return format_html('<a href="{}">{}</a>', thread.get_absolute_url(),
                       Truncator(thread.title).chars(40))


class _DefaultChoiceFilter(admin.SimpleListFilter):
    """A filter on `status` that starts on `default` ("all" shows everything)."""

    default = ""
    choices_list: list = []

    def lookups(self, request, model_admin):
        return [*self.choices_list, ("all", _("All"))]

    def value(self):
        return super().value() or self.default

    def queryset(self, request, queryset):
        value = self.value()
        return queryset if value == "all" else queryset.filter(status=value)

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


# --- reports ---------------------------------------------------------------------------

class ReportStatusFilter(_DefaultChoiceFilter):
    title = _("status")
    parameter_name = "status"
    default = Report.Status.OPEN
    choices_list = Report.Status.choices


class ReportEntryInline(admin.TabularInline):
    model = ReportEntry
    fields = ("reporter", "reason", "detail", "created_at")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Report)
class ReportAdmin(BoardScopedAdmin):
    board_lookup = "post__thread__board"
    action_form = ModerationActionForm
    list_display = ("post_link", "thread_link", "board_name", "author", "excerpt",
                    "reporter_count", "reasons", "status", "last_reported_at")
    list_filter = (ReportStatusFilter, ("post__thread__board", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("post__thread__board", "post__author")
    search_fields = ("post__thread__title", "post__author__username")
    ordering = ("-last_reported_at", "-id")
    list_per_page = 50
    fields = ("post_link", "thread_link", "author", "post_body", "status", "reporter_count",
              "created_at", "last_reported_at", "handled_by", "handled_at", "outcome")
    readonly_fields = fields
    inlines = [ReportEntryInline]
    actions = ("resolve", "resolve_and_delete", "dismiss")

    def board_of(self, obj) -> Board:
        return obj.post.thread.board

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("entries")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("post"))
    def post_link(self, obj) -> str:
        return format_html('<a href="{}">#{}</a>', reverse("forum:post", args=[obj.post_id]),
                           obj.post.floor)

    @admin.display(description=_("thread"))
    def thread_link(self, obj) -> str:
        return _thread_link(obj.post.thread)

    @admin.display(description=_("board"))
    def board_name(self, obj) -> str:
        return obj.post.thread.board.name

    @admin.display(description=_("author"))
    def author(self, obj) -> str:
        return obj.post.author.get_username()

    @admin.display(description=_("excerpt"))
    def excerpt(self, obj) -> str:
        return Truncator(obj.post.text_public).chars(60)

    @admin.display(description=_("post"))
    def post_body(self, obj) -> str:
        return format_html('<div class="forum-post-preview">{}</div>',
                           linebreaks(obj.post.text_public))

    @admin.display(description=_("reasons"))
    def reasons(self, obj) -> str:
        return format_html_join(
            "", "<div>{}{}</div>",
            ((e.get_reason_display(), f": {Truncator(e.detail).chars(60)}" if e.detail else "")
             for e in obj.entries.all()),
        )

    def _handle(self, request, queryset, func, done):
        note = reason_of(request)
        self.run_per_object(request, queryset,
                            lambda r: func(report=r, actor=request.user, note=note), done)

    @admin.action(description=_("Resolve selected reports (the post stays)"),
                  permissions=["change"])
    def resolve(self, request, queryset):
        self._handle(request, queryset, reports.resolve_report, ngettext_lazy(
            "%(count)d report resolved.", "%(count)d reports resolved.", "count"))

    @admin.action(description=_("Resolve selected reports and delete the posts"),
                  permissions=["change"])
    def resolve_and_delete(self, request, queryset):
        def resolve_delete(*, report, actor, note):
            return reports.resolve_report(report=report, actor=actor, note=note,
                                          delete_post=True)

        self._handle(request, queryset, resolve_delete, ngettext_lazy(
            "%(count)d report resolved, post deleted.",
            "%(count)d reports resolved, posts deleted.", "count"))

    @admin.action(description=_("Dismiss selected reports"), permissions=["change"])
    def dismiss(self, request, queryset):
        self._handle(request, queryset, reports.dismiss_report, ngettext_lazy(
            "%(count)d report dismissed.", "%(count)d reports dismissed.", "count"))


# --- the approval queue ------------------------------------------------------------------

class PendingStatusFilter(_DefaultChoiceFilter):
    title = _("status")
    parameter_name = "status"
    default = PendingPost.Status.PENDING
    choices_list = PendingPost.Status.choices


@admin.register(PendingPost)
class PendingPostAdmin(BoardScopedAdmin):
    board_lookup = "board"
    action_form = ModerationActionForm
    list_display = ("summary", "kind", "board", "author", "author_ip", "created_at", "status")
    list_filter = (PendingStatusFilter, ("board", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("board", "thread", "author")
    search_fields = ("title", "body", "author__username")
    ordering = ("created_at", "id")
    fields = ("board", "thread", "author", "author_ip", "created_at", "title", "tags",
              "body_text", "status", "handled_by", "handled_at", "reason", "post")
    readonly_fields = fields
    actions = ("approve", "reject")

    def board_of(self, obj) -> Board:
        return obj.board

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("post"))
    def summary(self, obj) -> str:
        title = obj.title or (obj.thread.title if obj.thread_id else "")
        return f"{Truncator(title).chars(40)} · {Truncator(obj.body).chars(40)}"

    @admin.display(description=_("kind"))
    def kind(self, obj) -> str:
        return gettext("new thread") if obj.is_thread else gettext("reply")

    @admin.display(description=_("body"))
    def body_text(self, obj) -> str:
        # The raw source, escaped: a waiting post is read, not rendered.
        return format_html('<pre class="forum-pending-body">{}</pre>', obj.body)

    @admin.action(description=_("Approve selected posts (publish them)"), permissions=["change"])
    def approve(self, request, queryset):
        reason = reason_of(request)
        self.run_per_object(
            request, queryset,
            lambda p: approval.approve(pending=p, actor=request.user, reason=reason),
            ngettext_lazy("%(count)d post approved.", "%(count)d posts approved.", "count"),
        )

    @admin.action(description=_("Reject selected posts"), permissions=["change"])
    def reject(self, request, queryset):
        reason = reason_of(request)
        self.run_per_object(
            request, queryset,
            lambda p: approval.reject(pending=p, actor=request.user, reason=reason),
            ngettext_lazy("%(count)d post rejected.", "%(count)d posts rejected.", "count"),
        )


# --- the recycle bin (回收站) ----------------------------------------------------------

def _deletion_log(action: str, field: str, outer: str = "pk") -> Subquery:
    return Subquery(
        ModerationLog.objects.filter(action=action, **{field: OuterRef(outer)})
        .order_by("-created_at", "-id").values("actor__username")[:1]
    )


def _deletion_reason(action: str, field: str) -> Subquery:
    return Subquery(
        ModerationLog.objects.filter(action=action, **{field: OuterRef("pk")})
        .order_by("-created_at", "-id").values("reason")[:1]
    )


@admin.register(DeletedThread)
class DeletedThreadAdmin(BoardScopedAdmin):
    """Deleted threads, newest first; restoring brings back every counter."""

    action_form = ModerationActionForm
    list_display = ("title_link", "board", "author", "reply_count", "deleted_at",
                    "deleted_by", "delete_reason")
    list_filter = (("board", admin.RelatedOnlyFieldListFilter),)
    list_select_related = ("board", "author")
    search_fields = ("title", "author__username")
    ordering = ("-deleted_at", "-id")
    fields = ("title_link", "board", "author", "created_at", "reply_count", "deleted_at",
              "deleted_by", "delete_reason")
    readonly_fields = fields
    actions = ("restore",)

    def board_of(self, obj) -> Board:
        return obj.board

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            _deleted_by=_deletion_log(ModerationLog.Action.DELETE_THREAD, "thread"),
            _delete_reason=_deletion_reason(ModerationLog.Action.DELETE_THREAD, "thread"),
        )

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("title"), ordering="title")
    def title_link(self, obj) -> str:
        return _thread_link(obj)

    @admin.display(description=_("deleted by"))
    def deleted_by(self, obj) -> str:
        return getattr(obj, "_deleted_by", None) or "—"

    @admin.display(description=_("reason"))
    def delete_reason(self, obj) -> str:
        return getattr(obj, "_delete_reason", None) or ""

    @admin.action(description=_("Restore selected threads"), permissions=["change"])
    def restore(self, request, queryset):
        reason = reason_of(request)
        self.run_per_object(
            request, queryset,
            lambda t: mod_services.restore_thread(thread=t, actor=request.user, reason=reason),
            ngettext_lazy("%(count)d thread restored.", "%(count)d threads restored.", "count"),
        )


@admin.register(DeletedPost)
class DeletedPostAdmin(BoardScopedAdmin):
    """Replies deleted one by one (a deleted thread's posts come back with the thread)."""

    board_lookup = "thread__board"
    action_form = ModerationActionForm
    list_display = ("post_link", "thread_link", "author", "excerpt", "deleted_at",
                    "deleted_by", "delete_reason")
    list_filter = (("thread__board", admin.RelatedOnlyFieldListFilter),)
    list_select_related = ("thread__board", "author", "deleted_by")
    search_fields = ("body", "author__username", "thread__title")
    ordering = ("-deleted_at", "-id")
    fields = ("post_link", "thread_link", "author", "created_at", "author_ip", "post_body",
              "deleted_at", "deleted_by", "delete_reason")
    readonly_fields = fields
    actions = ("restore",)

    def board_of(self, obj) -> Board:
        return obj.thread.board

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("post"))
    def post_link(self, obj) -> str:
        return format_html('<a href="{}">#{}</a>', reverse("forum:post", args=[obj.pk]),
                           obj.floor)

    @admin.display(description=_("thread"))
    def thread_link(self, obj) -> str:
        return _thread_link(obj.thread)

    @admin.display(description=_("excerpt"))
    def excerpt(self, obj) -> str:
        return Truncator(obj.text_public).chars(60)

    @admin.display(description=_("post"))
    def post_body(self, obj) -> str:
        return format_html('<div class="forum-post-preview">{}</div>', linebreaks(obj.text_public))

    @admin.action(description=_("Restore selected posts"), permissions=["change"])
    def restore(self, request, queryset):
        reason = reason_of(request)
        self.run_per_object(
            request, queryset,
            lambda p: mod_services.restore_post(post=p, actor=request.user, reason=reason),
            ngettext_lazy("%(count)d post restored.", "%(count)d posts restored.", "count"),
        )


# --- bans --------------------------------------------------------------------------------

class BanStateFilter(admin.SimpleListFilter):
    title = _("in force")
    parameter_name = "active"

    def lookups(self, request, model_admin):
        return [("yes", _("In force")), ("no", _("Lifted or expired"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.active()
        if self.value() == "no":
            return queryset.exclude(pk__in=Ban.objects.active().values("pk"))
        return queryset


@admin.register(Ban)
class BanAdmin(admin.ModelAdmin):
    """Bans are made here (a board moderator: from posting only) and lifted by an action;
    a ban is never edited or deleted, so the history stays."""

    action_form = ModerationActionForm
    list_display = ("user", "scope", "reason", "created_at", "expires_at", "in_force",
                    "created_by", "lifted_at")
    list_filter = (BanStateFilter, "scope")
    list_select_related = ("user", "created_by")
    search_fields = ("user__username", "reason")
    raw_id_fields = ("user",)
    ordering = ("-created_at", "-id")
    actions = ("lift",)
    shown = ("user", "scope", "reason", "created_at", "created_by", "expires_at", "lifted_at",
             "lifted_by")

    @admin.display(description=_("in force"), boolean=True)
    def in_force(self, obj) -> bool:
        return obj.is_active()

    def get_fields(self, request, obj=None):
        return self.shown if obj else ("user", "scope", "duration", "reason")

    def get_readonly_fields(self, request, obj=None):
        return self.shown if obj else ()

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is not None:
            return super().get_form(request, obj, change=change, **kwargs)
        kwargs["form"] = type("BanForm", (BanForm,), {"actor": request.user})
        kwargs["fields"] = ("user", "scope", "reason")
        form = super().get_form(request, obj, change=change, **kwargs)
        if not permissions.is_global_moderator(request.user):
            form.base_fields["scope"].choices = [
                c for c in form.base_fields["scope"].choices if c[0] != Ban.Scope.ACCESS
            ]
        return form

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            raise PermissionDenied
        ban = bans.ban_member(user=form.cleaned_data["user"], actor=request.user,
                              scope=form.cleaned_data["scope"], reason=form.cleaned_data["reason"],
                              expires_at=form.cleaned_data["expires_at"])
        obj.pk, obj.created_at, obj.created_by = ban.pk, ban.created_at, ban.created_by
        obj.expires_at = ban.expires_at

    def save_related(self, request, form, formsets, change):
        pass  # nothing related; the ban was written by bans.ban_member

    @admin.action(description=_("Lift selected bans"), permissions=["change"])
    def lift(self, request, queryset):
        reason = reason_of(request)
        succeeded = 0
        for ban in queryset:
            try:
                succeeded += bans.lift_ban(ban=ban, actor=request.user, reason=reason)
            except (PermissionDenied, ValidationError) as error:
                self.message_user(request, f"{ban}: {error}", messages.ERROR)
        if succeeded:
            self.message_user(request, ngettext_lazy(
                "%(count)d ban lifted.", "%(count)d bans lifted.", "count"
            ) % {"count": succeeded}, messages.SUCCESS)


# --- the moderation log (read-only) ------------------------------------------------------

@admin.register(ModerationLog)
class ModerationLogAdmin(BoardScopedAdmin):
    list_display = ("created_at", "actor", "action", "target", "board", "target_user",
                    "reason", "change")
    list_filter = ("action", ("board", admin.RelatedOnlyFieldListFilter))
    list_select_related = ("actor", "board", "target_user", "thread")
    search_fields = ("target_repr", "actor__username", "target_user__username", "reason")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-id")
    list_per_page = 100
    show_full_result_count = False
    fields = ("created_at", "actor", "action", "board", "thread", "post", "target_user",
              "target_repr", "reason", "before", "after")
    readonly_fields = fields

    def board_of(self, obj) -> Board | None:
        return obj.board

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("target"))
    def target(self, obj) -> str:
        if obj.thread_id:
            url = reverse("forum:post", args=[obj.post_id]) if obj.post_id else (
                reverse("forum:thread", args=[obj.thread_id]))
            return format_html('<a href="{}">{}</a>', url, Truncator(obj.target_repr).chars(50))
        return Truncator(obj.target_repr).chars(50)

    @admin.display(description=_("change"))
    def change(self, obj) -> str:
        keys = sorted(set(obj.before) | set(obj.after))
        return "; ".join(
            f"{k}: {obj.before.get(k, '—')} → {obj.after.get(k, '—')}" for k in keys
        )[:200]

