"""Every write to boards, threads and posts.

Each function validates, writes in one transaction together with the counters it
affects (F() updates, never read-modify-write) and returns the object. They raise
PermissionDenied or ValidationError with a translated message and leave nothing
half-written. Rate limits and double-submit guards belong to the views.
"""

from __future__ import annotations

import contextlib
import datetime
import uuid
from collections import Counter
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, F, IntegerField, Value, When
from django.db.models.signals import post_save, pre_save
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import mentions as people_mentions
from accounts import services as people
from accounts.models import Profile

from . import attachments, markup, model_sql, page_cache, permissions
from .models import Board, Post, Tag, Thread
from .search import index as search_index
from .tags import normalize_tag_names, tag_slug

# --- validation ---------------------------------------------------------------------

def clean_title(title: str) -> str:
    title = " ".join((title or "").split())
    if not title:
        raise ValidationError(_("Please enter a title."), code="title_required")
    limit = settings.FORUM_TITLE_MAX_LENGTH
    if len(title) > limit:
        raise ValidationError(
            _("The title can be at most %(limit)d characters (it has %(count)d).")
            % {"limit": limit, "count": len(title)},
            code="title_too_long",
        )
    return title


def clean_body(body: str) -> str:
    body = (body or "").replace("\r\n", "\n").replace("\x00", "").strip()
    if not body:
        raise ValidationError(_("Please write something."), code="body_required")
    limit = settings.FORUM_BODY_MAX_LENGTH
    if len(body) > limit:
        raise ValidationError(
            _("The text can be at most %(limit)d characters (it has %(count)d).")
            % {"limit": limit, "count": len(body)},
            code="body_too_long",
        )
    return body


def apply_rendering(post: Post, body: str) -> None:
    """Set a post's body and every stored rendering of it (no save): writes, rerender
    jobs and imports all go through here so the renderings never disagree."""
    rendered = markup.render(body, mentions=people_mentions.links(body))
    post.body = body
    post.html = rendered.html
    post.html_public = rendered.html_public
    post.text_public = rendered.text_public
    post.hidden_fragments = rendered.hidden_fragments
    post.has_hidden = rendered.has_hidden
    post.render_version = markup.RENDER_VERSION


# --- counters -------------------------------------------------------------------------

def _bump_board(board_id: int, *, threads: int = 0, posts: int = 0, today: int = 0,
                **extra) -> None:
    """Move a board's counters; `today` counts posts written on today's date."""
    updates = {**extra}
    if threads:
        updates["thread_count"] = F("thread_count") + threads
    if posts:
        updates["post_count"] = F("post_count") + posts
    if today:
        date = timezone.localdate()
        # The stored today-count belongs to today_date; a new day starts from zero.
        updates["today_post_count"] = Case(
            When(today_date=date, then=F("today_post_count") + today),
            default=Value(max(today, 0)), output_field=IntegerField(),
        )
        updates["today_date"] = Value(date)
    if updates:
        Board.objects.filter(pk=board_id).update(**updates)


def _is_today(moment) -> int:
    return int(timezone.localdate(moment) == timezone.localdate())


def _bump_profiles(per_author: Counter, field: str, sign: int) -> None:
    for author_id, n in per_author.items():
        if n:
            Profile.objects.filter(user_id=author_id).update(**{field: F(field) + sign * n})


def refresh_board_last_post(board_id: int) -> None:
    last = (
        Post.objects.live().filter(thread__board_id=board_id)
        .order_by("-created_at", "-id").values_list("id", flat=True).first()
    )
    Board.objects.filter(pk=board_id).update(last_post_id=last)


def refresh_thread_last_post(thread: Thread) -> None:
    last = (
        Post.objects.filter(thread=thread, is_deleted=False)
        .order_by("-floor").values("created_at", "author_id").first()
    )
    if last:
        thread.last_post_at, thread.last_poster_id = last["created_at"], last["author_id"]
    else:
        thread.last_post_at, thread.last_poster_id = thread.created_at, thread.author_id
    Thread.objects.filter(pk=thread.pk).update(
        last_post_at=thread.last_post_at, last_poster_id=thread.last_poster_id
    )


# --- tags -----------------------------------------------------------------------------

