"""Date filters are index tokens (year, month, day): the cover must be exact."""

from __future__ import annotations

import datetime

from hypothesis import given
from hypothesis import strategies as st

from forum.search.documents import date_tokens, day_token, month_token, year_token

days = st.dates(min_value=datetime.date(2001, 1, 1), max_value=datetime.date(2030, 12, 31))


def tokens_of(day: datetime.date) -> set[str]:
    """The date tokens a post written on `day` carries (forum.search.documents.build)."""
    return {year_token(day.year), month_token(day.year, day.month), day_token(day)}


@given(days, days, days)
def test_a_day_is_covered_exactly_when_it_is_in_the_range(start, end, probe):
    cover = set(date_tokens(start, end))
    assert bool(cover & tokens_of(probe)) == (start <= probe <= end)


@given(days, days)
def test_the_cover_is_small(start, end):
    # whole years and months collapse: at most ~30 days at each end plus months and years
    assert len(date_tokens(start, end)) <= 2 * 31 + 2 * 12 + (end.year - start.year + 1)


def test_whole_years_and_months_collapse():
    assert date_tokens(datetime.date(2022, 12, 30), datetime.date(2024, 2, 2)) == [
        day_token(datetime.date(2022, 12, 30)), day_token(datetime.date(2022, 12, 31)),
        year_token(2023), month_token(2024, 1),
        day_token(datetime.date(2024, 2, 1)), day_token(datetime.date(2024, 2, 2)),
    ]


def test_no_bounds_means_any_date():
    assert date_tokens(None, None) == []
