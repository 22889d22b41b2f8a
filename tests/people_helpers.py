"""Shared pieces of the people tests (tests/test_people_*.py).

Default levels and credit rules come from a data migration, which a transactional
test elsewhere in the run may have flushed away; `people_defaults` puts them back.
"""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.core.cache import cache
from PIL import Image

from accounts import credits, levels, sidebar
from accounts.models import CreditLog, CreditRule, Profile


@pytest.fixture
def people_defaults(db):
    levels.ensure_defaults()
    credits.ensure_default_rules()
    sidebar.forget()
    cache.clear()


def english(client):
    """Read pages in English (new strings are translated when the catalogue is merged)."""
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def set_rule(action: str, *, amount: int, cycle: str = "unlimited", limit: int = 1,
             minutes: int = 0, board=None) -> CreditRule:
    rule, _created = CreditRule.objects.update_or_create(
        action=action, board=board,
        defaults={"amount": amount, "cycle": cycle, "limit": limit,
                  "interval_minutes": minutes},
    )
    credits.forget_rules()
    return rule


def balance(user) -> int:
    return Profile.objects.get(user=user).credits


def ledger_sum(user) -> int:
    return sum(CreditLog.objects.filter(user=user).values_list("amount", flat=True))


def image_bytes(fmt: str = "PNG", size=(64, 48), color=(200, 40, 40), **save) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, fmt, **save)
    return out.getvalue()