def _tags_for(names: Iterable[str]) -> list[Tag]:
    return [_tag_named(name) for name in normalize_tag_names(names)]


def _tag_named(name: str) -> Tag:
    # "PPT" and "ppt" are one tag: normalize_tag_names folds case, so must the lookup.
    tag = Tag.objects.filter(name__iexact=name).first()
    if tag is not None:
        return tag
    slug = tag_slug(name)
    if Tag.objects.filter(slug=slug).exists():
        # Different names can slugify alike ("C++" and "C#" both give "c").
        slug = f"{slug}-{uuid.uuid4().hex[:8]}"
    try:
        with transaction.atomic():  # a savepoint: the caller's transaction survives
            return Tag.objects.create(name=name, slug=slug)
    except IntegrityError:
        # Another writer created the same tag between the lookup and the insert.
        tag = Tag.objects.filter(name__iexact=name).first()
        if tag is None:
            raise
        return tag


def set_tags(*, thread: Thread, names: Iterable[str]) -> None:
    """Replace a thread's tags, keeping every tag's thread count exact."""
    new = {t.pk: t for t in _tags_for(names)}
    old = set(thread.tags.values_list("pk", flat=True))
    added, removed = set(new) - old, old - set(new)
    if added:
        thread.tags.add(*added)
    if removed:
        thread.tags.remove(*removed)
    if not thread.is_deleted:
        Tag.objects.filter(pk__in=added).update(thread_count=F("thread_count") + 1)
        Tag.objects.filter(pk__in=removed).update(thread_count=F("thread_count") - 1)
    if added or removed:
        page_cache.bump_thread(thread.pk)


# --- writes ---------------------------------------------------------------------------

def _lock_board(board_id: int) -> None:
    """Lock the board row before taking the post's timestamp.

    Writers then stamp their posts in the order they update the board, so the board's
    last post is always its newest one. (The counter UPDATE takes this lock anyway;
    taking it first only moves the wait to the start of the transaction.)
    """
    list(Board.objects.select_for_update(no_key=True).filter(pk=board_id)
         .values_list("pk", flat=True))


def _lock_thread_and_board(thread_id: int) -> None:
    """Take the locks in create_reply's order (thread, then board) so that replies and
    moderation of the same thread queue instead of deadlocking.

    Every row lock here is FOR NO KEY UPDATE: rows that merely reference the thread
    (notifications, credit log entries) take KEY SHARE locks on it, which must not
    queue behind a writer of the thread's counters (they did, and deadlocked)."""
    board_id = (Thread.objects.select_for_update(no_key=True).filter(pk=thread_id)
                .values_list("board_id", flat=True).get())
    _lock_board(board_id)


def create_thread(*, board: Board, author, title: str, body: str, tags: Iterable[str] = (),
                  author_ip: str | None = None, created_at=None) -> Thread:
    permissions.ensure_can_start_thread(author, board)
    title = clean_title(title)
    body = clean_body(body)
    tag_names = normalize_tag_names(tags)
    post = Post(author=author, floor=1, author_ip=author_ip)
    apply_rendering(post, body)  # before the transaction: no lock held while rendering
    plan = people.plan_post(post=post, author=author, thread_author_id=author.pk,
                            board_id=board.pk, opening=True, at=created_at)
    with transaction.atomic():
        _lock_board(board.pk)
        now = created_at or timezone.now()
        thread = Thread.objects.create(
            board=board, author=author, title=title, created_at=now, last_post_at=now,
            last_poster=author, last_floor=1,
        )
        post.thread, post.created_at = thread, now
        post.save()
        attachments.link_to_post(post=post, user=author)
        set_tags(thread=thread, names=tag_names)
        search_index.index_new_post(post, title=title, board_id=board.pk)
        _bump_board(board.pk, threads=1, posts=1, today=_is_today(now), last_post_id=post.pk)
        if created_at is not None:  # backdated (imports, demo data): may not be the newest
            refresh_board_last_post(board.pk)
        # Locks the author's and the recipients' profiles (in id order) first.
        people.thread_created(thread=thread, post=post, at=now, plan=plan)
        Profile.objects.filter(user_id=author.pk).update(
            thread_count=F("thread_count") + 1, post_count=F("post_count") + 1
        )
        page_cache.bump_board(board.pk)
    return thread


