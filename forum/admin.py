"""The moderation console: the Django admin over boards, threads, posts and tags.

Every change that moves a counter goes through `forum.services`, exactly as on the
site: thread flags, moves, soft deletes and restores are admin actions calling the
services, a post body is saved with `edit_post` (so the stored HTML is re-rendered)
and thread tags with `set_tags` (so `Tag.thread_count` stays exact). The admin's own
hard delete is switched off for threads and posts; boards and categories that still
hold anything are protected by `on_delete=PROTECT`, which the admin shows as its
usual "cannot delete" page.
"""

from __future__ import annotations

from collections.abc import Callable

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext, ngettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _

from . import context_processors, permissions, services
from .models import Board, Category, Post, SiteSettings, Tag, Thread
from .moderation import services as mod_services
from .moderation.admin_actions import (
    ModerationActionForm,
    confirmation_page,
    highlight_action,
    merge_action,
    split_posts_action,
)
from .moderation.admin_ip import PostsByIPMixin
from .moderation.forms import ReasonField
from .tags import normalize_tag_names, tag_slug

# --- site header ------------------------------------------------------------------------


def _admin_title() -> str:
    # Evaluated when a page renders, never at import; the site settings come from
    # the same cache the page chrome uses, so this costs no query on a warm cache.
    return gettext("%(name)s administration") % {"name": context_processors.site_settings()["name"]}


admin.site.site_header = lazy(_admin_title, str)()
admin.site.site_title = lazy(_admin_title, str)()


# --- shared pieces -------------------------------------------------------------------


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or gettext("Permission denied.")


class BoardScopedAdmin(admin.ModelAdmin):
    """Scopes board moderators to their own boards.

    Board moderators (Board.moderators members who are not superusers) reach the
    admin through the 版主 group (see forum.moderation.staff); staff moderate every
    board. Every list, change page, action and board choice here goes through
    `scope_to_boards`; per-object change permission asks `permissions.can_moderate`;
    another board's object by URL is a 403 (`get_object`).
    """

    board_lookup = "board"  # path from this model to its Board

    def scope_to_boards(self, request, queryset: QuerySet, lookup: str | None = None) -> QuerySet:
        """Rows (reached from their board by `lookup`) this user may moderate here."""
        user = getattr(request, "user", None)
        if user is None or permissions.is_global_moderator(user):
            return queryset  # staff (or an internal call without a request user)
        ids = permissions.moderated_board_ids(user)
        return queryset.filter(**{f"{lookup or self.board_lookup}__in": ids})

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None and from_field is None:
            try:
                exists = self.model._default_manager.filter(pk=object_id).exists()
            except (ValueError, ValidationError):
                exists = False
            if exists:  # it is there, but on a board this moderator does not moderate
                raise PermissionDenied
        return obj

    def boards_for(self, request) -> QuerySet[Board]:
        """Boards the user may pick in a form, e.g. as a thread's new board."""
        return self.scope_to_boards(request, Board.objects.all(), lookup="pk")

    def get_queryset(self, request):
        return self.scope_to_boards(request, super().get_queryset(request))

    def board_of(self, obj) -> Board:
        raise NotImplementedError

    def has_change_permission(self, request, obj=None):
        if not super().has_change_permission(request, obj):
            return False
        return obj is None or permissions.can_moderate(request.user, self.board_of(obj))

    def run_per_object(self, request, queryset, func: Callable, done, **params) -> None:
        """Call a service for each object; report successes and each refusal.

        `done` is an ngettext_lazy message counted by "count", with `params` filled in.
        """
        succeeded = 0
        for obj in queryset:
            try:
                func(obj)
            except (PermissionDenied, ValidationError) as exc:
                self.message_user(
                    request,
                    gettext("“%(object)s”: %(error)s") % {"object": obj, "error": _error_text(exc)},
                    messages.ERROR,
                )
            else:
                succeeded += 1
        if succeeded:
            self.message_user(request, done % {"count": succeeded, **params}, messages.SUCCESS)

    def get_actions(self, request):
        actions = super().get_actions(request)
        if not self.has_delete_permission(request):
            actions.pop("delete_selected", None)
        return actions


# --- site settings, categories, tags ---------------------------------------------------


