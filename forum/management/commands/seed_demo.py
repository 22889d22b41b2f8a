"""Demo content for an empty forum (`make run` calls `seed_demo --if-empty`).

Every thread, reply, edit, flag and view count goes through `forum.services`, so
the demo doubles as an exercise of the services: right after seeding,
`manage.py recount` must find nothing to repair. Posts are written in global time
order, the order a live forum receives them, because the services treat the most
recent write as a board's last post.

All text comes from `forum/demo_data/` (a sentence corpus and the real thread of
our reference page); nothing outside the repository is read, so a fresh clone in
CI seeds the same forum. A fixed random seed makes the output repeatable (only
the dates move along with the clock, to keep the forum looking alive).
"""

from __future__ import annotations

import datetime
import json
import random
import time
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from zoneinfo import ZoneInfo

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from accounts import notifications as people_notices
from accounts import services as people
from accounts.models import FeaturedAuthor, Follow
from forum import services
from forum.models import Board, Category, Post, SiteSettings, Tag, Thread

DATA_DIR = Path(__file__).resolve().parents[2] / "demo_data"
# Published on purpose (README, command output): it guards demo accounts only.
DEMO_PASSWORD = "demo-pass-2024"  # noqa: S105
SITE_TZ = ZoneInfo("Asia/Shanghai")
WINDOW = datetime.timedelta(days=730)
# Posts edited within this age get edits; older ones would carry an implausible
# "edited today" note, as edit_post stamps the real time.
EDIT_AGE = datetime.timedelta(days=3)
TOPIC_WEIGHTS = {"公文": 5, "纪要": 2, "调研": 2, "讲话": 3, "办公室": 5, "总结": 2, "职场": 3}


def _local(text: str) -> datetime.datetime:
    fmt = "%Y-%m-%d %H:%M:%S" if text.count(":") == 2 else "%Y-%m-%d %H:%M"
    return datetime.datetime.strptime(text, fmt).replace(tzinfo=SITE_TZ)


@dataclass
class Reply:
    when: datetime.datetime
    author: object
    body: str


@dataclass
class Plan:
    """One thread to write: its opening post, timed replies and moderation flags."""

    when: datetime.datetime
    board: Board
    author: object
    title: str
    body: str
    tags: list[str]
    replies: list[Reply] = field(default_factory=list)
    kind: str = "generated"
    sticky: bool = False
    digest: bool = False
    closed: bool = False
    thread: Thread | None = None
    # Posts young enough to get a plausible edit: (when, post or None for floor 1).
    recent: list[tuple[datetime.datetime, Post | None]] = field(default_factory=list)


