"""Re-render posts written by an older markup pipeline (see forum.rendering_jobs)."""

from django.core.management.base import BaseCommand

from forum import markup
from forum.rendering_jobs import rerender_posts


class Command(BaseCommand):
    help = "Re-render posts whose render_version is older than markup.RENDER_VERSION."

    def add_arguments(self, parser):
        parser.add_argument(
            "--all", action="store_true", dest="everything",
            help="Re-render every post, not only outdated ones.",
        )
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, everything: bool, batch_size: int, **options):
        def progress(done: int) -> None:
            if options["verbosity"] >= 2:
                self.stdout.write(f"  {done} …")

        done = rerender_posts(everything=everything, batch_size=batch_size, progress=progress)
        self.stdout.write(self.style.SUCCESS(
            f"Re-rendered {done} post(s) to render version {markup.RENDER_VERSION}."
        ))