def create_reply(*, thread: Thread, author, body: str, author_ip: str | None = None,
                 created_at=None) -> Post:
    body = clean_body(body)
    post = Post(author_ip=author_ip)
    # Before the transaction, so no lock is held meanwhile: the rendering, who the
    # reply notifies (the mention lookup; the thread's author never changes) and
    # whether the author's credit cycle is already full.
    apply_rendering(post, body)
    plan = people.plan_post(post=post, author=author, thread_author_id=thread.author_id,
                            board_id=thread.board_id, opening=False, at=created_at)
    if created_at is None and connection.vendor == "postgresql":
        try:
            return _create_reply_postgresql(thread=thread, author=author, post=post,
                                            plan=plan)
        except _ThreadChanged:
            # The caller's copy of the thread was out of date (closed, reopened,
            # deleted, moved or renamed meanwhile): the path below reads it under
            # its lock, refuses or writes, as it always did.
            post.pk = post.floor = post.created_at = None
    with transaction.atomic():
        # The row lock serialises floor allocation: two writers never read the same
        # last_floor (on SQLite the IMMEDIATE transaction does the same). The board
        # row is locked in the same statement, after the thread (the order every
        # writer of both takes, see _lock_thread_and_board).
        locked = (Thread.objects.select_related("board")
                  .select_for_update(no_key=True, of=("self", "board"))
                  .get(pk=thread.pk))
        permissions.ensure_can_reply(author, locked)
        now = created_at or timezone.now()
        floor = locked.last_floor + 1
        post.thread, post.author, post.floor = locked, author, floor
        post.created_at = now
        post.save()
        attachments.link_to_post(post=post, user=author)
        Thread.objects.filter(pk=locked.pk).update(
            last_floor=floor, reply_count=F("reply_count") + 1,
            last_post_at=now, last_poster_id=author.pk,
        )
        _bump_board(locked.board_id, posts=1, today=_is_today(now), last_post_id=post.pk)
        if created_at is not None:
            refresh_board_last_post(locked.board_id)
        # Locks the author's and the recipients' profiles (in id order) first.
        people.reply_created(post=post, thread=locked, at=now, plan=plan)
        Profile.objects.filter(user_id=author.pk).update(post_count=F("post_count") + 1)
        search_index.index_new_post(post, title=locked.title, board_id=locked.board_id)
        page_cache.bump_reply(locked)
    thread.last_floor, thread.reply_count = floor, locked.reply_count + 1
    thread.last_post_at, thread.last_poster_id = now, author.pk
    return post


# --- a reply on PostgreSQL: one statement ---------------------------------------------
#
# Every reply to a thread queues on the thread's row lock (and every reply in a board
# on the board's), so what counts is how long a writer holds them. The path above
# takes them first and then runs a dozen statements, with Python between each: under
# load the process holding the locks waits for a CPU between every two of them. Here
# one statement does it all: locks the thread, the board and the profiles in the
# order every writer takes them (thread, board, profiles by id), allocates the floor,
# stamps the time (the database's clock, read once the board is locked: posts are
# stamped in the order they take the board, so the board's last post is its newest),
# writes the post, its search entry and its notices, and moves every counter. Out of
# a transaction it commits by itself, so no Python runs while the locks are held.
# Inside one (an outer atomic block), or when the author may earn a credit (which
# needs the ledger counted under the profile lock) or the post places attachments,
# it runs in a transaction with those steps after it.
#
# What the checks before the statement relied on (thread open or the author
# moderates, not deleted, its board and title) is checked again by the statement on
# the locked row; if anything changed it writes nothing and the reply takes the path
# above, which reads the thread under its lock and refuses or writes as it always did.
# So what a reply writes is said twice, here in SQL and above through the ORM: a change
# to one is a change to both (the SQLite suite runs the path above, the PostgreSQL
# suite this one).

class _ThreadChanged(Exception):
    pass


_REPLY_SQL: str | None = None
_REPLY_POST_SET = {"floor": "t.last_floor", "created_at": "ts.at"}
_REPLY_NOTICE_SET = {"recipient_id": "r.uid", "kind": "r.kind", "email_pending": "r.mail",
                     "post_id": "p.id", "created_at": "ts.at"}


