"""The search form: words, board, author, dates, threads only / all posts."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ..models import Board
from .query import Criteria
from .tokenizer import MAX_QUERY_LENGTH, parse_query

SCOPE_ALL = "all"
SCOPE_THREADS = "threads"


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search for"), required=False, max_length=MAX_QUERY_LENGTH,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )
    board = forms.ChoiceField(label=_("Board"), required=False)
    author = forms.CharField(label=_("Author"), required=False, max_length=150)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}),
    )
    scope = forms.ChoiceField(
        label=_("Search in"), required=False, initial=SCOPE_ALL, widget=forms.RadioSelect,
        choices=[(SCOPE_ALL, _("All posts")), (SCOPE_THREADS, _("Threads only"))],
    )

    def __init__(self, *args, boards: list[Board], **kwargs):
        super().__init__(*args, **kwargs)
        self.boards = boards
        children: dict[int, list[Board]] = {}
        for b in boards:
            if b.parent_id:
                children.setdefault(b.parent_id, []).append(b)
        self._children = children
        choices = [("", _("All boards"))]
        for board, depth in self._tree([b for b in boards if not b.parent_id], 0):
            choices.append((board.slug, "\u3000" * depth + board.name))
        self.fields["board"].choices = choices

    def _tree(self, level: list[Board], depth: int):
        """Boards in navigation order, each followed by its sub-boards, with depth."""
        for board in level:
            yield board, depth
            if depth < 10:  # a parent loop in the data must not hang the page
                yield from self._tree(self._children.get(board.pk, []), depth + 1)

    def clean_author(self):
        name = self.cleaned_data["author"].strip()
        if not name:
            return None
        User = get_user_model()
        user = User.objects.filter(**{User.USERNAME_FIELD: name}).only("pk").first()
        if user is None:
            raise ValidationError(_("No member is called %(name)s."), params={"name": name},
                                  code="no_such_author")
        return user

    def clean(self):
        data = super().clean()
        q = data.get("q") or ""
        data["phrases"] = parse_query(q)
        if q.strip() and not data["phrases"]:
            self.add_error("q", ValidationError(
                _("Search for at least one letter, digit or Chinese character."),
                code="no_words"))
        elif not q.strip() and not data.get("author") and "author" not in self.errors:
            self.add_error("q", ValidationError(
                _("Enter the words to search for, or an author."), code="empty"))
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", ValidationError(
                _("The end date is before the start date."), code="date_order"))
        return data

    def criteria(self) -> Criteria:
        data = self.cleaned_data
        board_ids: list[int] = []
        if data.get("board"):
            chosen = next((b for b in self.boards if b.slug == data["board"]), None)
            if chosen is not None:
                board_ids = [b.pk for b, _depth in self._tree([chosen], 0)]
        author = data.get("author")
        return Criteria(
            phrases=data["phrases"],
            board_ids=board_ids,
            author_id=author.pk if author else None,
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            threads_only=data.get("scope") == SCOPE_THREADS,
        )
