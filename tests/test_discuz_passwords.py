"""Discuz! (UCenter) password hashes: members log in with the old password, once upgraded."""

from __future__ import annotations

import hashlib
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import check_password, identify_hasher
from django.urls import reverse

from discuz import hashers
from discuz.hashers import DiscuzBcryptHasher, DiscuzMD5Hasher, stored_password
from forum import settings as project_settings
from tests.factories import make_user

# pre_ucenter_members rows of the fixture (../shared/fixtures/discuz-x35.md lists them).
FIXTURE_MEMBERS = [
    ("admin", "$2y$10$XN/tbYl5Ll1Zo4a/xiNd4O1iX3FRuIyadKABa2EFGj.FPgYHBqd9e", "bench-admin-1"),
    ("张伟", "$2y$10$ccMLJ3GPlK9I9eXrliEVH.TOyLnPmiZRgVCZjZNvDYVurhMFLQuU6", "bench-user-1"),
    ("高远", "$2y$10$amHIJG0p/YrUbwQMWdn2/u0ilhD9M8PyVYkXHdEJPO7ExQ9v/CCMy", "bench-user-20"),
    ("导入测试员", "$2y$10$PucqKt7ZY4otufjHbUxovuWWs1rOV8ogFiKxh2mdPMiyYTlZ2WrDG",
     "Pässwörd#测试1"),
]
ZHANG_HASH = FIXTURE_MEMBERS[1][1]
DISCUZ_HASHERS = ["discuz.hashers.DiscuzBcryptHasher", "discuz.hashers.DiscuzMD5Hasher"]


@pytest.fixture(autouse=True)
def _discuz_hashers(settings):
    # The suite's fast default (MD5) stays first; the Discuz hashers after it, as in settings.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher", *DISCUZ_HASHERS]


def old_md5(password: str, salt: str) -> str:
    """UCenter's older form, computed here independently: md5(md5(password) . salt)."""
    inner = hashlib.md5(password.encode()).hexdigest()  # noqa: S324
    return hashlib.md5((inner + salt).encode()).hexdigest()  # noqa: S324


# --- the formats -------------------------------------------------------------------------

def test_the_project_settings_list_the_discuz_hashers_after_django_s_default():
    listed = project_settings.PASSWORD_HASHERS
    assert listed[0] == "django.contrib.auth.hashers.PBKDF2PasswordHasher"
    assert listed[-2:] == DISCUZ_HASHERS


@pytest.mark.parametrize(("username", "ucenter_hash", "password"), FIXTURE_MEMBERS)
def test_fixture_bcrypt_hashes_verify_with_the_documented_passwords(username, ucenter_hash,
                                                                   password):
    encoded = stored_password(ucenter_hash, "")
    assert encoded == f"discuz_bcrypt${ucenter_hash}"
    assert isinstance(identify_hasher(encoded), DiscuzBcryptHasher)
    assert check_password(password, encoded)
    assert not check_password(password + "x", encoded)
    assert not check_password("", encoded)


def test_old_md5_form_verifies_and_rejects():
    encoded = stored_password(old_md5("bench-user-1", "a1b2c3"), "a1b2c3")
    assert encoded == f"discuz_md5$a1b2c3${old_md5('bench-user-1', 'a1b2c3')}"
    assert isinstance(identify_hasher(encoded), DiscuzMD5Hasher)
    assert check_password("bench-user-1", encoded)
    assert not check_password("bench-user-2", encoded)
    # The salt is part of the hash: the same digest under another salt is wrong.
    assert not check_password("bench-user-1", encoded.replace("a1b2c3", "a1b2c4", 1))


def test_md5_form_handles_non_ascii_passwords_and_uppercase_digests():
    digest = old_md5("Pässwörd#测试1", "zZ9xyz")
    assert check_password("Pässwörd#测试1", stored_password(digest.upper(), "zZ9xyz"))


def test_md5_comparison_is_constant_time():
    encoded = stored_password(old_md5("pw", "saltsa"), "saltsa")
    with mock.patch.object(hashers, "constant_time_compare",
                           wraps=hashers.constant_time_compare) as compare:
        assert check_password("pw", encoded)
        assert not check_password("wrong", encoded)
    assert compare.call_count == 2