def _reply_sql() -> str:
    global _REPLY_SQL
    if _REPLY_SQL is None:
        from accounts.models import Notification

        from .search.backends import TABLE as SEARCH_TABLE

        post, thread, board = Post._meta, Thread._meta, Board._meta
        profile, notice = Profile._meta, Notification._meta
        post_columns, post_values = model_sql.insert_parts(Post, prefix="p_",
                                                           computed=_REPLY_POST_SET)
        notice_columns, notice_values = model_sql.insert_parts(
            Notification, prefix="n_", computed=_REPLY_NOTICE_SET)
        user_id = profile.get_field("user").target_field.db_type(connection)
        kind = model_sql.cast(notice.get_field("kind"))
        _REPLY_SQL = f"""
WITH lt AS (
    SELECT id, last_floor FROM {thread.db_table}
    WHERE id = %(thread)s AND board_id = %(board)s AND NOT is_deleted
      AND (NOT is_closed OR %(closed_ok)s) AND title = %(title)s
    FOR NO KEY UPDATE
), lb AS (
    SELECT id FROM {board.db_table} WHERE id = %(board)s AND EXISTS (SELECT 1 FROM lt)
    FOR NO KEY UPDATE
), ts AS MATERIALIZED (
    SELECT lb.id AS board_id, clock_timestamp() AS at FROM lb
), t AS (
    UPDATE {thread.db_table} th SET last_floor = lt.last_floor + 1,
        reply_count = th.reply_count + 1, last_post_at = ts.at, last_poster_id = %(author)s
    FROM lt, ts WHERE th.id = lt.id
    RETURNING th.last_floor, th.reply_count
), p AS (
    INSERT INTO {post.db_table} ({post_columns})
    SELECT {post_values} FROM t, ts
    RETURNING id
), b AS (
    UPDATE {board.db_table} bo SET post_count = bo.post_count + 1,
        today_post_count = CASE WHEN bo.today_date = d.day THEN bo.today_post_count + 1
                                ELSE 1 END,
        today_date = d.day, last_post_id = p.id
    FROM p, (SELECT ts.board_id, CASE WHEN ts.at < %(midnight)s THEN %(today)s::date
                                      ELSE %(tomorrow)s::date END AS day FROM ts) d
    WHERE bo.id = d.board_id
    RETURNING bo.id
), s AS (
    INSERT INTO {SEARCH_TABLE} (post_id, document)
    SELECT p.id, (CASE WHEN ts.at < %(midnight)s THEN %(doc_today)s
                       ELSE %(doc_tomorrow)s END)::tsvector FROM p, ts
    ON CONFLICT (post_id) DO UPDATE SET document = EXCLUDED.document
    RETURNING post_id
), n AS (
    INSERT INTO {notice.db_table} ({notice_columns})
    SELECT {notice_values}
    FROM p, ts, unnest(%(notified)s::{user_id}[], %(kinds)s::{kind}[], %(mail)s::boolean[])
        AS r(uid, kind, mail)
    RETURNING id, email_pending
), l AS (
    SELECT user_id, credits, level_id FROM {profile.db_table}
    WHERE user_id = ANY(%(profiles)s::{user_id}[]) AND EXISTS (SELECT 1 FROM p)
    ORDER BY user_id FOR NO KEY UPDATE
), u AS (
    UPDATE {profile.db_table} pr SET
        post_count = pr.post_count + CASE WHEN pr.user_id = %(author)s THEN 1 ELSE 0 END,
        unread_notification_count = pr.unread_notification_count
            + CASE WHEN pr.user_id = ANY(%(notified)s::{user_id}[]) THEN 1 ELSE 0 END
    FROM l WHERE pr.user_id = l.user_id
    RETURNING pr.user_id
)
SELECT p.id, t.last_floor, t.reply_count, ts.at,
       ARRAY(SELECT ARRAY[l.credits, l.level_id] FROM l WHERE l.user_id = %(author)s),
       ARRAY(SELECT n.id FROM n WHERE n.email_pending ORDER BY n.id),
       (SELECT count(*) FROM b), (SELECT count(*) FROM s), (SELECT count(*) FROM n)
FROM p, t, ts
"""  # noqa: S608 - table, column and type names from the models' metadata only
    return _REPLY_SQL