@admin.register(SiteSettings)
class SiteSettingsAdmin(admin.ModelAdmin):
    """A singleton: the list page opens the one row; it can be neither added twice nor deleted."""

    list_display = ("name", "tagline", "contact_email", "record_number")
    fieldsets = (
        (None, {"fields": ("name", "tagline")}),
        (_("Footer"), {"fields": ("footer_text", "contact_email", "record_number")}),
    )

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not SiteSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        obj = SiteSettings.load()
        return HttpResponseRedirect(
            reverse(
                "admin:forum_sitesettings_change", args=[obj.pk], current_app=self.admin_site.name
            )
        )


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "position", "board_count")
    list_editable = ("position",)
    search_fields = ("name",)
    ordering = ("position", "id")

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_board_count=Count("boards"))

    @admin.display(description=_("boards"), ordering="_board_count")
    def board_count(self, obj) -> int:
        return obj._board_count


class TagAdminForm(forms.ModelForm):
    class Meta:
        model = Tag
        fields = ["name"]

    def clean_name(self):
        names = normalize_tag_names([self.cleaned_data["name"]])
        if not names:
            raise ValidationError(_("Please enter a tag name."))
        name = names[0]
        if self.instance.pk is None:
            slug = tag_slug(name)
            if Tag.objects.filter(slug=slug).exists():
                raise ValidationError(
                    _("A tag with the address “%(slug)s” already exists."), params={"slug": slug}
                )
        return name


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    """The slug is made from the name once and never changes (tag pages keep their address)."""

    form = TagAdminForm
    list_display = ("name", "slug", "thread_count")
    search_fields = ("name", "slug")
    readonly_fields = ("slug", "thread_count")
    ordering = ("-thread_count", "name")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.slug = tag_slug(obj.name)
        if change:
            obj.save(update_fields=["name"])  # never write back a stale thread_count
        else:
            obj.save()


# --- boards ----------------------------------------------------------------------------


class BoardAdminForm(forms.ModelForm):
    class Meta:
        model = Board
        fields = [
            "category",
            "parent",
            "name",
            "slug",
            "description",
            "position",
            "moderators",
            "new_member_approval",
            "jammer",
        ]

    def clean_parent(self):
        parent = self.cleaned_data.get("parent")
        node, seen = parent, set()
        while node is not None and self.instance.pk is not None and node.pk not in seen:
            if node.pk == self.instance.pk:
                raise ValidationError(_("A board cannot be placed inside itself."))
            seen.add(node.pk)
            node = node.parent
        return parent


@admin.register(Board)
class BoardAdmin(BoardScopedAdmin):
    form = BoardAdminForm
    board_lookup = "pk"
    list_display = (
        "name",
        "category",
        "parent",
        "position",
        "thread_count",
        "post_count",
        "posts_today",
        "moderator_names",
        "jammer",
    )
    list_editable = ("position",)
    list_filter = ("category", "jammer")
    list_select_related = ("category", "parent")
    search_fields = ("name", "slug")
    ordering = ("category__position", "category_id", "position", "id")
    autocomplete_fields = ("category", "parent", "moderators")
    prepopulated_fields = {"slug": ("name",)}
    fieldsets = (
        (None, {"fields": ("category", "parent", "name", "slug", "description", "position")}),
        (_("Moderation"), {"fields": ("moderators", "new_member_approval", "jammer")}),
        (_("Counters"), {"fields": ("thread_count", "post_count", "posts_today", "last_post")}),
    )
    readonly_fields = ("thread_count", "post_count", "posts_today", "last_post")

    def board_of(self, obj) -> Board:
        return obj

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("moderators")

    @admin.display(description=_("today's posts"))
    def posts_today(self, obj) -> int:
        return obj.posts_today

    @admin.display(description=_("moderators"))
    def moderator_names(self, obj) -> str:
        return ", ".join(u.get_username() for u in obj.moderators.all())

    def save_model(self, request, obj, form, change):
        if change:
            # Only the editable columns: counters are the services' business and a
            # reply committed while this form was open must not be overwritten.
            m2m = {f.name for f in Board._meta.many_to_many}
            obj.save(update_fields=[name for name in form.fields if name not in m2m])
        else:
            obj.save()


# --- threads ---------------------------------------------------------------------------


def _reason(request) -> str:
    """The reason typed next to the action menu (or on an intermediate page)."""
    return (request.POST.get("reason") or "").strip()[:200]


def _flag_action(name: str, description, done, **flags):
    """An admin action that sets thread flags through services.set_thread_flags."""

    def action(modeladmin, request, queryset):
        reason = _reason(request)
        modeladmin.run_per_object(
            request,
            queryset,
            lambda t: mod_services.set_flags(thread=t, actor=request.user, reason=reason,
                                             **flags),
            done,
        )

    action.__name__ = name
    return admin.action(description=description)(action)


