"""Password hashers for members imported from Discuz! (UCenter), upgraded on first login.

UCenter keeps the real password in `pre_ucenter_members` (`pre_common_member.password`
is a random placeholder). Two generations exist:

| UCenter stores                                   | importer writes `User.password` as  |
|--------------------------------------------------|--------------------------------------|
| `password` = `$2y$10$…` (PHP `password_hash`,    | `discuz_bcrypt$$2y$10$…`             |
| bcrypt), `salt` empty — X3.5 installs, the fixture |                                    |
| `password` = 32 hex digits, `salt` = 6 chars:     | `discuz_md5$<salt>$<32 hex digits>`  |
| `md5(md5(password) + salt)` — older installs      |                                      |

`stored_password(password, salt)` builds that value from the two UCenter columns, so
the importer never spells the formats itself. Passwords are UTF-8 bytes (a UTF-8
Discuz; a GBK install hashed GBK bytes and would need its members to reset).

Both hashers say `must_update`, and neither is first in PASSWORD_HASHERS, so Django's
`check_password` re-hashes the password with the default hasher on the first
successful login (`User.check_password` saves it). They are never used to create hashes
for new passwords.
"""

from __future__ import annotations

import hashlib
import re

import bcrypt
from django.contrib.auth.hashers import BasePasswordHasher, mask_hash
from django.utils.crypto import constant_time_compare, get_random_string
from django.utils.translation import gettext_noop as _

# PHP's password_verify reads at most 72 bytes of the password; bcrypt 5 refuses more.
_BCRYPT_MAX_BYTES = 72
_BCRYPT_RE = re.compile(r"^\$2[abxy]\$\d\d\$[./A-Za-z0-9]{53}$")
_MD5_RE = re.compile(r"^[0-9a-f]{32}$")


def stored_password(password: str, salt: str) -> str:
    """`User.password` for one `pre_ucenter_members` row ('!' if it is neither form).

    '!…' is Django's unusable password: such a member signs in after a reset.
    """
    password = (password or "").strip()
    salt = salt or ""
    if _BCRYPT_RE.match(password):
        return f"{DiscuzBcryptHasher.algorithm}${password}"
    if _MD5_RE.match(password.lower()) and "$" not in salt:
        return f"{DiscuzMD5Hasher.algorithm}${salt}${password.lower()}"
    return "!discuz-unknown-hash"


class DiscuzBcryptHasher(BasePasswordHasher):
    """`discuz_bcrypt$<PHP $2y$ bcrypt hash>`: UCenter's password_hash() output."""

    algorithm = "discuz_bcrypt"
    library = "bcrypt"

    def encode(self, password, salt=None, rounds=10):
        # Only for tests and completeness: PHP writes $2y$, bcrypt writes $2b$ (same hash).
        hashed = bcrypt.hashpw(_bcrypt_bytes(password), bcrypt.gensalt(rounds))
        return f"{self.algorithm}$$2y{hashed.decode('ascii')[3:]}"

    def salt(self):
        return ""

    def decode(self, encoded):
        algorithm, _sep, hashed = encoded.partition("$")
        assert algorithm == self.algorithm
        return {"algorithm": algorithm, "hash": hashed, "salt": hashed[7:29]}

    def verify(self, password, encoded):
        hashed = self.decode(encoded)["hash"]
        if password is None or not _BCRYPT_RE.match(hashed):
            return False
        try:
            # checkpw compares in constant time.
            return bcrypt.checkpw(_bcrypt_bytes(password), hashed.encode("ascii"))
        except ValueError:  # a malformed salt or cost
            return False

    def safe_summary(self, encoded):
        decoded = self.decode(encoded)
        return {
            _("algorithm"): decoded["algorithm"],
            _("salt"): mask_hash(decoded["salt"]),
            _("hash"): mask_hash(decoded["hash"][29:]),
        }

    def must_update(self, encoded):
        return True

    def harden_runtime(self, password, encoded):
        pass  # the cost is in the stored hash; nothing to catch up on


class DiscuzMD5Hasher(BasePasswordHasher):
    """`discuz_md5$<salt>$<md5(md5(password) + salt)>`: older UCenter installs."""

    algorithm = "discuz_md5"

    def salt(self):
        return get_random_string(6)

    def encode(self, password, salt):
        if "$" in salt:
            raise ValueError("The salt may not contain '$'.")
        return f"{self.algorithm}${salt}${_discuz_md5(password, salt)}"

    def decode(self, encoded):
        algorithm, salt, hashed = (encoded.split("$", 2) + ["", ""])[:3]
        assert algorithm == self.algorithm
        return {"algorithm": algorithm, "hash": hashed, "salt": salt}

    def verify(self, password, encoded):
        decoded = self.decode(encoded)
        if password is None or not _MD5_RE.match(decoded["hash"]):
            return False
        return constant_time_compare(_discuz_md5(password, decoded["salt"]), decoded["hash"])

    def safe_summary(self, encoded):
        decoded = self.decode(encoded)
        return {
            _("algorithm"): decoded["algorithm"],
            _("salt"): mask_hash(decoded["salt"], show=2),
            _("hash"): mask_hash(decoded["hash"]),
        }

    def must_update(self, encoded):
        return True

    def harden_runtime(self, password, encoded):
        pass


def _bcrypt_bytes(password: str) -> bytes:
    return password.encode("utf-8")[:_BCRYPT_MAX_BYTES]


def _discuz_md5(password: str, salt: str) -> str:
    inner = hashlib.md5(password.encode("utf-8")).hexdigest()  # noqa: S324 - Discuz's format
    return hashlib.md5((inner + salt).encode("utf-8")).hexdigest()  # noqa: S324
