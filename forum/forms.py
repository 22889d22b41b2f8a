"""Forms: validation at the request boundary; the services validate again."""

from __future__ import annotations

import uuid

from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from . import services
from .tags import normalize_tag_names, split_tag_input


class SubmitTokenMixin(forms.Form):
    """A one-time token so that submitting the same form twice creates one post."""

    token = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("token", uuid.uuid4().hex)


class BodyField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("label", _("Content"))
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 12, "class": "editor"}))
        super().__init__(strip=False, **kwargs)

    def clean(self, value):
        value = super().clean(value)
        return services.clean_body(value)


class TitleField(forms.CharField):
    def __init__(self, **kwargs):
        super().__init__(
            label=_("Title"), max_length=None,
            widget=forms.TextInput(attrs={
                "maxlength": settings.FORUM_TITLE_MAX_LENGTH, "class": "title-input",
                "autocomplete": "off",
            }),
            **kwargs,
        )

    def clean(self, value):
        return services.clean_title(super().clean(value))


class TagsField(forms.CharField):
    def __init__(self, **kwargs):
        super().__init__(
            label=_("Tags"), required=False, max_length=200,
            help_text=_("Separate tags with commas or spaces, at most %(n)d.")
            % {"n": settings.FORUM_MAX_TAGS},
            **kwargs,
        )

    def clean(self, value):
        return normalize_tag_names(split_tag_input(super().clean(value)))


class ThreadForm(SubmitTokenMixin):
    title = TitleField()
    body = BodyField()
    tags = TagsField()


class ReplyForm(SubmitTokenMixin):
    body = BodyField(label=_("Reply"))


class EditForm(forms.Form):
    title = TitleField(required=False)
    body = BodyField()
    tags = TagsField()

    def __init__(self, *args, opening: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if opening:
            self.fields["title"].required = True
        else:
            del self.fields["title"]
            del self.fields["tags"]