def test_bcrypt_reads_72_bytes_of_a_long_password_as_php_does():
    long_password = "长" * 30  # 90 UTF-8 bytes: PHP's password_verify reads the first 72
    encoded = DiscuzBcryptHasher().encode(long_password, "", rounds=4)
    assert encoded.startswith("discuz_bcrypt$$2y$04$")
    assert check_password(long_password, encoded)
    assert check_password(long_password[:24], encoded)  # 72 bytes: the same to bcrypt
    assert not check_password(long_password[:23], encoded)


@pytest.mark.parametrize("encoded", [
    "discuz_bcrypt$",
    "discuz_bcrypt$$2y$10$short",
    "discuz_bcrypt$$2y$99$" + "a" * 53,  # impossible cost
    "discuz_bcrypt$$2y$10$" + "!" * 53,
    "discuz_bcrypt$" + ZHANG_HASH + "trailing",
    "discuz_md5$",
    "discuz_md5$salt",
    "discuz_md5$salt$nothex",
    "discuz_md5$salt$" + "0" * 31,
])
def test_malformed_stored_hashes_are_just_wrong_passwords(encoded):
    assert not check_password("bench-user-1", encoded)
    hasher = identify_hasher(encoded)
    assert hasher.safe_summary(encoded)  # the admin's password widget does not crash


@pytest.mark.parametrize(("password", "salt"), [
    ("", ""), ("plaintext", ""), ("$2y$10$tooshort", ""), ("0" * 32, "a$b"), (None, None),
])
def test_unrecognised_ucenter_rows_become_unusable_passwords(password, salt):
    encoded = stored_password(password, salt)
    assert encoded.startswith("!")
    user = get_user_model()(username="x", password=encoded)
    assert not user.has_usable_password()


def test_the_hashers_are_never_asked_to_hash_new_passwords(db):
    user = make_user(password="a new password 123")
    assert identify_hasher(user.password).algorithm == "md5"


# --- through the login form ------------------------------------------------------------------

def imported_member(username: str, encoded: str):
    user = make_user(username)
    get_user_model().objects.filter(pk=user.pk).update(password=encoded)
    return user


def log_in(client, login: str, password: str):
    return client.post(reverse("account_login"), {"login": login, "password": password})


def test_fixture_member_logs_in_with_the_old_password_and_is_upgraded(client, db, settings):
    settings.PASSWORD_HASHERS = project_settings.PASSWORD_HASHERS  # the real default: PBKDF2
    user = imported_member("张伟", stored_password(ZHANG_HASH, ""))

    response = log_in(client, "张伟", "bench-user-1")

    assert response.status_code == 302
    assert client.get("/").wsgi_request.user == user
    user.refresh_from_db()
    assert user.password.startswith("pbkdf2_sha256$")
    assert user.check_password("bench-user-1")


def test_old_md5_member_logs_in_and_is_upgraded(client, db):
    user = imported_member("老会员", stored_password(old_md5("旧密码-123", "Ab3dE6"), "Ab3dE6"))

    assert log_in(client, "老会员", "旧密码-123").status_code == 302

    user.refresh_from_db()
    assert identify_hasher(user.password).algorithm == "md5"  # this suite's default hasher
    assert client.get("/").wsgi_request.user == user


def test_wrong_password_is_refused_and_the_hash_is_kept(client, db):
    encoded = stored_password(ZHANG_HASH, "")
    user = imported_member("张伟", encoded)

    response = log_in(client, "张伟", "bench-user-2")

    assert response.status_code == 200  # the form again, with its error
    assert not client.get("/").wsgi_request.user.is_authenticated
    user.refresh_from_db()
    assert user.password == encoded


@pytest.mark.parametrize("encoded", ["discuz_bcrypt$$2y$10$broken", "discuz_md5$$zz"])
def test_malformed_imported_hash_at_the_login_form_is_a_refusal_not_a_500(client, db, encoded):
    imported_member("坏哈希", encoded)
    response = log_in(client, "坏哈希", "anything-at-all")
    assert response.status_code == 200
    assert not client.get("/").wsgi_request.user.is_authenticated
