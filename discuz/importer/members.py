"""Members: accounts, e-mail addresses, profiles, opening credit balances, staff, bans.

One Discuz! member becomes one User (the UCenter password hash kept as is, see
discuz.hashers), one allauth EmailAddress, one Profile (signature, custom title,
last visit, credits, level) and one opening ledger entry per Discuz! credit type, so that
`Profile.credits` is the ledger's sum and equals Discuz!'s own total (the number its
`[hide=N]` compares with). Everything is bulk-written; no signal fires, so nobody is
notified and no credit rule runs.
"""

from __future__ import annotations

import re

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from accounts import levels
from accounts.models import CreditAction, CreditLog, Profile
from accounts.services import render_short as render_signature
from discuz.hashers import stored_password
from forum.models import Ban
from forum.moderation.staff import moderator_group

from . import text
from .base import GUEST_USERNAME, Stage
from .mapping import Kind

User = get_user_model()

ADMIN_GROUP, SUPER_MODERATOR_GROUP = 1, 2
# Discuz! system groups that are bans: 禁止发言 (posting), 禁止访问 and 禁止 IP (access).
BAN_GROUPS = {4: Ban.Scope.POSTING, 5: Ban.Scope.ACCESS, 6: Ban.Scope.ACCESS}
CREDIT_TYPES = range(1, 9)
# What Django's username validator (and so our sign-up form) accepts: \w . @ + -
_NOT_IN_USERNAMES = re.compile(r"[^\w.@+-]")


