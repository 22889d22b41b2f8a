"""Discuz!'s default levels and credit rules; existing members get their level, any
balance they already had becomes an opening entry in the ledger (so that
Profile.credits is the ledger's sum from the start), and bios and signatures get
their rendered HTML."""

from django.db import migrations
from django.utils import timezone

LEVELS = [
    ("Newcomer", 0),  # 新手上路
    ("Registered member", 50),  # 注册会员
    ("Intermediate member", 200),  # 中级会员
    ("Senior member", 500),  # 高级会员
    ("Gold member", 1000),  # 金牌会员
    ("Forum veteran", 3000),  # 论坛元老
]
RULES = [
    # action, amount, cycle, interval minutes, times per cycle
    ("new_thread", 2, "unlimited", 0, 1),
    ("reply", 1, "daily", 0, 50),
    ("digest", 10, "unlimited", 0, 1),
    ("daily_login", 2, "daily", 0, 1),
    ("followed", 1, "daily", 0, 20),
    ("post_deleted", -3, "unlimited", 0, 1),
]


def _render(text: str) -> str:
    from forum import markup  # the pipeline of the time; `rerender`-like, run once

    text = (text or "").strip()
    source = markup.public_source(text) if text else ""
    return markup.render_fragment(source) if source.strip() else ""


def forwards(apps, schema_editor):
    Level = apps.get_model("accounts", "Level")
    CreditRule = apps.get_model("accounts", "CreditRule")
    CreditLog = apps.get_model("accounts", "CreditLog")
    Profile = apps.get_model("accounts", "Profile")
    if not Level.objects.exists():
        Level.objects.bulk_create([Level(name=n, min_credits=m) for n, m in LEVELS])
    if not CreditRule.objects.exists():
        CreditRule.objects.bulk_create([
            CreditRule(action=a, amount=amount, cycle=c, interval_minutes=i, limit=limit)
            for a, amount, c, i, limit in RULES
        ])
    levels = list(Level.objects.order_by("min_credits").values_list("min_credits", "pk"))
    now = timezone.now()
    opening = []
    for profile in Profile.objects.all().only("pk", "user_id", "credits", "bio", "signature"):
        level_id = levels[0][1]
        for minimum, pk in levels:
            if profile.credits >= minimum:
                level_id = pk
        Profile.objects.filter(pk=profile.pk).update(
            level_id=level_id, bio_html=_render(profile.bio),
            signature_html=_render(profile.signature),
        )
        if profile.credits:
            opening.append(CreditLog(
                user_id=profile.user_id, action="adjust", kind="adjustment",
                amount=profile.credits, balance=profile.credits, created_at=now,
                note="opening balance",
            ))
    CreditLog.objects.bulk_create(opening)


class Migration(migrations.Migration):

    dependencies = [
        ("accounts", "0002_people_follows_credits_levels_notifications"),
    ]

    operations = [
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
