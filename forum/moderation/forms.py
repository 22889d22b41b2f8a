"""Forms of the moderator toolbar, the report form and the rate-limited admin login."""

from __future__ import annotations

import contextlib
import re
from datetime import timedelta

from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import permissions
from ..models import Thread
from . import bans, ratelimit
from .models import Ban, ReportEntry


class ReasonField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Reason"))
        kwargs.setdefault("required", False)
        kwargs.setdefault("max_length", 200)
        kwargs.setdefault("widget", forms.TextInput(attrs={
            "placeholder": _("Reason (optional)"), "maxlength": 200,
            "class": "mod-reason", "aria-label": _("Reason"),
        }))
        super().__init__(**kwargs)


class ModerationForm(forms.Form):
    """Every toolbar form: an optional reason, told to the author and logged."""

    reason = ReasonField()

    def __init__(self, *args, user=None, thread: Thread | None = None, boards=(), **kwargs):
        self.user, self.thread = user, thread
        super().__init__(*args, **kwargs)


class StickForm(ModerationForm):
    level = forms.TypedChoiceField(label=_("Sticky"), coerce=int, choices=Thread.Sticky.choices)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        choices = Thread.Sticky.choices
        if not permissions.is_global_moderator(self.user):
            choices = [c for c in choices if c[0] != Thread.Sticky.GLOBAL]
        self.fields["level"].choices = choices
        if self.thread is not None:
            self.fields["level"].initial = self.thread.sticky


class DigestForm(ModerationForm):
    digest = forms.BooleanField(required=False, widget=forms.HiddenInput)


class HighlightForm(ModerationForm):
    color = forms.ChoiceField(label=_("Title highlight"), choices=Thread.Highlight.choices,
                              required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.thread is not None:
            self.fields["color"].initial = self.thread.highlight


class CloseForm(ModerationForm):
    closed = forms.BooleanField(required=False, widget=forms.HiddenInput)


class MoveForm(ModerationForm):
    """Board choices come as a list (evaluated by the caller): rendering never queries."""

    board = forms.TypedChoiceField(label=_("Move to"), coerce=int)
    leave_redirect = forms.BooleanField(label=_("Leave a “moved” notice in the old board"),
                                        required=False, initial=True)

    def __init__(self, *args, boards=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.boards = {b.pk: b for b in boards}
        current = self.thread.board_id if self.thread is not None else None
        self.fields["board"].choices = [
            (b.pk, f"{b.category.name} › {b.name}") for b in boards if b.pk != current
        ]

    def clean_board(self):
        board = self.boards.get(self.cleaned_data["board"])
        if board is None:
            raise ValidationError(_("Choose one of the boards you moderate."))
        return board


_THREAD_REF = re.compile(r"(?:/t/)?(\d{1,18})/?(?:[?#].*)?$")


class MergeForm(ModerationForm):
    source = forms.CharField(
        label=_("Merge into this thread"), max_length=300,
        help_text=_("The number or address of the other thread; its posts join this one."),
        widget=forms.TextInput(attrs={"placeholder": _("Number or address of the other thread")}),
    )

    def clean_source(self):
        match = _THREAD_REF.search(self.cleaned_data["source"].strip())
        if not match:
            raise ValidationError(_("Enter a thread number, or paste the thread's address."))
        thread = Thread.objects.select_related("board").filter(pk=int(match.group(1))).first()
        if thread is None:
            raise ValidationError(_("There is no thread number %(id)s.")
                                  % {"id": match.group(1)})
        if self.thread is not None and thread.pk == self.thread.pk:
            raise ValidationError(_("A thread cannot be merged into itself."))
        return thread


class SplitForm(ModerationForm):
    title = forms.CharField(
        label=_("Title of the new thread"), max_length=200,
        widget=forms.TextInput(attrs={"placeholder": _("Title of the new thread")}),
    )
    posts = forms.TypedMultipleChoiceField(coerce=int, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any post id is a candidate here; the service checks they are in the thread.
        data = self.data.getlist("posts") if hasattr(self.data, "getlist") else []
        self.fields["posts"].choices = [(v, v) for v in data if str(v).isdigit()]

    def clean_posts(self):
        posts = self.cleaned_data["posts"]
        if not posts:
            raise ValidationError(_("Tick the floors to split off first."))
        return posts


class ReportForm(forms.Form):
    reason = forms.ChoiceField(label=_("Reason"), choices=ReportEntry.Reason.choices,
                               widget=forms.RadioSelect)
    detail = forms.CharField(
        label=_("Details"), required=False, max_length=500,
        widget=forms.Textarea(attrs={"rows": 4, "maxlength": 500}),
        help_text=_("Optional, except for “Other”. Moderators read this."),
    )

    def clean(self):
        data = super().clean()
        if data.get("reason") == ReportEntry.Reason.OTHER and not data.get("detail", "").strip():
            self.add_error("detail", _("Please describe the problem."))
        return data


class BanForm(forms.ModelForm):
    """The admin's "add ban" form: a duration instead of a date, and the member's id."""

    DURATIONS = [
        ("1", _("1 day")), ("3", _("3 days")), ("7", _("7 days")), ("30", _("30 days")),
        ("365", _("1 year")), ("", _("Until lifted")),
    ]
    duration = forms.ChoiceField(label=_("Duration"), choices=DURATIONS, initial="7",
                                 required=False)

    actor = None  # the admin sets the acting moderator on a subclass (get_form)

    class Meta:
        model = Ban
        fields = ["user", "scope", "reason"]

    def clean(self):
        data = super().clean()
        days = data.get("duration")
        data["expires_at"] = timezone.now() + timedelta(days=int(days)) if days else None
        if data.get("user") and data.get("scope") and "reason" in data:
            try:
                data["reason"] = bans.validate_ban(
                    user=data["user"], actor=self.actor, scope=data["scope"],
                    reason=data["reason"], expires_at=data["expires_at"],
                )
            except (ValidationError, PermissionDenied) as error:
                messages = error.messages if isinstance(error, ValidationError) else [str(error)]
                raise ValidationError(messages) from None
        return data


# --- the Django admin's login, rate limited --------------------------------------------

class RateLimitedAdminLoginForm(AdminAuthenticationForm):
    """The admin login with allauth-like limits on failures (allauth does not cover it).

    Failures count per IP and login name (FORUM_RATE_LIMITS["admin_login"]) and per
    IP (["admin_login_ip"]); past either, the form refuses without checking the
    password. A success clears the name's count. Members banned from the site are
    refused with the ban's reason.
    """

    def _idents(self) -> list[tuple[str, str]]:
        ip = ratelimit.client_ip(self.request) if self.request is not None else "unknown"
        name = (self.data.get("username") or "").strip().lower()
        return [("admin_login", f"{ip}|{name}"), ("admin_login_ip", ip)]

    def clean(self):
        for limit, ident in self._idents():
            ratelimit.check(limit, ident)  # RateLimited is a ValidationError
        try:
            cleaned = super().clean()
        except ValidationError:
            for limit, ident in self._idents():
                with contextlib.suppress(ratelimit.RateLimited):
                    ratelimit.hit(limit, ident)
            raise
        ratelimit.reset(*self._idents()[0])
        return cleaned

    def confirm_login_allowed(self, user):
        super().confirm_login_allowed(user)
        ban = bans.active_ban(user, scope=Ban.Scope.ACCESS)
        if ban is not None:
            raise ValidationError(bans.describe(ban), code="banned")

