"""Rebuild the full-text search index from the posts (see forum.search)."""

import time

from django.core.management.base import BaseCommand

from forum.search import index


class Command(BaseCommand):
    help = (
        "Rebuild the search index from every live post. By default it is refreshed in "
        "place (searches keep working); --fresh empties it first (faster)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--fresh", action="store_true",
                            help="Empty the index first, then insert every post.")
        parser.add_argument("--batch-size", type=int, default=2000)

    def handle(self, *args, fresh: bool, batch_size: int, **options):
        verbosity = options["verbosity"]
        started = time.monotonic()

        def progress(done: int) -> None:
            if verbosity >= 2:
                self.stdout.write(f"  {done} …")

        done = index.rebuild(fresh=fresh, batch_size=max(1, batch_size), progress=progress)
        elapsed = time.monotonic() - started
        self.stdout.write(self.style.SUCCESS(
            f"Indexed {done} post(s) in {elapsed:.1f} s."
        ))