def _create_reply_postgresql(*, thread: Thread, author, post: Post, plan) -> Post:
    if permissions.reply_refusal(author, thread):
        raise _ThreadChanged  # maybe only this copy: the locking path decides
    post.thread_id, post.author = thread.pk, author
    provisional = timezone.now()
    today = timezone.localdate(provisional)
    tomorrow = today + datetime.timedelta(days=1)
    midnight = timezone.make_aware(datetime.datetime.combine(tomorrow, datetime.time.min))
    # The search entry's date tokens: the statement picks by the time it stamps.
    doc_today, doc_tomorrow = search_index.reply_documents(
        post, days=(provisional, midnight), board_id=thread.board_id)
    shared, notices = people.reply_notice_values(post=post, title=thread.title, plan=plan)
    notified = [uid for uid, _kind, _mail in notices]
    params = {
        "thread": thread.pk, "board": thread.board_id, "title": thread.title,
        # Passing the checks while closed means the author moderates the board.
        "closed_ok": bool(thread.is_closed), "author": author.pk,
        "today": today, "tomorrow": tomorrow, "midnight": midnight,
        "doc_today": doc_today, "doc_tomorrow": doc_tomorrow,
        "notified": notified, "kinds": [k for _uid, k, _mail in notices],
        "mail": [m for _uid, _k, m in notices], "profiles": sorted({author.pk, *notified}),
    }
    params |= model_sql.insert_params(post, prefix="p_", skip=_REPLY_POST_SET)
    params |= model_sql.insert_params(shared, prefix="n_", skip=_REPLY_NOTICE_SET)
    # One statement that commits by itself, unless a caller's transaction is open or
    # something must follow it under the same locks.
    alone = not (connection.in_atomic_block or plan.credit_due
                 or attachments.referenced_ids(post.body))
    with contextlib.nullcontext() if alone else transaction.atomic():
        pre_save.send(sender=Post, instance=post, raw=False, using=connection.alias,
                      update_fields=None)
        with connection.cursor() as cursor:
            cursor.execute(_reply_sql(), params)
            row = cursor.fetchone()
        if row is None:
            raise _ThreadChanged  # nothing was written
        post.pk, floor, reply_count, now, author_state, mail, boards, entries, written = row
        if (boards, entries, written) != (1, 1, len(notices)):
            raise RuntimeError(f"reply statement wrote {boards} boards, {entries} search "
                               f"entries, {written} of {len(notices)} notices")
        post.floor, post.created_at = floor, now
        post._state.adding, post._state.db = False, connection.alias
        post.thread = thread
        post_save.send(sender=Post, instance=post, created=True, update_fields=None,
                       raw=False, using=connection.alias)
        if not alone:
            attachments.link_to_post(post=post, user=author)
            if plan.credit_due and author_state:  # the author's profile, as locked
                people.reply_credit(post=post, thread=thread, at=now, plan=plan,
                                    state={author.pk: list(author_state[0])})
        # Run at once after a statement that committed itself, else at the commit.
        people.reply_mail(mail)
        page_cache.bump_reply(thread)
    thread.last_floor, thread.reply_count = floor, reply_count
    thread.last_post_at, thread.last_poster_id = now, author.pk
    return post


def edit_post(*, post: Post, editor, body: str, title: str | None = None,
              tags: Iterable[str] | None = None) -> Post:
    permissions.ensure_can_edit_post(editor, post)
    body = clean_body(body)
    if title is not None and post.floor == 1:
        title = clean_title(title)
    with transaction.atomic():
        apply_rendering(post, body)
        post.edited_at = timezone.now()
        post.edited_by = editor
        post.edit_count = F("edit_count") + 1
        post.save(update_fields=[
            "body", "html", "html_public", "text_public", "hidden_fragments", "has_hidden",
            "render_version", "edited_at", "edited_by", "edit_count",
        ])
        post.refresh_from_db(fields=["edit_count"])
        attachments.link_to_post(post=post, user=editor)
        people.post_edited(post=post, editor=editor)
        if post.floor == 1:
            thread = post.thread
            if title is not None and title != thread.title:
                thread.title = title
                Thread.objects.filter(pk=thread.pk).update(title=title)
            if tags is not None:
                set_tags(thread=thread, names=tags)
            page_cache.bump_board(thread.board_id)  # the title is in the lists
        page_cache.bump_thread(post.thread_id)
        search_index.index_post(post)
    return post