class MemberStage(Stage):
    name = "members"
    kind = Kind.MEMBER

    def __init__(self, ctx):
        super().__init__(ctx)
        self.credit_names = text.credit_names(self.source.setting("extcredits"))

    def total(self) -> int:
        return self.source.count(["common_member"])

    def batches(self):
        t = self.source.table
        credits = ", ".join(f"c.extcredits{n}" for n in CREDIT_TYPES)
        sql = (
            f"SELECT m.uid, m.username, m.email, m.status, m.emailstatus, m.adminid, m.groupid, "
            f"m.groupexpiry, m.regdate, m.credits, s.lastvisit, s.lastactivity, f.sightml, "
            f"f.customstatus, "
            f"u.password AS uc_password, u.salt AS uc_salt, {credits} "
            f"FROM {t('common_member')} m "
            f"LEFT JOIN {t('common_member_status')} s ON s.uid = m.uid "
            f"LEFT JOIN {t('common_member_field_forum')} f ON f.uid = m.uid "
            f"LEFT JOIN {t('ucenter_members')} u ON u.uid = m.uid "
            f"LEFT JOIN {t('common_member_count')} c ON c.uid = m.uid "
            "WHERE {after}"
        )
        return self.source.batches(sql, "m.uid", size=self.ctx.batch_size)

    def old_id(self, row) -> int:
        return row["uid"]

    # --- writing ----------------------------------------------------------------------

    def write(self, rows) -> int:
        taken_names = self._existing_names(rows)
        taken_emails = self._existing_emails(rows)
        users, adopted = [], []
        for row in rows:
            name = (row["username"] or "").strip() or f"discuz{row['uid']}"
            email = (row["email"] or "").strip()
            allowed = _NOT_IN_USERNAMES.sub("_", name)
            if allowed != name:
                # Discuz! allows "/" and other signs our names (and profile URLs,
                # @mentions) do not; the member still signs in with the e-mail address.
                self.ctx.warn(
                    _("Discuz! member %(name)s (uid %(uid)s) was renamed %(new)s: the name "
                      "has characters user names here cannot have.")
                    % {"name": name, "uid": row["uid"], "new": allowed}
                )
                name = allowed
            existing = taken_names.get(name.lower())
            if existing is not None:
                if email and existing[0] is not None and existing[1].lower() == email.lower():
                    # The same person registered here already (often the admin): map to them.
                    adopted.append((row, existing[0]))
                    continue
                self.ctx.warn(
                    _("Discuz! member %(name)s (uid %(uid)s) was renamed %(new)s: "
                      "the name is taken.")
                    % {"name": name, "uid": row["uid"], "new": f"{name}_dz{row['uid']}"}
                )
                name = f"{name}_dz{row['uid']}"
            if email and email.lower() in taken_emails:
                self.ctx.warn(
                    _("Discuz! member %(name)s (uid %(uid)s) comes without an e-mail address: "
                      "%(email)s is already used.")
                    % {"name": name, "uid": row["uid"], "email": email}
                )
                email = ""
            if email:
                taken_emails.add(email.lower())
            taken_names[name.lower()] = (None, email)
            users.append((row, self._user(row, name, email)))
        User.objects.bulk_create([u for _row, u in users])
        for row, user_id in adopted:
            self.mapping.add(Kind.MEMBER, row["uid"], user_id)
        for row, user in users:
            self.mapping.add(Kind.MEMBER, row["uid"], user.pk)
        self._profiles(users)
        EmailAddress.objects.bulk_create([
            EmailAddress(user=user, email=user.email, primary=True,
                         verified=bool(row["emailstatus"]))
            for row, user in users if user.email
        ])
        self._staff_groups(users)
        self._bans(users)
        return len(users) + len(adopted)

    def _existing_names(self, rows) -> dict[str, tuple[int | None, str]]:
        names = {(r["username"] or "").strip().lower() for r in rows} | {GUEST_USERNAME}
        found = User.objects.annotate(lname=Lower("username")).filter(lname__in=names)
        return {u.username.lower(): (u.pk, u.email or "") for u in found}

    def _existing_emails(self, rows) -> set[str]:
        emails = {(r["email"] or "").strip().lower() for r in rows} - {""}
        found = set(
            EmailAddress.objects.annotate(le=Lower("email")).filter(le__in=emails)
            .values_list("le", flat=True)
        )
        found |= set(
            User.objects.annotate(le=Lower("email")).filter(le__in=emails)
            .values_list("le", flat=True)
        )
        return found

    def _user(self, row, name: str, email: str):
        group = row["groupid"]
        admin = group == ADMIN_GROUP or row["adminid"] == 1
        return User(
            username=name[:150],
            email=email,
            password=stored_password(row["uc_password"] or "", row["uc_salt"] or ""),
            date_joined=text.when(row["regdate"]) or self.ctx.now,
            is_active=row["status"] != -1,  # -1: the account is locked in Discuz!
            is_staff=admin or group == SUPER_MODERATOR_GROUP or row["adminid"] == 2,
            is_superuser=admin,
        )

    def _profiles(self, users) -> None:
        table = levels.all_levels()
        profiles, ledger = [], []
        for row, user in users:
            total = int(row["credits"] or 0)
            signature = text.signature(row["sightml"] or "")
            seen = [t for t in (text.when(row["lastvisit"]), text.when(row["lastactivity"])) if t]
            profiles.append(Profile(
                user=user, credits=total, level_id=levels.level_id_for(total, table),
                signature=signature, signature_html=render_signature(signature),
                custom_title=text.custom_title(row["customstatus"] or ""),
                last_seen_at=max(seen) if seen else None,
            ))
            ledger += self._opening_balance(row, user, total)
        Profile.objects.bulk_create(profiles)
        CreditLog.objects.bulk_create(ledger)

    def _opening_balance(self, row, user, total: int) -> list[CreditLog]:
        """One entry per credit type the member holds, then one for the rest of Discuz!'s
        total (its formula also counts posts and digests), so the entries sum to it."""
        at = user.date_joined
        entries, balance = [], 0
        for n in CREDIT_TYPES:
            amount = int(row.get(f"extcredits{n}") or 0)
            if not amount:
                continue
            balance += amount
            label = self.credit_names.get(n) or f"extcredits{n}"
            entries.append((amount, balance, _("Discuz! credits: %(name)s") % {"name": label}))
        if total != balance:
            entries.append((total - balance, total,
                            _("Discuz! total credits (its formula: posts, digests, weights)")))
        return [
            CreditLog(user=user, action=CreditAction.ADJUST, kind=CreditLog.Kind.ADJUSTMENT,
                      amount=amount, balance=running, created_at=at, note=note[:200])
            for amount, running, note in entries
        ]

    def _staff_groups(self, users) -> None:
        # Super moderators moderate every board; the 版主 group opens the console to them.
        supers = [u for row, u in users if u.is_staff and not u.is_superuser]
        if supers:
            moderator_group().user_set.add(*supers)

    def _bans(self, users) -> None:
        banned = [(row, u) for row, u in users if row["groupid"] in BAN_GROUPS]
        if not banned:
            return
        reasons = {}
        if self.source.has("common_member_crime"):
            uids = ",".join(str(int(row["uid"])) for row, _u in banned)
            for crime in self.source.query(
                f"SELECT uid, operatorid, reason, dateline FROM "
                f"{self.source.table('common_member_crime')} WHERE uid IN ({uids}) ORDER BY cid"
            ):
                reasons[crime["uid"]] = crime  # the latest one wins
        bans = []
        for row, user in banned:
            crime = reasons.get(row["uid"], {})
            bans.append(Ban(
                user=user, scope=BAN_GROUPS[row["groupid"]],
                reason=(crime.get("reason") or _("Banned in Discuz!"))[:200],
                created_at=text.when(crime.get("dateline")) or self.ctx.now,
                created_by_id=self.mapping.get(Kind.MEMBER, crime.get("operatorid") or -1),
                expires_at=text.when(row["groupexpiry"]),
            ))
        Ban.objects.bulk_create(bans)
        for (row, _user), ban in zip(banned, bans, strict=True):
            self.mapping.add(Kind.BAN, row["uid"], ban.pk)


