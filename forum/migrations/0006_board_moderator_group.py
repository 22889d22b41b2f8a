"""The 版主 (board moderators) group, and admin access for existing board moderators.

See forum/moderation/staff.py: from now on a signal keeps both in step with
Board.moderators; this migration does the same once for the rows already there.
The permission list is a copy (migrations must not import code that changes later).
"""

from django.db import migrations

GROUP_NAME = "版主"
PERMISSIONS = [
    "view_board", "view_thread", "change_thread", "view_post", "change_post",
    "view_deletedthread", "change_deletedthread", "view_deletedpost", "change_deletedpost",
    "view_report", "change_report", "view_pendingpost", "change_pendingpost",
    "view_moderationlog", "view_ban", "add_ban", "change_ban", "view_tag",
]


def create_group(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    # Permissions of this app's new models are normally made after all migrations
    # ran (post_migrate); make them now so the group can hold them.
    forum_config = apps.get_app_config("forum")
    forum_config.models_module = True  # a stub has none; create_permissions wants one
    create_permissions(forum_config, apps=apps, verbosity=0)

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    Board = apps.get_model("forum", "Board")
    Grant = apps.get_model("forum", "ModeratorStaffGrant")

    group, _created = Group.objects.get_or_create(name=GROUP_NAME)
    group.permissions.set(Permission.objects.filter(
        content_type__app_label="forum", codename__in=PERMISSIONS))

    moderators = {u for b in Board.objects.prefetch_related("moderators")
                  for u in b.moderators.all()}
    for user in moderators:
        if user.is_superuser:
            continue
        user.groups.add(group)
        if not user.is_staff:
            Grant.objects.get_or_create(user_id=user.pk)
            type(user).objects.filter(pk=user.pk).update(is_staff=True)


def remove_group(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Grant = apps.get_model("forum", "ModeratorStaffGrant")
    User = Grant._meta.get_field("user").related_model
    User.objects.filter(pk__in=Grant.objects.values("user_id")).update(is_staff=False)
    Grant.objects.all().delete()
    Group.objects.filter(name=GROUP_NAME).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("forum", "0005_moderation_reports_bans_log"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
