"""Profiles: the page with its tabs, follow/unfollow, and the settings form.

Views parse the request, call one service and choose a response; every list is
fetched with its related rows in a fixed number of queries.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadhandler import FileUploadHandler, SkipFile
from django.core.paginator import Paginator
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_POST

from forum.models import Post, Thread
from forum.thread_page import get_thread_for, parse_page

from . import avatars, favorites, services
from .forms import ProfileForm
from .models import CreditLog, Follow, Level, Profile

PER_PAGE = 20
TABS = ("threads", "replies", "followers", "following", "credits", "favorites")


def _member(username: str):
    User = get_user_model()  # noqa: N806
    return get_object_or_404(
        User.objects.select_related("profile", "profile__level"),
        **{User.USERNAME_FIELD: username},
    )


def _can_see_credit_history(viewer, member) -> bool:
    """The member, and staff allowed to read the ledger (not every board moderator)."""
    if not viewer.is_authenticated:
        return False
    return viewer.pk == member.pk or viewer.has_perm("accounts.view_creditlog")


def _tab_rows(tab: str, member):
    if tab == "replies":
        return (Post.objects.live().filter(author=member, floor__gt=1)
                .select_related("thread", "thread__board").order_by("-created_at", "-id"))
    if tab == "followers":
        return (Follow.objects.filter(followee=member)
                .select_related("follower__profile__level").order_by("-created_at", "-id"))
    if tab == "following":
        return (Follow.objects.filter(follower=member)
                .select_related("followee__profile__level").order_by("-created_at", "-id"))
    if tab == "favorites":
        return favorites.favorites_of(member)
    if tab == "credits":
        return (CreditLog.objects.filter(user=member)
                .select_related("thread", "board", "related_user")
                .order_by("-created_at", "-id"))
    return (Thread.objects.live().filter(author=member)
            .select_related("board").order_by("-created_at", "-id"))


def _next_level(profile: Profile):
    """(next Level, credits still missing) or (None, 0) at the top."""
    for level in Level.objects.order_by("min_credits"):
        if level.min_credits > profile.credits:
            return level, level.min_credits - profile.credits
    return None, 0


def profile(request, username: str, tab: str = "threads"):
    member = _member(username)
    if tab == "credits" and not _can_see_credit_history(request.user, member):
        raise PermissionDenied(_("Only the member can see their credit history."))
    is_self = request.user.is_authenticated and request.user.pk == member.pk
    if tab == "favorites" and not is_self:
        # Discuz! shows a member's favorites to nobody else, staff included.
        raise PermissionDenied(_("Only the member can see their favorites."))
    page = Paginator(_tab_rows(tab, member), PER_PAGE).get_page(
        parse_page(request.GET.get("page")))
    next_level, missing = _next_level(member.profile)
    return render(request, "accounts/profile.html", {
        "member": member, "profile": member.profile, "tab": tab, "page": page,
        "is_self": is_self,
        "is_following": services.is_following(request.user, member),
        "can_see_credits": _can_see_credit_history(request.user, member),
        "next_level": next_level, "credits_missing": missing,
        # 回帖: posts that are not the opening post of a thread.
        "reply_count": max(member.profile.post_count - member.profile.thread_count, 0),
    })


def _wants_json(request) -> bool:
    return (request.headers.get("X-Requested-With") == "XMLHttpRequest"
            or "application/json" in request.headers.get("Accept", ""))


def _safe_next(request, fallback: str) -> str:
    url = request.POST.get("next") or ""
    if url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()},
                                       require_https=request.is_secure()):
        return url
    return fallback


def _log_in_first(request, message: str, back: str):
    """A guest's POST: 401 with the login URL for people.js, else the login page."""
    if _wants_json(request):
        return JsonResponse({"error": message, "login": reverse("account_login")}, status=401)
    return redirect_to_login(back)


