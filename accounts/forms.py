"""The profile settings form (custom title, bio, signature, avatar, email choices).

The form checks shapes only; the image itself is judged by the service
(accounts.avatars through accounts.services.save_profile), so the admin, a
command or a test get the same rules.
"""

from django import forms
from django.utils.translation import gettext_lazy as _

from . import avatars
from .models import Notification, Profile
from .notifications import EMAIL_KINDS

TEXT_LIMIT = Profile._meta.get_field("bio").max_length
TITLE_LIMIT = Profile._meta.get_field("custom_title").max_length


class ProfileForm(forms.Form):
    avatar = forms.FileField(
        label=_("Avatar"), required=False,
        help_text=_("JPEG, PNG, GIF or WebP, at most 5 MB; cropped to a square."),
        widget=forms.FileInput(attrs={"accept": "image/jpeg,image/png,image/gif,image/webp"}),
    )
    remove_avatar = forms.BooleanField(label=_("Remove my avatar"), required=False)
    custom_title = forms.CharField(
        label=_("Custom title"), required=False, max_length=TITLE_LIMIT,
        help_text=_("Shown under your name on your posts, beside your level."),
    )
    bio = forms.CharField(
        label=_("Bio"), required=False, max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Shown on your profile. Markdown is supported."),
    )
    signature = forms.CharField(
        label=_("Signature"), required=False, max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown under your posts. Markdown is supported."),
    )
    email_kinds = forms.MultipleChoiceField(
        label=_("Email me about"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=[(k, Notification.Kind(k).label) for k in EMAIL_KINDS],
    )

    def clean_avatar(self):
        upload = self.cleaned_data.get("avatar")
        if upload and upload.size > avatars.MAX_BYTES:
            # Refused before the service reads a byte of it.
            raise forms.ValidationError(_("The image is larger than 5 MB."))
        return upload

    def email_muted(self) -> list[str]:
        wanted = set(self.cleaned_data.get("email_kinds") or [])
        return [k for k in EMAIL_KINDS if k not in wanted]

    @classmethod
    def initial_for(cls, profile: Profile) -> dict:
        muted = set(profile.email_muted or [])
        return {
            "custom_title": profile.custom_title, "bio": profile.bio,
            "signature": profile.signature,
            "email_kinds": [k for k in EMAIL_KINDS if k not in muted],
        }
