"""Make sure an administrator exists; print new credentials once, store none.

`make run` calls this on every start: the first run creates `admin` with a random
password and shows it on the terminal (the only place it ever appears: the
database keeps the hash); later runs say how to reset it instead.
"""

import secrets

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

USERNAME = "admin"
EMAIL = "admin@example.com"


class Command(BaseCommand):
    help = "Create a superuser 'admin' with a random password if there is no superuser."

    def handle(self, *args, **options):
        User = get_user_model()
        with transaction.atomic():
            existing = User.objects.filter(is_superuser=True).order_by("pk").first()
            if existing is None:
                username = USERNAME
                # A member may have signed up as "admin" already; never take over
                # their account, pick a free name instead.
                while User.objects.filter(username=username).exists():
                    username = f"{USERNAME}_{secrets.token_hex(2)}"
                password = secrets.token_urlsafe(12)
                User.objects.create_superuser(username, EMAIL, password)
        if existing is not None:
            name = existing.get_username()
            self.stdout.write(
                f"管理员账号已存在 / an admin account already exists: {name}\n"
                f"重置密码 / to reset its password: "
                f"python manage.py changepassword {name}"
            )
            return
        bar = "=" * 64
        self.stdout.write(bar)
        self.stdout.write(self.style.SUCCESS(
            f"管理员账号 / admin account: {username}  密码 / password: {password}"
        ))
        self.stdout.write(
            "请立即记下，密码不会再次显示 / write it down now, it is not shown again.\n"
            "后台 / admin site: http://127.0.0.1:8000/admin/"
        )
        self.stdout.write(bar)