@require_POST
def follow(request, username: str):
    member = _member(username)
    back = _safe_next(request, member.profile.get_absolute_url())
    if not request.user.is_authenticated:
        return _log_in_first(request, _("You need to log in to follow members."), back)
    unfollowing = request.POST.get("action") == "unfollow"
    error = None
    try:
        if unfollowing:
            services.unfollow(follower=request.user, followee=member)
        else:
            services.follow(follower=request.user, followee=member)
    except (PermissionDenied, ValidationError) as exc:
        error = exc.messages[0] if isinstance(exc, ValidationError) else str(exc)
    if _wants_json(request):
        counts = Profile.objects.filter(user=member).values(
            "following_count", "follower_count", "post_count").get()
        return JsonResponse({
            "following": services.is_following(request.user, member),
            "followers": counts["follower_count"], "error": error,
            # The author card's line, translated here as the template does.
            "summary": _("%(following)s following · %(followers)s followers · %(posts)s posts")
            % {"following": counts["following_count"], "followers": counts["follower_count"],
               "posts": counts["post_count"]},
        }, status=400 if error else 200)
    if error:
        messages.error(request, error)
    elif unfollowing:
        messages.success(request, _("You no longer follow %(name)s.") % {"name": username})
    else:
        messages.success(request, _("You now follow %(name)s.") % {"name": username})
    return redirect(back)


@require_POST
def favorite(request, thread_id: int):
    """收藏 / 已收藏: add or remove (action=remove); a form post, or in place with JS."""
    if not request.user.is_authenticated:
        return _log_in_first(request, _("You need to log in to keep favorites."),
                             _safe_next(request, reverse("forum:thread", args=[thread_id])))
    thread = get_thread_for(request.user, thread_id)
    back = _safe_next(request, thread.get_absolute_url())
    removing = request.POST.get("action") == "remove"
    error = None
    try:
        if removing:
            favorites.remove_favorite(user=request.user, thread=thread)
        else:
            favorites.add_favorite(user=request.user, thread=thread)
    except PermissionDenied as exc:
        error = str(exc)
    if _wants_json(request):
        return JsonResponse({"favorited": favorites.is_favorite(request.user, thread),
                             "error": error}, status=403 if error else 200)
    if error:
        messages.error(request, error)
    elif removing:
        messages.success(request, _("Removed from your favorites."))
    else:
        messages.success(request, _("Added to your favorites."))
    return redirect(back)


class _AvatarSizeLimit(FileUploadHandler):
    """Stops reading an avatar upload past the limit; the rest of the form still arrives."""

    def __init__(self, request=None):
        super().__init__(request)
        self.exceeded = False

    def receive_data_chunk(self, raw_data, start):
        if start + len(raw_data) > avatars.MAX_BYTES:
            self.exceeded = True
            raise SkipFile
        return raw_data

    def file_complete(self, file_size):
        return None


@csrf_exempt  # the upload handlers must be set before the body is read; see below
@login_required
@require_http_methods(["GET", "POST"])
def edit_profile(request, username: str):
    limit = _AvatarSizeLimit(request)
    request.upload_handlers.insert(0, limit)
    return _edit_profile(request, username, limit)


@csrf_protect
def _edit_profile(request, username: str, limit: _AvatarSizeLimit):
    if request.user.get_username() != username:
        raise PermissionDenied(_("You can only edit your own profile."))
    profile = Profile.objects.select_related("user").get(user=request.user)
    form = ProfileForm(request.POST or None, request.FILES or None,
                       initial=ProfileForm.initial_for(profile))
    if request.method == "POST":
        if limit.exceeded:
            form.is_valid()
            form.add_error("avatar", _("The image is larger than 5 MB."))
        elif form.is_valid():
            try:
                services.save_profile(
                    user=request.user, bio=form.cleaned_data["bio"],
                    signature=form.cleaned_data["signature"],
                    email_muted=form.email_muted(), avatar=form.cleaned_data["avatar"],
                    remove_avatar=form.cleaned_data["remove_avatar"],
                    custom_title=form.cleaned_data["custom_title"],
                )
            except ValidationError as error:
                field = "avatar" if getattr(error, "code", None) in avatars.ERROR_CODES else None
                for message in error.messages:
                    form.add_error(field, message)
            else:
                messages.success(request, _("Your profile has been saved."))
                return redirect("accounts:edit_profile", username=username)
    return render(request, "accounts/edit_profile.html", {
        "form": form, "profile": profile, "member": request.user,
    }, status=400 if form.errors else 200)
