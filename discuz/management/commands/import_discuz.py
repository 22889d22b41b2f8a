"""`manage.py import_discuz --dsn mysql://user:pass@host:3306/db --prefix pre_`

Reads a Discuz! X3 database (read-only) and imports what is not imported yet.
Run it again at any time to bring over what was written in Discuz! since; see
docs/migrate-from-discuz.md.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from discuz.importer import run_import


class Command(BaseCommand):
    help = "Import (or catch up with) a Discuz! X3 community from its MySQL/MariaDB database."

    def add_arguments(self, parser):
        parser.add_argument("--dsn", required=True,
                            help="mysql://user:password@host:3306/database (read-only is enough)")
        parser.add_argument("--prefix", default="pre_", help="Discuz! table prefix (pre_)")
        parser.add_argument("--attachments", metavar="DIR",
                            help="Discuz!'s root directory, for avatars (uc_server/data/avatar)")
        parser.add_argument("--dry-run", action="store_true",
                            help="Count what would be imported; write nothing.")
        parser.add_argument("--include-restricted", action="store_true",
                            help="Also import boards with a password or a reader list and "
                                 "threads with a read permission: they become public here.")
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args, dsn, prefix, attachments, dry_run, batch_size, include_restricted,
               **options):
        if batch_size < 1:
            raise CommandError(_("--batch-size must be at least 1."))
        report = run_import(dsn=dsn, prefix=prefix, attachments=attachments, dry_run=dry_run,
                            progress=options["verbosity"] > 0, batch_size=batch_size,
                            include_restricted=include_restricted)
        verb = "would import" if dry_run else "imported"
        for stage, count in report.counts.items():
            self.stdout.write(f"{stage}: {verb} {count}")
        for warning in report.warnings:
            self.stderr.write(self.style.WARNING(warning))
        if report.repaired:
            self.stdout.write(f"counters rebuilt: {report.repaired}")
        if not dry_run:
            self.stdout.write(self.style.SUCCESS("Done. Run it again to catch up with Discuz!."))
