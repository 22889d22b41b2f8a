"""/search/: parse the form, run one search, render the page."""

from __future__ import annotations

from django.shortcuts import render

from ..models import Board
from ..thread_page import parse_page
from . import query
from .forms import SCOPE_ALL, SearchForm


def search(request):
    boards = list(
        Board.objects.order_by("category__position", "category_id", "position", "id")
        .only("pk", "name", "slug", "parent_id")
    )
    data = None
    if request.GET:
        data = request.GET.copy()
        data.setdefault("scope", SCOPE_ALL)
    form = SearchForm(data, boards=boards)
    results = None
    if form.is_bound and form.is_valid():
        results = query.search(form.criteria(), page=parse_page(request.GET.get("page")))
    return render(request, "forum/search.html", {
        "form": form, "results": results, "q": form.data.get("q", "") if form.is_bound else "",
    })
