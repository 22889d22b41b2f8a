"""The people models in the admin: every page opens, credits change only through
ledger entries, levels and rules are editable, avatars only removable."""

from __future__ import annotations

import pytest

from accounts import services
from accounts.models import CreditLog, CreditRule, FeaturedAuthor, Profile
from tests.factories import make_reply, make_user
from tests.people_helpers import people_defaults  # noqa: F401

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("people_defaults")]


@pytest.fixture
def admin_client(client_for):
    return client_for(make_user("root", superuser=True))


@pytest.mark.parametrize("model", ["profile", "level", "creditrule", "creditlog", "follow",
                                   "notification", "featuredauthor"])
def test_every_people_changelist_opens(admin_client, thread, member, author, model):
    services.follow(follower=member, followee=author)
    make_reply(thread=thread, author=member)
    FeaturedAuthor.objects.create(user=author)
    assert admin_client.get(f"/admin/accounts/{model}/").status_code == 200


def test_adjusting_credits_in_the_admin_writes_a_ledger_entry(admin_client, member):
    profile = Profile.objects.get(user=member)
    url = f"/admin/accounts/profile/{profile.pk}/adjust-credits/"
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(url, {"amount": "25", "note": "版聚奖励"})
    assert response.status_code == 302
    entry = CreditLog.objects.get(user=member)
    assert (entry.amount, entry.note, entry.action) == (25, "版聚奖励", "adjust")
    assert Profile.objects.get(user=member).credits == 25


def test_a_zero_adjustment_is_a_form_error(admin_client, member):
    profile = Profile.objects.get(user=member)
    response = admin_client.post(f"/admin/accounts/profile/{profile.pk}/adjust-credits/",
                                 {"amount": "0", "note": "x"})
    assert response.status_code == 200 and not CreditLog.objects.exists()


def test_credits_and_counters_are_read_only_in_the_profile_form(admin_client, member):
    profile = Profile.objects.get(user=member)
    page = admin_client.get(f"/admin/accounts/profile/{profile.pk}/change/").content.decode()
    assert 'name="credits"' not in page and 'name="follower_count"' not in page
    assert 'name="avatar"' not in page  # avatars only through the re-encoding service
    assert "adjust-credits" in page


def test_editing_a_bio_in_the_admin_renders_it(admin_client, member):
    profile = Profile.objects.get(user=member)
    response = admin_client.post(f"/admin/accounts/profile/{profile.pk}/change/",
                                 {"bio": "**管理员改的**", "signature": ""})
    assert response.status_code == 302
    assert "<strong>管理员改的</strong>" in Profile.objects.get(pk=profile.pk).bio_html


def test_the_ledger_cannot_be_edited_in_the_admin(admin_client, member):
    services.adjust_credits(user=member, amount=5, actor=None)
    entry = CreditLog.objects.get(user=member)
    response = admin_client.post(f"/admin/accounts/creditlog/{entry.pk}/change/",
                                 {"amount": "500"})
    assert response.status_code in (200, 403)
    assert CreditLog.objects.get(pk=entry.pk).amount == 5
    assert admin_client.post(f"/admin/accounts/creditlog/{entry.pk}/delete/",
                             {"post": "yes"}).status_code == 403


def test_a_board_rule_for_a_site_wide_action_is_refused(admin_client, board):
    response = admin_client.post("/admin/accounts/creditrule/add/", {
        "action": "daily_login", "board": board.pk, "amount": "5", "cycle": "daily",
        "interval_minutes": "0", "limit": "1",
    })
    assert response.status_code == 200
    assert not CreditRule.objects.filter(board=board).exists()


def test_removing_an_avatar_from_the_admin(admin_client, member, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.people_helpers import image_bytes

    settings.MEDIA_ROOT = str(tmp_path)
    services.save_profile(user=member, bio="", signature="",
                          avatar=SimpleUploadedFile("a.png", image_bytes()))
    profile = Profile.objects.get(user=member)
    response = admin_client.post("/admin/accounts/profile/", {
        "action": "remove_avatars", "_selected_action": [profile.pk],
    })
    assert response.status_code == 302
    assert not Profile.objects.get(pk=profile.pk).avatar