class Seeder:
    def __init__(self, corpus: dict, rng: random.Random):
        self.c = corpus
        self.rng = rng
        self.now = timezone.now()
        # Keep clear of the present so no post is stamped after the seed finishes.
        self.end = self.now - datetime.timedelta(minutes=10)
        self.start = self.end - WINDOW
        self.members: dict[str, object] = {}
        self.joined: list[tuple[datetime.datetime, object]] = []
        self.boards: dict[str, Board] = {}
        self.used_titles: set[str] = set()

    # --- fixed structure --------------------------------------------------------------

    def site(self) -> None:
        settings = SiteSettings.load()
        for key, value in self.c["site"].items():
            setattr(settings, key, value)
        settings.save()

    def make_members(self) -> None:
        User = get_user_model()  # noqa: N806
        # One hash for all: hashing is deliberately slow and the password is public.
        hashed = make_password(DEMO_PASSWORD)
        for spec in self.c["members"]:
            if "joined" in spec:
                joined = _local(spec["joined"])
            else:
                joined = (self.now - datetime.timedelta(
                    days=spec["joined_days_ago"], minutes=self.rng.randint(0, 600)
                )).replace(microsecond=0)
            user = User.objects.filter(username=spec["username"]).first()
            if user is None:
                # A name someone registered before seeding stays theirs, untouched.
                user = User.objects.create(
                    username=spec["username"], email=spec["email"], password=hashed,
                    date_joined=joined,
                )
                EmailAddress.objects.create(
                    user=user, email=spec["email"], verified=True, primary=True
                )
                people.save_profile(  # renders bio and signature like the settings form
                    user=user, bio=spec.get("bio", ""), signature=spec.get("signature", "")
                )
            self.members[spec["username"]] = user
            self.joined.append((user.date_joined, user))

    def make_boards(self) -> None:
        for cat_pos, cat_spec in enumerate(self.c["categories"]):
            category = Category.objects.create(name=cat_spec["name"], position=cat_pos)
            for pos, spec in enumerate(cat_spec["boards"]):
                board = Board.objects.create(
                    category=category, name=spec["name"], slug=spec["slug"],
                    description=spec["description"], position=pos,
                    parent=self.boards.get(spec.get("parent", "")),
                )
                board.moderators.add(*(self.members[m] for m in spec["moderators"]))
                self.boards[spec["slug"]] = board

    # --- random pieces ----------------------------------------------------------------

    def member_at(self, when: datetime.datetime, avoid=None):
        """A random member who had joined by `when`, preferably not `avoid`."""
        pool = [u for joined, u in self.joined if joined < when and u != avoid]
        return self.rng.choice(pool or [u for _j, u in self.joined])

    def moderator_of(self, board: Board):
        return board.moderators.order_by("pk").first()

    def random_time(self) -> datetime.datetime:
        # Skewed towards the present: a living forum has more recent threads.
        moment = self.end - (self.end - self.start) * (self.rng.random() ** 1.4)
        return moment.replace(microsecond=0)

    def sentence(self, topic: dict) -> str:
        return self.rng.choice(topic["sentences"])

    @staticmethod
    def bold(sentence: str) -> str:
        # Leave the final stop outside: CommonMark will not close ** between a
        # closing quote mark and a following CJK character.
        return f"**{sentence[:-1]}**{sentence[-1]}"

    def title(self, topic: dict, prefix: str) -> tuple[str, str]:
        """A title not used yet (if possible) and its core without the prefix."""
        for _attempt in range(12):
            if self.rng.random() < 0.75:
                core = self.rng.choice(topic["titles"])
            else:
                core = self.rng.choice(self.c["generic_titles"]).format(
                    doc=self.rng.choice(topic["docs"])
                )
            if prefix + core not in self.used_titles:
                break
        self.used_titles.add(prefix + core)
        return prefix + core, core

    def opening_body(self, topic: dict, prefix: str, core: str) -> str:
        rng = self.rng
        style = self.c["prefixes"][prefix]
        # Draw without replacement so that no sentence repeats within one post.
        pool = rng.sample(topic["sentences"], k=len(topic["sentences"]))

        def draw(n: int) -> list[str]:
            return [pool.pop() for _ in range(min(n, len(pool)))]

        def paragraph(n: int) -> str:
            picks = draw(n)
            if picks and rng.random() < 0.3:
                i = rng.randrange(len(picks))
                picks[i] = self.bold(picks[i])
            return "".join(picks)

        # Taken first so that a hidden block is never left empty by a short pool.
        hide = prefix in ("【分享】", "【原创】") and rng.random() < 0.35
        hidden = draw(3) if hide else []

        parts = [rng.choice(style["intro"])]
        if prefix == "【求助】":
            # A question post asks its question, then shows what the poster tried.
            ask = core if core.endswith("？") else core + "，请大家指点。"
            parts.append(rng.choice(self.c["ask_lead"]) + ask)
            parts.append(rng.choice(self.c["ask_context"]) + paragraph(rng.randint(1, 3)))
        else:
            parts += [paragraph(rng.randint(2, 4)) for _ in range(rng.randint(1, 3))]
            shape = rng.random()
            if shape < 0.35 and len(pool) >= 3:
                points = rng.sample(self.c["points"], k=min(len(pool), rng.randint(3, 5)))
                items = [f"{i}. **{p}**：{s}" for i, (p, s) in
                         enumerate(zip(points, draw(len(points)), strict=True), 1)]
                parts.append("几点体会：\n\n" + "\n".join(items))
            elif shape < 0.5 and pool:
                parts.append("\n".join(f"- {s}" for s in draw(3)))
        if hidden:
            items = "\n".join(f"{i}. {s}" for i, s in enumerate(hidden, 1))
            intro = rng.choice(self.c["hidden_intros"])
            parts.append(f"[hide]\n{intro}\n\n{items}\n[/hide]")
        if rng.random() < 0.25:
            parts.append(f"> {rng.choice(self.c['quotes'])}")
        parts.append(rng.choice(style["outro"]))
        return "\n\n".join(p for p in parts if p)

    def reply_body(self, topic: dict | None, kind: str = "") -> str:
        rng = self.rng
        if topic is None:
            return rng.choice(self.c["replies"])
        # Questions mostly get answers; other posts mostly get applause.
        applause = 0.15 if kind == "【求助】" else 0.45
        roll = rng.random()
        if roll < applause:
            return rng.choice(self.c["replies"])
        picks = rng.sample(topic["sentences"], k=2 if rng.random() < 0.2 else 1)
        answer = rng.choice(self.c["reply_openers"]) + "".join(picks)
        if roll < 0.88:
            return answer
        # Some replies quote a point before answering it.
        return f"> {self.sentence(topic)}\n\n{answer}"

    def timed_replies(self, start: datetime.datetime, op, count: int,
                      topic: dict | None, kind: str = "") -> list[Reply]:
        replies: list[Reply] = []
        when, last = start, op
        for _ in range(count):
            # Mostly within hours, with a long tail of late replies.
            gap = max(120, int(self.rng.expovariate(1 / (8 * 3600))))
            when += datetime.timedelta(seconds=gap)
            if when > self.end:
                break
            author = op if self.rng.random() < 0.15 and last != op else self.member_at(
                when, avoid=last
            )
            replies.append(Reply(when, author, self.reply_body(topic, kind)))
            last = author
        return replies

    # --- thread plans -----------------------------------------------------------------

    def reference_plan(self) -> Plan:
        spec = self.c["reference"]
        text = (DATA_DIR / spec["file"]).read_text(encoding="utf-8")
        title, _sep, body = text.partition("\n")
        return Plan(
            when=_local(spec["created_at"]), board=self.boards[spec["board"]],
            author=self.members[spec["author"]], title=title.strip(), body=body.strip(),
            tags=spec["tags"], kind="reference", digest=True,
            replies=[Reply(_local(r["created_at"]), self.members[r["author"]], r["body"])
                     for r in spec["replies"]],
        )

    def notice_plans(self) -> list[Plan]:
        board = self.boards["notice"]
        author = self.moderator_of(board)
        plans = []
        for i, spec in enumerate(self.c["notices"]):
            when = self.start.replace(microsecond=0) + datetime.timedelta(
                days=3 + 40 * i, hours=self.rng.randint(0, 9)
            )
            plans.append(Plan(
                when=when, board=board, author=author, title=spec["title"], body=spec["body"],
                tags=spec.get("tags", []), kind="notice", sticky=spec.get("sticky", False),
                closed=spec.get("closed", False),
                replies=self.timed_replies(when, author, self.rng.randint(1, 6), None),
            ))
        return plans

    def megathread_plan(self) -> Plan:
        spec = self.c["megathread"]
        rng = self.rng
        author = self.members[spec["author"]]
        when = (self.end - datetime.timedelta(days=spec["days_ago"])).replace(microsecond=0)
        span = (self.end - when).total_seconds() - 7200
        offsets = sorted(rng.randint(1800, int(span)) for _ in range(spec["replies"]))
        # The newest floor lands within hours of now, so the big thread tops its
        # board and has a fresh post to edit.
        offsets[-1] = max(offsets[-2] + 60, int(span) + 7200 - rng.randint(3600, 6 * 3600))
        pool = [s for t in self.c["topics"].values() for s in t["sentences"]]
        replies, last = [], author
        for n, offset in enumerate(offsets, 1):
            moment = when + datetime.timedelta(seconds=offset)
            who = self.member_at(moment, avoid=last)
            body = rng.choice(spec["reply_templates"]).format(n=n, sentence=rng.choice(pool))
            replies.append(Reply(moment, who, body))
            last = who
        return Plan(
            when=when, board=self.boards[spec["board"]], author=author, title=spec["title"],
            body=spec["body"], tags=spec["tags"], kind="megathread", replies=replies,
        )

    def generated_plan(self) -> Plan:
        rng = self.rng
        name = rng.choices(list(TOPIC_WEIGHTS), weights=list(TOPIC_WEIGHTS.values()))[0]
        topic = self.c["topics"][name]
        prefix = rng.choice(list(self.c["prefixes"]))
        when = self.random_time()
        author = self.member_at(when)
        count = int(rng.triangular(0, 15.99, 3))
        n_tags = min(len(topic["tags"]), rng.choice([0, 1, 1, 2, 2, 3]))
        title, core = self.title(topic, prefix)
        return Plan(
            when=when, board=self.boards[rng.choice(topic["boards"])], author=author,
            title=title, body=self.opening_body(topic, prefix, core),
            tags=rng.sample(topic["tags"], k=n_tags),
            replies=self.timed_replies(when, author, count, topic, prefix),
            kind=prefix,
        )

    # --- writing ------------------------------------------------------------------------

    def write(self, plans: list[Plan], extra=()) -> None:
        """Posts, and `extra` [(when, write)] (follows, visits), in global time order."""
        events = []
        for p, plan in enumerate(plans):
            events.append((plan.when, p, -1))
            events += [(reply.when, p, i) for i, reply in enumerate(plan.replies)]
        events += [(when, len(plans), k) for k, (when, _write) in enumerate(extra)]
        events.sort(key=lambda e: (e[0], e[1], e[2]))
        recent_after = self.now - EDIT_AGE
        for when, p, i in events:
            if p == len(plans):
                extra[i][1]()
                continue
            plan = plans[p]
            if i < 0:
                plan.thread = services.create_thread(
                    board=plan.board, author=plan.author, title=plan.title, body=plan.body,
                    tags=plan.tags, created_at=when,
                )
                if when > recent_after:
                    plan.recent.append((when, None))
            else:
                reply = plan.replies[i]
                post = services.create_reply(
                    thread=plan.thread, author=reply.author, body=reply.body, created_at=when
                )
                if when > recent_after:
                    plan.recent.append((when, post))

    def moderate(self, plans: list[Plan]) -> dict[str, int]:
        generated = [p for p in plans if p.kind.startswith("【")]
        showcase = [p for p in generated if p.kind in ("【分享】", "【原创】", "【经验】")]
        showcase.sort(key=lambda p: (-len(p.replies), p.when))
        # One sticky per discussion board: its best-answered showcase thread.
        stuck: set[int] = set()
        for plan in showcase:
            if plan.board.pk not in stuck:
                plan.sticky = True
                stuck.add(plan.board.pk)
        for plan in showcase[:7]:
            plan.digest = True
        counts = {"sticky": 0, "digest": 0, "closed": 0}
        for plan in plans:
            if not (plan.sticky or plan.digest or plan.closed):
                continue
            services.set_thread_flags(
                thread=plan.thread, actor=self.moderator_of(plan.board),
                sticky=Thread.Sticky.BOARD if plan.sticky else None,
                is_digest=True if plan.digest else None,
                is_closed=True if plan.closed else None,
            )
            counts["sticky"] += plan.sticky
            counts["digest"] += plan.digest
            counts["closed"] += plan.closed
        return counts

    def edit_recent(self, plans: list[Plan]) -> int:
        candidates = [(when, plan, post) for plan in plans for when, post in plan.recent]
        candidates.sort(key=lambda c: c[0])
        edits = 0
        for _when, plan, post in self.rng.sample(candidates, k=min(6, len(candidates))):
            if post is None:
                post = Post.objects.get(thread=plan.thread, floor=1)
            topic = self.c["topics"][self.rng.choice(list(TOPIC_WEIGHTS))]
            services.edit_post(
                post=post, editor=post.author,
                body=f"{post.body}\n\n**补充：**{self.sentence(topic)}",
            )
            edits += 1
        return edits

    def record_views(self, plans: list[Plan]) -> None:
        for plan in plans:
            views = len(plan.replies) * self.rng.randint(8, 40) + self.rng.randint(15, 300)
            services.record_views(plan.thread.pk, views)

    def social_events(self) -> list[tuple[datetime.datetime, object]]:
        """Follows and visits (daily-login credits, last active) as timed writes, so the
        credit ledger grows in time order with the posts (issue 4). Drawn from an rng
        of their own: the forum's content stays what the seed always made."""
        rng = random.Random(4)
        members = [u for _joined, u in sorted(self.joined, key=lambda j: j[0])]
        events = []
        for user in members:
            others = [u for u in members if u != user]
            for other in rng.sample(others, k=rng.randint(1, 4)):
                since = max(user.date_joined, other.date_joined, self.start)
                at = (since + (self.end - since) * rng.random()).replace(microsecond=0)
                events.append((at, partial(people.follow, follower=user, followee=other, at=at)))
        for user in members:
            for days_ago in rng.sample(range(1, 30), k=rng.randint(2, 6)):
                at = (self.end - datetime.timedelta(days=days_ago, minutes=rng.randint(0, 600))
                      ).replace(microsecond=0)
                events.append((at, partial(people.record_visit, user=user, daily=True, at=at)))
        return events

    def people(self, plans: list[Plan], social: list) -> dict[str, int]:
        """A couple of unread notifications to show, and 作者专栏, through accounts."""
        recent = [post for plan in plans for _when, post in plan.recent if post is not None]
        recent.sort(key=lambda p: p.created_at)
        notices = 0
        for post in recent[-4:]:
            notices += len(people_notices.deliver_post(post_id=post.pk, send_email=False,
                                                       backdate=True))
        star = self.members["刘正平"]
        members = [u for _joined, u in self.joined]
        fans = [u for u in members if u != star and not people.is_following(u, star)]
        follows = Follow.objects.count()
        if fans:
            newest = max(fans, key=lambda u: u.date_joined)
            follows += people.follow(follower=newest, followee=star)  # now: the newest entry
            notices += len(people_notices.deliver_follow(
                follower_id=newest.pk, followee_id=star.pk, send_email=False))
        for position, name in enumerate(("刘正平", "陈静")):
            spec = next(m for m in self.c["members"] if m["username"] == name)
            FeaturedAuthor.objects.get_or_create(
                user=self.members[name],
                defaults={"position": position, "blurb": spec.get("bio", "")[:120]},
            )
        visits = sum(1 for _when, write in social if write.func is people.record_visit)
        return {"follows": follows, "visits": visits, "notifications": notices}

    def run(self, n_threads: int) -> dict:
        self.site()
        self.make_members()
        self.make_boards()
        reference = self.reference_plan()
        megathread = self.megathread_plan()
        plans = [reference, *self.notice_plans(), megathread]
        plans += [self.generated_plan() for _ in range(n_threads)]
        social = self.social_events()
        self.write(plans, social)
        flags = self.moderate(plans)
        edits = self.edit_recent(plans)
        self.record_views(plans)
        people_counts = self.people(plans, social)
        return {
            "reference": reference.thread, "megathread": megathread.thread,
            "flags": flags, "edits": edits, "people": people_counts,
        }


