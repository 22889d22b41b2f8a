"""Rebuild every denormalised counter from rows (see forum.recount)."""

from django.core.management.base import BaseCommand

from forum.recount import recount_all


class Command(BaseCommand):
    help = "Rebuild board, thread, tag and profile counters from rows; report what changed."

    def handle(self, *args, **options):
        changes = recount_all()
        width = max(len(name) for name in changes)
        for name, n in changes.items():
            line = f"  {name:<{width}}  {n}"
            self.stdout.write(self.style.WARNING(line) if n else line)
        total = sum(changes.values())
        if total:
            self.stdout.write(self.style.WARNING(f"Repaired {total} counter value(s)."))
        else:
            self.stdout.write(self.style.SUCCESS("All counters were already exact."))
