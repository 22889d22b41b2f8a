"""Members in the admin: the profile inline on the user page and a profile list.

Profile counters (posts, threads, followers, following) are kept by the services
and rebuilt by `manage.py recount`, so they are read-only here. Credits are read-only
too: DESIGN.md makes `Profile.credits` the sum of the credit ledger, so a change
belongs in a ledger entry, not in this column.
"""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from .models import Profile

User = get_user_model()

PROFILE_COUNTERS = ("credits", "post_count", "thread_count", "follower_count", "following_count")
PROFILE_EDITABLE = ["avatar", "bio", "signature"]


def _save_profile(profile: Profile) -> None:
    """Write only the editable columns: a full save() would write back a stale copy
    of counters that replies committed meanwhile have moved."""
    if profile._state.adding:
        profile.save()
    else:
        profile.save(update_fields=PROFILE_EDITABLE)


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    max_num = 1
    fields = (*PROFILE_EDITABLE, *PROFILE_COUNTERS)
    readonly_fields = PROFILE_COUNTERS


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ("user", *PROFILE_COUNTERS)
    list_select_related = ("user",)
    search_fields = ("user__username", "user__email")
    ordering = ("-post_count", "user__username")
    autocomplete_fields = ("user",)
    fields = ("user", *PROFILE_EDITABLE, *PROFILE_COUNTERS)
    readonly_fields = ("user", *PROFILE_COUNTERS)

    def has_add_permission(self, request):
        return False  # every user gets one automatically (accounts.signals)

    def has_delete_permission(self, request, obj=None):
        return False  # a user without a profile would break every page they appear on

    def save_model(self, request, obj, form, change):
        _save_profile(obj)


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
