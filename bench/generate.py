"""Fill an empty, migrated database with a Discuz!-sized forum (see bench/generator.py).

    DEBUG=1 SQLITE_PATH=/tmp/bench.sqlite3 .venv/bin/python manage.py migrate
    DEBUG=1 SQLITE_PATH=/tmp/bench.sqlite3 .venv/bin/python bench/generate.py --size 10000

or DATABASE_URL=postgres://… for PostgreSQL. Default size: 1,000,000 posts. Prints
the rows per second of each stage; `--check` runs `recount` afterwards and fails if
it had anything to repair.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "forum.settings")
os.environ.setdefault("DEBUG", "1")

import django  # noqa: E402

django.setup()

from bench.generator import generate  # noqa: E402
from forum.recount import recount_all  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=1_000_000, help="number of posts")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-index", action="store_true", help="skip the search index")
    parser.add_argument("--check", action="store_true", help="run recount afterwards")
    args = parser.parse_args()
    started = time.monotonic()
    try:
        report = generate(posts=args.size, seed=args.seed, index=not args.no_index,
                          say=lambda m: print(m, flush=True))
    except RuntimeError as exc:
        sys.exit(str(exc))
    total = time.monotonic() - started
    print(f"done in {total:.0f} s ({report.sizes.posts / total:,.0f} posts/s overall); "
          f"sign in as {report.member_username!r}, megathread /t/{report.megathread_id}/")
    if args.check:
        t0 = time.monotonic()
        changes = {k: v for k, v in recount_all().items() if v}
        print(f"recount: {changes or 'nothing to repair'} ({time.monotonic() - t0:.0f} s)")
        if changes:
            sys.exit(1)


if __name__ == "__main__":
    main()