def delete_post(*, post: Post, actor, reason: str = "") -> None:
    """Soft-delete a post; deleting the opening post deletes the whole thread."""
    permissions.ensure_can_delete_post(actor, post)
    if post.floor == 1:
        delete_thread(thread=post.thread, actor=actor, reason=reason)
        return
    with transaction.atomic():
        _lock_thread_and_board(post.thread_id)
        locked = (Post.objects.select_for_update(no_key=True).select_related("thread")
                  .get(pk=post.pk))
        if locked.is_deleted:
            return
        Post.objects.filter(pk=locked.pk).update(
            is_deleted=True, deleted_at=timezone.now(), deleted_by_id=actor.pk,
            delete_reason=reason[:200],
        )
        search_index.remove_post(locked.pk)
        thread = locked.thread
        # The thread's own counters follow its posts whatever the thread's state (a
        # moderator may clean up a deleted thread before restoring it); the board's
        # and the author's count only posts of live threads.
        Thread.objects.filter(pk=thread.pk).update(reply_count=F("reply_count") - 1)
        refresh_thread_last_post(thread)
        if not thread.is_deleted:
            _bump_board(thread.board_id, posts=-1, today=-_is_today(locked.created_at))
            Profile.objects.filter(user_id=locked.author_id).update(
                post_count=F("post_count") - 1
            )
            refresh_board_last_post(thread.board_id)
        people.post_deleted(post=locked, thread=thread, actor=actor, reason=reason)
        page_cache.bump_thread(thread.pk)
        page_cache.bump_board(thread.board_id)
    post.is_deleted = True


def restore_post(*, post: Post, actor) -> None:
    permissions.ensure_can_delete_post(actor, post)
    if post.floor == 1:
        restore_thread(thread=post.thread, actor=actor)
        return
    with transaction.atomic():
        _lock_thread_and_board(post.thread_id)
        locked = (Post.objects.select_for_update(no_key=True).select_related("thread")
                  .get(pk=post.pk))
        if not locked.is_deleted:
            return
        Post.objects.filter(pk=locked.pk).update(
            is_deleted=False, deleted_at=None, deleted_by=None, delete_reason=""
        )
        search_index.index_post(locked)
        thread = locked.thread
        Thread.objects.filter(pk=thread.pk).update(reply_count=F("reply_count") + 1)
        refresh_thread_last_post(thread)
        if not thread.is_deleted:
            _bump_board(thread.board_id, posts=1, today=_is_today(locked.created_at))
            Profile.objects.filter(user_id=locked.author_id).update(
                post_count=F("post_count") + 1
            )
            refresh_board_last_post(thread.board_id)
        people.post_restored(post=locked, thread=thread, actor=actor)
        page_cache.bump_thread(thread.pk)
        page_cache.bump_board(thread.board_id)
    post.is_deleted = False


def _live_posts_by_author(thread: Thread) -> tuple[Counter, list]:
    rows = list(Post.objects.filter(thread=thread, is_deleted=False)
                .values_list("author_id", "created_at"))
    return Counter(a for a, _c in rows), [c for _a, c in rows]


def thread_leaves_board(thread: Thread, sign: int) -> None:
    """Add (sign=1) or remove (sign=-1) a whole live thread from its board's counters."""
    per_author, created = _live_posts_by_author(thread)
    _bump_board(thread.board_id, threads=sign, posts=sign * len(created),
                today=sign * sum(_is_today(c) for c in created))
    _bump_profiles(per_author, "post_count", sign)
    Profile.objects.filter(user_id=thread.author_id).update(
        thread_count=F("thread_count") + sign
    )
    tag_ids = list(thread.tags.values_list("pk", flat=True))
    Tag.objects.filter(pk__in=tag_ids).update(thread_count=F("thread_count") + sign)
    refresh_board_last_post(thread.board_id)
    # Every way a thread enters or leaves a board's counts (delete, restore, move,
    # merge, split) passes here: its page and the board's list change.
    page_cache.bump_thread(thread.pk)
    page_cache.bump_board(thread.board_id)