class AvatarStage(Stage):
    """Avatars from Discuz!'s files (`--attachments DIR`), through our avatar pipeline.

    UCenter keeps `uc_server/data/avatar/000/00/00/01_avatar_big.jpg` for uid 1; each
    image is decoded with our allowlist and caps and re-encoded (accounts.avatars),
    exactly as an upload. A file that is not an acceptable image is skipped with a
    warning.
    """

    name = "avatars"
    kind = Kind.AVATAR

    def enabled(self) -> bool:
        return self.ctx.attachments_dir is not None

    def _root(self):
        base = self.ctx.attachments_dir
        for candidate in (base / "uc_server" / "data" / "avatar", base / "data" / "avatar", base):
            if candidate.is_dir():
                return candidate
        return base

    def total(self) -> int:
        return MemberStage.total(self)

    def batches(self):
        return self.source.batches(
            f"SELECT uid FROM {self.source.table('common_member')} WHERE {{after}}", "uid",
            size=self.ctx.batch_size)

    def old_id(self, row) -> int:
        return row["uid"]

    def fresh(self, rows):
        # Only members with a file: --dry-run then counts avatars, not members.
        root = self._root()
        return [r for r in super().fresh(rows) if (root / self.path_of(r["uid"])).is_file()]

    @staticmethod
    def path_of(uid: int) -> str:
        digits = f"{int(uid):09d}"
        return f"{digits[:3]}/{digits[3:5]}/{digits[5:7]}/{digits[7:]}_avatar_big.jpg"

    def write(self, rows) -> int:
        from django.core.exceptions import ValidationError

        from accounts import avatars

        root = self._root()
        stored: list[str] = []
        profiles = []
        try:
            for row in rows:
                user_id = self.mapping.get(Kind.MEMBER, row["uid"])
                path = root / self.path_of(row["uid"])
                if user_id is None or not path.is_file():
                    continue
                try:
                    with path.open("rb") as handle:
                        name = avatars.store(*avatars.encode(avatars.open_image(handle)))
                except ValidationError as exc:
                    self.ctx.warn(_("Avatar of Discuz! uid %(uid)s skipped: %(error)s")
                                  % {"uid": row["uid"], "error": " ".join(exc.messages)})
                    continue
                stored.append(name)
                profiles.append(Profile(user_id=user_id, avatar=name))
                self.mapping.add(Kind.AVATAR, row["uid"], user_id)
            for profile in profiles:
                Profile.objects.filter(user_id=profile.user_id).update(avatar=profile.avatar.name)
        except BaseException:
            for name in stored:  # nothing points at them: the batch rolls back
                avatars.delete_files(name)
            raise
        return len(profiles)