class ThreadAdminForm(forms.ModelForm):
    reason = ReasonField(help_text=_("Logged and sent to the author with each change."))

    class Meta:
        model = Thread
        fields = ["title", "board", "tags", "sticky", "is_digest", "highlight", "is_closed",
                  "is_deleted"]

    def clean_title(self):
        return services.clean_title(self.cleaned_data["title"])

    def clean_tags(self):
        tags = self.cleaned_data["tags"]
        normalize_tag_names(t.name for t in tags)  # raises on too many tags
        return tags


class MoveThreadsForm(forms.Form):
    board = forms.ModelChoiceField(queryset=Board.objects.none(), label=_("Target board"))
    leave_redirect = forms.BooleanField(
        label=_("Leave a “moved” notice in the old board"), required=False, initial=True
    )
    reason = ReasonField()

    def __init__(self, *args, boards: QuerySet[Board], **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["board"]
        field.queryset = boards.select_related("category").order_by(
            "category__position", "category_id", "position", "id"
        )
        field.label_from_instance = lambda b: f"{b.category.name} › {b.name}"


@admin.register(Thread)
class ThreadAdmin(BoardScopedAdmin):
    form = ThreadAdminForm
    list_display = (
        "title",
        "board",
        "author",
        "created_at",
        "reply_count",
        "view_count",
        "sticky",
        "is_digest",
        "is_closed",
        "is_deleted",
        "last_post_at",
    )
    list_filter = ("board", "sticky", "is_digest", "highlight", "is_closed", "is_deleted")
    list_select_related = ("board", "author")
    search_fields = ("title", "author__username", "id__exact")
    date_hierarchy = "created_at"
    ordering = ("-id",)
    list_per_page = 50
    show_full_result_count = False
    autocomplete_fields = ("board", "tags")
    fieldsets = (
        (None, {"fields": ("title", "board", "tags")}),
        (
            _("Moderation"),
            {"fields": ("sticky", "is_digest", "highlight", "is_closed", "is_deleted", "reason")},
        ),
        (
            _("Activity"),
            {
                "fields": (
                    "author",
                    "created_at",
                    "last_post_at",
                    "last_poster",
                    "reply_count",
                    "view_count",
                    "last_floor",
                    "deleted_at",
                    "posts_link",
                )
            },
        ),
    )
    readonly_fields = (
        "author",
        "created_at",
        "last_post_at",
        "last_poster",
        "reply_count",
        "view_count",
        "last_floor",
        "deleted_at",
        "posts_link",
    )
    action_form = ModerationActionForm
    actions = (
        "stick",
        "stick_category",
        "stick_global",
        "unstick",
        "make_digest",
        "remove_digest",
        "close",
        "reopen",
        "move_to_board",
        "merge_threads",
        "highlight_titles",
        "soft_delete",
        "restore",
    )

    def board_of(self, obj) -> Board:
        return obj.board

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("board")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "board":
            kwargs["queryset"] = self.boards_for(request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_add_permission(self, request):
        return False  # a thread needs its opening post: start threads on the site

    def has_delete_permission(self, request, obj=None):
        return False  # soft delete (an action) keeps every counter exact

    @admin.display(description=_("posts"))
    def posts_link(self, obj) -> str:
        url = reverse("admin:forum_post_changelist", current_app=self.admin_site.name)
        return format_html(
            '<a href="{}?thread__id__exact={}">{}</a>',
            url,
            obj.pk,
            gettext("All posts of this thread"),
        )

    def save_model(self, request, obj, form, change):
        """Apply the form through the services; never save stale counters with obj.save()."""
        if not change:
            raise PermissionDenied
        current = Thread.objects.select_related("board").get(pk=obj.pk)
        changed = set(form.changed_data)
        if "title" in changed and obj.title != current.title:
            Thread.objects.filter(pk=obj.pk).update(title=obj.title)
        reason = form.cleaned_data.get("reason", "")
        flags = {
            f: getattr(obj, f)
            for f in ("sticky", "is_digest", "is_closed", "highlight")
            if f in changed
        }
        if flags:
            mod_services.set_flags(thread=current, actor=request.user, reason=reason, **flags)
        if "board" in changed:
            mod_services.move_thread(
                thread=current, actor=request.user, board=obj.board, reason=reason
            )
        if "is_deleted" in changed:
            if obj.is_deleted:
                mod_services.delete_thread(thread=current, actor=request.user, reason=reason)
            else:
                mod_services.restore_thread(thread=current, actor=request.user, reason=reason)
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        # Tags go through set_tags, which keeps Tag.thread_count exact; the form's
        # plain M2M save would not.
        tags = form.cleaned_data.pop("tags", None)
        super().save_related(request, form, formsets, change)
        if tags is not None and "tags" in form.changed_data:
            services.set_tags(thread=form.instance, names=[t.name for t in tags])

    # actions ----------------------------------------------------------------------

    stick = _flag_action(
        "stick",
        _("Stick selected threads in their board"),
        ngettext_lazy("%(count)d thread stuck.", "%(count)d threads stuck.", "count"),
        sticky=Thread.Sticky.BOARD,
    )
    stick_category = _flag_action(
        "stick_category",
        _("Stick selected threads in their category"),
        ngettext_lazy("%(count)d thread stuck.", "%(count)d threads stuck.", "count"),
        sticky=Thread.Sticky.CATEGORY,
    )
    stick_global = _flag_action(
        "stick_global",
        _("Stick selected threads everywhere (staff)"),
        ngettext_lazy("%(count)d thread stuck.", "%(count)d threads stuck.", "count"),
        sticky=Thread.Sticky.GLOBAL,
    )
    unstick = _flag_action(
        "unstick",
        _("Unstick selected threads"),
        ngettext_lazy("%(count)d thread unstuck.", "%(count)d threads unstuck.", "count"),
        sticky=Thread.Sticky.NONE,
    )
    make_digest = _flag_action(
        "make_digest",
        _("Mark selected threads as digest"),
        ngettext_lazy(
            "%(count)d thread marked as digest.", "%(count)d threads marked as digest.", "count"
        ),
        is_digest=True,
    )
    remove_digest = _flag_action(
        "remove_digest",
        _("Remove selected threads from digest"),
        ngettext_lazy(
            "%(count)d thread removed from digest.",
            "%(count)d threads removed from digest.",
            "count",
        ),
        is_digest=False,
    )
    close = _flag_action(
        "close",
        _("Close selected threads"),
        ngettext_lazy("%(count)d thread closed.", "%(count)d threads closed.", "count"),
        is_closed=True,
    )
    reopen = _flag_action(
        "reopen",
        _("Reopen selected threads"),
        ngettext_lazy("%(count)d thread reopened.", "%(count)d threads reopened.", "count"),
        is_closed=False,
    )

    @admin.action(description=_("Delete selected threads (soft, can be restored)"))
    def soft_delete(self, request, queryset):
        reason = _reason(request)
        self.run_per_object(
            request,
            queryset,
            lambda t: mod_services.delete_thread(thread=t, actor=request.user, reason=reason),
            ngettext_lazy("%(count)d thread deleted.", "%(count)d threads deleted.", "count"),
        )

    @admin.action(description=_("Restore selected deleted threads"))
    def restore(self, request, queryset):
        reason = _reason(request)
        self.run_per_object(
            request,
            queryset,
            lambda t: mod_services.restore_thread(thread=t, actor=request.user, reason=reason),
            ngettext_lazy("%(count)d thread restored.", "%(count)d threads restored.", "count"),
        )

    merge_threads = merge_action
    highlight_titles = highlight_action

    @admin.action(description=_("Move selected threads to another board…"))
    def move_to_board(self, request, queryset):
        """An intermediate page: choose the board, confirm (or go back), then move."""
        boards = self.boards_for(request)
        if "apply" in request.POST:
            form = MoveThreadsForm(request.POST, boards=boards)
            if form.is_valid():
                board = form.cleaned_data["board"]
                stub, reason = form.cleaned_data["leave_redirect"], form.cleaned_data["reason"]
                self.run_per_object(
                    request,
                    queryset,
                    lambda t: mod_services.move_thread(
                        thread=t, actor=request.user, board=board, reason=reason,
                        leave_redirect=stub,
                    ),
                    ngettext_lazy(
                        "%(count)d thread moved to “%(board)s”.",
                        "%(count)d threads moved to “%(board)s”.",
                        "count",
                    ),
                    board=board.name,
                )
                return None  # back to the change list, filters kept
        else:
            form = MoveThreadsForm(boards=boards, initial={"reason": _reason(request)})
        threads = list(queryset.select_related("board"))
        return confirmation_page(
            self, request, form=form, title=gettext("Move threads to another board"),
            action="move_to_board", objects=threads,
            intro=ngettext(
                "Move this thread to another board. Board and member counters are updated.",
                "Move these %(counter)s threads to another board. Board and member counters "
                "are updated.", len(threads)) % {"counter": len(threads)},
            submit=gettext("Move threads"),
            template="admin/forum/thread/move_to_board.html",
        )


# --- posts -----------------------------------------------------------------------------


class PostAdminForm(forms.ModelForm):
    class Meta:
        model = Post
        fields = ["body"]

    def clean_body(self):
        return services.clean_body(self.cleaned_data["body"])


@admin.register(Post)
class PostAdmin(PostsByIPMixin, BoardScopedAdmin):
    form = PostAdminForm
    board_lookup = "thread__board"
    list_display = (
        "__str__",
        "thread_link",
        "floor",
        "author",
        "excerpt",
        "created_at",
        "is_deleted",
        "author_ip",
    )
    list_filter = ("thread__board", "is_deleted")
    list_select_related = ("thread", "author")
    search_fields = ("body", "author__username", "author_ip")
    date_hierarchy = "created_at"
    ordering = ("-id",)
    list_per_page = 50
    show_full_result_count = False
    fieldsets = (
        (None, {"fields": ("thread", "floor", "author", "body")}),
        (_("Rendered"), {"fields": ("rendered",)}),
        (
            _("History"),
            {
                "fields": (
                    "created_at",
                    "author_ip",
                    "edited_at",
                    "edited_by",
                    "edit_count",
                    "is_deleted",
                    "deleted_at",
                    "deleted_by",
                    "delete_reason",
                )
            },
        ),
    )
    readonly_fields = (
        "thread",
        "floor",
        "author",
        "rendered",
        "created_at",
        "author_ip",
        "edited_at",
        "edited_by",
        "edit_count",
        "is_deleted",
        "deleted_at",
        "deleted_by",
        "delete_reason",
    )
    action_form = ModerationActionForm
    actions = ("soft_delete", "restore", "split_to_new_thread")

    def board_of(self, obj) -> Board:
        return obj.thread.board

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("thread__board", "author")

    def has_add_permission(self, request):
        return False  # posts are written on the site, where floors are allocated

    def has_delete_permission(self, request, obj=None):
        return False  # soft delete (an action) keeps every counter exact

    @admin.display(description=_("thread"), ordering="thread__title")
    def thread_link(self, obj) -> str:
        url = reverse(
            "admin:forum_thread_change", args=[obj.thread_id], current_app=self.admin_site.name
        )
        return format_html('<a href="{}">{}</a>', url, Truncator(obj.thread.title).chars(40))

    @admin.display(description=_("excerpt"))
    def excerpt(self, obj) -> str:
        return Truncator(obj.text_public).chars(60)

    @admin.display(description=_("rendered"))
    def rendered(self, obj) -> str:
        # Stored HTML was sanitized by forum.markup at write time.
        return format_html('<div class="forum-post-preview">{}</div>', mark_safe(obj.html))

    def save_model(self, request, obj, form, change):
        """Save the body with edit_post, which re-renders the stored HTML."""
        if not change:
            raise PermissionDenied
        body = form.cleaned_data["body"]
        if body != form.initial.get("body"):
            services.edit_post(post=obj, editor=request.user, body=body)

    @admin.action(description=_("Delete selected posts (soft, can be restored)"))
    def soft_delete(self, request, queryset):
        reason = _reason(request)
        self.run_per_object(
            request,
            queryset,
            lambda p: mod_services.delete_post(post=p, actor=request.user, reason=reason),
            ngettext_lazy("%(count)d post deleted.", "%(count)d posts deleted.", "count"),
        )

    @admin.action(description=_("Restore selected deleted posts"))
    def restore(self, request, queryset):
        reason = _reason(request)
        self.run_per_object(
            request,
            queryset,
            lambda p: mod_services.restore_post(post=p, actor=request.user, reason=reason),
            ngettext_lazy("%(count)d post restored.", "%(count)d posts restored.", "count"),
        )

    split_to_new_thread = split_posts_action


# Moderation pages (issue 5): reports, approval queue, recycle bin, bans, the log.
from .moderation import admin as moderation_admin  # noqa: E402, F401
