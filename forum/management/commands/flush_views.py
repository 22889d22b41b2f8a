"""Write buffered thread view counts to the database (see forum.views_counter).

Run it before a deploy or a cache flush, or from cron, so views still sitting in
the cache counter are not lost.
"""

from django.core.management.base import BaseCommand

from forum.views_counter import flush_all


class Command(BaseCommand):
    help = "Write buffered thread view counts from the cache to the database."

    def handle(self, *args, **options):
        total = flush_all()
        self.stdout.write(self.style.SUCCESS(f"Flushed {total} buffered view(s)."))