class Command(BaseCommand):
    help = "Load demo boards, members and threads (老秘网) into an empty forum."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-empty", action="store_true",
            help="Do nothing (successfully) if any board exists already.",
        )
        parser.add_argument(
            "--threads", type=int, default=200,
            help="Number of generated threads, besides the fixed ones (default 200).",
        )
        parser.add_argument(
            "--seed", type=int, default=2012, help="Random seed (default 2012: repeatable)."
        )

    def handle(self, *args, if_empty: bool, threads: int, seed: int, **options):
        if Board.objects.exists():
            if if_empty:
                self.stdout.write("已有版块，跳过演示数据 / boards exist, demo data not loaded.")
                return
            raise CommandError(
                "The database already has boards; seed_demo only fills an empty forum "
                "(use --if-empty to skip quietly)."
            )
        if threads < 0:
            raise CommandError("--threads must be 0 or more.")
        corpus = json.loads((DATA_DIR / "corpus.json").read_text(encoding="utf-8"))
        started = time.monotonic()
        # History, not news: nobody is notified of the demo's writes (its few sample
        # notifications are delivered explicitly, see Seeder.people).
        with transaction.atomic(), people_notices.muted():
            result = Seeder(corpus, random.Random(seed)).run(threads)
        elapsed = time.monotonic() - started
        self.report(corpus, result, elapsed)

    def report(self, corpus: dict, result: dict, elapsed: float) -> None:
        User = get_user_model()  # noqa: N806
        ref, mega = result["reference"], result["megathread"]
        mega.refresh_from_db()
        names = ", ".join(m["username"] for m in corpus["members"])
        mishu = Board.objects.get(slug="mishu")
        mods = ", ".join(u.get_username() for u in mishu.moderators.all())
        lines = [
            "演示数据已载入 / demo data loaded:",
            f"  categories {Category.objects.count()}, boards {Board.objects.count()}, "
            f"members {User.objects.count()}, threads {Thread.objects.count()}, "
            f"posts {Post.objects.count()}, tags {Tag.objects.count()}",
            f"  sticky {result['flags']['sticky']}, digest {result['flags']['digest']}, "
            f"closed {result['flags']['closed']}, edited posts {result['edits']}",
            f"  follows {result['people']['follows']}, visits {result['people']['visits']}, "
            f"notifications {result['people']['notifications']}",
            f"  reference thread / 参考帖: {ref.get_absolute_url()}  {ref.title}",
            f"  big thread / 长帖: {mega.get_absolute_url()}  "
            f"({mega.reply_count} replies, {mega.page_count} pages)",
            f"  members / 会员: {names}",
            f"  demo password for all members / 会员统一密码: {DEMO_PASSWORD}",
            f"  moderator of 秘书工作 / 秘书工作版主: {mods}",
            f"  took {elapsed:.1f} s",
        ]
        self.stdout.write(self.style.SUCCESS(lines[0]))
        self.stdout.write("\n".join(lines[1:]))
