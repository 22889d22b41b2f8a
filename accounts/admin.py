"""Members in the admin: profiles, levels, credit rules and ledger, follows,
favorites, notifications and featured authors.

Profile counters (posts, threads, followers, following, unread notifications) are
kept by the services and rebuilt by `manage.py recount`, so they are read-only
here. Credits are read-only too: `Profile.credits` is the sum of the credit ledger,
so a change is a ledger entry ("Adjust credits" on a profile), never an edit of the
column. Avatars are only written by the avatar service (which re-encodes them);
the admin can remove one.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import credits as credit_rules
from . import levels, services
from .models import (
    CreditLog,
    CreditRule,
    Favorite,
    FeaturedAuthor,
    Follow,
    Level,
    Notification,
    Profile,
)

User = get_user_model()

PROFILE_COUNTERS = (
    "credits", "level", "post_count", "thread_count", "follower_count", "following_count",
    "unread_notification_count", "last_seen_at",
)
PROFILE_EDITABLE = ["custom_title", "bio", "signature"]


def _save_profile(profile: Profile) -> None:
    """Write only the editable texts (re-rendered by the service): a full save() would
    write back a stale copy of counters that other writes moved meanwhile."""
    if profile._state.adding:
        profile.save()
    else:
        services.save_profile(user=profile.user, bio=profile.bio, signature=profile.signature,
                              email_muted=profile.email_muted,
                              custom_title=profile.custom_title)


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    max_num = 1
    fields = (*PROFILE_EDITABLE, "avatar", *PROFILE_COUNTERS)
    readonly_fields = ("avatar", *PROFILE_COUNTERS)


class AdjustCreditsForm(forms.Form):
    amount = forms.IntegerField(label=gettext_lazy("Change"), help_text=gettext_lazy(
        "Positive to give, negative to take (never below the credit floor)."))
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200)

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if not amount:
            raise ValidationError(_("Enter a change other than zero."))
        if abs(amount) > 1_000_000:
            raise ValidationError(_("That change is too large."))
        return amount


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "level", "credits", "post_count", "thread_count", "follower_count",
                    "following_count")
    list_select_related = ("user", "level")
    list_filter = ("level",)
    search_fields = ("user__username", "user__email")
    ordering = ("-post_count", "user__username")
    autocomplete_fields = ("user",)
    fields = ("user", *PROFILE_EDITABLE, "avatar", *PROFILE_COUNTERS)
    readonly_fields = ("user", "avatar", *PROFILE_COUNTERS)
    actions = ["remove_avatars"]
    change_form_template = "admin/accounts/profile/change_form.html"

    def has_add_permission(self, request):
        return False  # every user gets one automatically (accounts.signals)

    def has_delete_permission(self, request, obj=None):
        return False  # a user without a profile would break every page they appear on

    def save_model(self, request, obj, form, change):
        _save_profile(obj)

    @admin.action(description=gettext_lazy("Remove the avatars of the selected members"))
    def remove_avatars(self, request, queryset):
        for profile in queryset.select_related("user"):
            services.remove_avatar(user=profile.user)
        self.message_user(request, _("Avatars removed."), messages.SUCCESS)

    def get_urls(self):
        return [
            path("<int:pk>/adjust-credits/", self.admin_site.admin_view(self.adjust_credits),
                 name="accounts_profile_adjust_credits"),
            *super().get_urls(),
        ]

    def adjust_credits(self, request, pk: int):
        profile = get_object_or_404(Profile.objects.select_related("user"), pk=pk)
        if not (request.user.is_staff and self.has_change_permission(request, profile)):
            raise PermissionDenied
        form = AdjustCreditsForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                applied = services.adjust_credits(
                    user=profile.user, amount=form.cleaned_data["amount"], actor=request.user,
                    note=form.cleaned_data["note"],
                )
            except (PermissionDenied, ValidationError) as error:
                form.add_error(None, str(error))
            else:
                self.message_user(request, _("Credits changed by %(n)+d.") % {"n": applied},
                                  messages.SUCCESS)
                return redirect(reverse("admin:accounts_profile_change", args=[pk]))
        return TemplateResponse(request, "admin/accounts/profile/adjust_credits.html", {
            **self.admin_site.each_context(request), "opts": self.model._meta,
            "profile": profile, "form": form, "title": _("Adjust credits"),
        })


@admin.register(Level)
class LevelAdmin(admin.ModelAdmin):
    list_display = ("display_name", "name", "min_credits")
    list_editable = ("min_credits",)
    list_display_links = ("display_name",)
    ordering = ("min_credits",)

    @admin.display(description=gettext_lazy("level"), ordering="name")
    def display_name(self, obj: Level) -> str:
        return obj.display_name

    # Members follow the ranges at once (no notification: nobody earned anything).
    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        levels.reassign_all()

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        levels.reassign_all()

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        levels.reassign_all()


@admin.register(CreditRule)
class CreditRuleAdmin(admin.ModelAdmin):
    list_display = ("action", "board", "amount", "cycle", "interval_minutes", "limit")
    list_filter = ("action", "cycle", "board")
    list_select_related = ("board",)
    fields = ("action", "board", "amount", "cycle", "interval_minutes", "limit")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        credit_rules.forget_rules()


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by the services only: listed and searchable, never edited here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CreditLog)
class CreditLogAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "user", "action", "kind", "amount", "balance", "thread",
                    "related_user", "note")
    list_filter = ("action", "kind")
    list_select_related = ("user", "thread", "related_user")
    search_fields = ("user__username", "note")
    date_hierarchy = "created_at"
    show_full_result_count = False


@admin.register(Follow)
class FollowAdmin(ReadOnlyAdmin):
    list_display = ("follower", "followee", "created_at")
    list_select_related = ("follower", "followee")
    search_fields = ("follower__username", "followee__username")
    show_full_result_count = False


@admin.register(Favorite)
class FavoriteAdmin(ReadOnlyAdmin):
    """Members' own lists, written only by them (accounts.favorites): staff may look
    (a support question, an import check), never edit."""

    list_display = ("created_at", "user", "thread")
    list_select_related = ("user", "thread")
    search_fields = ("user__username",)
    show_full_result_count = False


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "recipient", "kind", "actor", "thread", "read_at")
    list_filter = ("kind",)
    list_select_related = ("recipient", "actor", "thread")
    search_fields = ("recipient__username",)
    show_full_result_count = False


@admin.register(FeaturedAuthor)
class FeaturedAuthorAdmin(admin.ModelAdmin):
    list_display = ("user", "position", "blurb")
    list_editable = ("position", "blurb")
    list_select_related = ("user",)
    autocomplete_fields = ("user",)
    ordering = ("position", "id")


if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class ForumUserAdmin(UserAdmin):
    list_display = ("username", "email", "is_staff", "is_active", "date_joined", "post_count")
    list_select_related = ("profile",)
    date_hierarchy = "date_joined"

    def get_inlines(self, request, obj):
        # On the add page the post_save signal creates the profile; an inline there
        # would try to create a second one.
        return [ProfileInline] if obj is not None else []

    def save_formset(self, request, form, formset, change):
        if formset.model is not Profile:
            return super().save_formset(request, form, formset, change)
        for profile in formset.save(commit=False):
            _save_profile(profile)
        formset.save_m2m()
        return None

    @admin.display(
        description=Profile._meta.get_field("post_count").verbose_name,
        ordering="profile__post_count",
    )
    def post_count(self, obj) -> int:
        profile = getattr(obj, "profile", None)
        return profile.post_count if profile else 0
