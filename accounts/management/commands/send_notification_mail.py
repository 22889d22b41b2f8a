"""Send the notification emails still pending (see accounts.notifications).

Each notice's email is normally sent right after the commit that created it; this
sends what that missed (the process stopped, the mail server refused). Safe to run
from cron or a timer while the site runs: rows are claimed with SKIP LOCKED and a
notice is mailed once.
"""

from django.core.management.base import BaseCommand

from accounts.models import Notification
from accounts.notifications import send_pending


class Command(BaseCommand):
    help = "Send the pending notification emails; report how many were settled."

    def add_arguments(self, parser):
        parser.add_argument("--batch", type=int, default=500,
                            help="notices per transaction (default 500)")

    def handle(self, *args, batch: int, **options):
        total = 0
        while True:
            done = send_pending(limit=max(1, batch))
            total += done
            if not done:
                break
        left = Notification.objects.filter(email_pending=True).count()
        self.stdout.write(f"Settled {total} notification email(s); {left} still pending.")
        if left:
            self.stdout.write(self.style.WARNING(
                "Some are still pending: the mail server refused them (see the log)."))