def delete_thread(*, thread: Thread, actor, reason: str = "") -> None:
    permissions.ensure_can_moderate(actor, thread.board)
    with transaction.atomic():
        locked = Thread.objects.select_for_update(no_key=True).get(pk=thread.pk)
        if locked.is_deleted:
            return
        Thread.objects.filter(pk=locked.pk).update(is_deleted=True, deleted_at=timezone.now())
        search_index.remove_thread(locked.pk)
        locked.is_deleted = True
        thread_leaves_board(locked, -1)
        people.thread_deleted(thread=locked, actor=actor, reason=reason)
    thread.is_deleted = True


def restore_thread(*, thread: Thread, actor) -> None:
    permissions.ensure_can_moderate(actor, thread.board)
    with transaction.atomic():
        locked = Thread.objects.select_for_update(no_key=True).get(pk=thread.pk)
        if not locked.is_deleted:
            return
        Thread.objects.filter(pk=locked.pk).update(is_deleted=False, deleted_at=None)
        search_index.index_thread(locked)
        locked.is_deleted = False
        thread_leaves_board(locked, 1)
        people.thread_restored(thread=locked, actor=actor)
    thread.is_deleted = False


def move_thread(*, thread: Thread, actor, board: Board) -> None:
    permissions.ensure_can_moderate(actor, thread.board)
    permissions.ensure_can_moderate(actor, board)
    if board.pk == thread.board_id:
        return
    with transaction.atomic():
        locked = Thread.objects.select_for_update(no_key=True).get(pk=thread.pk)
        old_board_id = locked.board_id
        if not locked.is_deleted:
            thread_leaves_board(locked, -1)
        Thread.objects.filter(pk=locked.pk).update(board=board)
        search_index.move_thread(locked.pk, old_board_id=old_board_id, new_board_id=board.pk)
        locked.board_id = board.pk
        if not locked.is_deleted:
            thread_leaves_board(locked, 1)
            # The old board's last post may have been in this thread: look again now
            # that the thread is gone from it.
            refresh_board_last_post(old_board_id)
        people.thread_moved(thread=locked, actor=actor, board=board)
        page_cache.bump_thread(locked.pk)
        page_cache.bump_board(old_board_id, board.pk)
    thread.board = board


def set_thread_flags(*, thread: Thread, actor, sticky: int | None = None,
                     is_digest: bool | None = None, is_closed: bool | None = None,
                     highlight: str | None = None) -> None:
    """Stick/unstick, digest/undigest, close/open, highlight the title."""
    permissions.ensure_can_moderate(actor, thread.board)
    if sticky == Thread.Sticky.GLOBAL and not permissions.is_global_moderator(actor):
        raise ValidationError(_("Only staff can stick a thread everywhere."))
    changes = {}
    if sticky is not None:
        changes["sticky"] = sticky
    if is_digest is not None:
        changes["is_digest"] = is_digest
    if is_closed is not None:
        changes["is_closed"] = is_closed
    if highlight is not None:
        if highlight not in Thread.Highlight.values:
            raise ValidationError(_("Unknown highlight colour."))
        changes["highlight"] = highlight
    if changes:
        with transaction.atomic():
            before = (Thread.objects.select_for_update(no_key=True).filter(pk=thread.pk)
                      .values("is_deleted", *changes).first() or {})
            Thread.objects.filter(pk=thread.pk).update(**changes)
            for key, value in changes.items():
                setattr(thread, key, value)
            people.thread_flags_changed(thread=thread, actor=actor, before=before,
                                        after=changes)
            page_cache.bump_thread(thread.pk)
            page_cache.bump_board(thread.board_id)
            if "sticky" in changes:  # category and global stickies head other boards
                page_cache.bump_site()


def record_views(thread_id: int, count: int) -> None:
    """Write buffered page views with one F() update (see forum.views_counter)."""
    if count > 0:
        Thread.objects.filter(pk=thread_id).update(view_count=F("view_count") + count)
