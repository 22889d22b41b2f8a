"""Credits: rules per action (Discuz!'s 积分规则, without its eval()) and the ledger.

Every change of a balance is a `CreditLog` row written together with the
`Profile.credits` update, in the caller's transaction, so the balance is always the
sum of the ledger. The member's profile row is locked first: the cycle limits count
earlier entries and the floor clips a deduction, and both must see the balance the
write lands on.

Each entry points at what earned it (a thread, a post, a follower). Undoing an
action writes the reversing entry for that object's net amount; restoring writes
back what was earned, so delete/restore in any order leaves the ledger explaining
the balance exactly.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from forum import model_sql

from . import levels
from .models import BOARD_ACTIONS, RULE_ACTIONS, CreditAction, CreditLog, CreditRule, Profile

RULES_CACHE_KEY = "people:credit-rules:v1"
Kind = CreditLog.Kind
Cycle = CreditRule.Cycle

# The defaults written by the initial data migration (Discuz!-like amounts).
DEFAULT_RULES = [
    # action, amount, cycle, interval minutes, times per cycle
    (CreditAction.NEW_THREAD, 2, Cycle.UNLIMITED, 0, 1),
    (CreditAction.REPLY, 1, Cycle.DAILY, 0, 50),
    (CreditAction.DIGEST, 10, Cycle.UNLIMITED, 0, 1),
    (CreditAction.DAILY_LOGIN, 2, Cycle.DAILY, 0, 1),
    (CreditAction.FOLLOWED, 1, Cycle.DAILY, 0, 20),
    (CreditAction.POST_DELETED, -3, Cycle.UNLIMITED, 0, 1),
]


def credit_floor() -> int:
    """Deductions never take a balance below this (it may already be lower)."""
    return int(getattr(settings, "FORUM_CREDITS_FLOOR", 0))


# --- rules -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Rule:
    action: str
    amount: int
    cycle: str
    interval_minutes: int
    limit: int
    board_id: int | None = None

    @property
    def action_label(self) -> str:
        return CreditAction(self.action).label

    @property
    def cycle_label(self) -> str:
        if self.cycle == Cycle.INTERVAL:
            return _("Every %(minutes)d minutes") % {"minutes": self.interval_minutes}
        return Cycle(self.cycle).label

    @property
    def limit_label(self) -> str:
        return _("No limit") if self.cycle == Cycle.UNLIMITED else str(self.limit)


def validate_rule(rule: CreditRule) -> None:
    errors = {}
    if rule.board_id and rule.action not in BOARD_ACTIONS:
        errors["board"] = _("This action does not happen in a board; leave the board empty.")
    if rule.cycle == Cycle.INTERVAL and not rule.interval_minutes:
        errors["interval_minutes"] = _("Give the length of the cycle in minutes.")
    if rule.cycle != Cycle.UNLIMITED and not rule.limit:
        errors["limit"] = _("A limited cycle needs at least one time per cycle.")
    if errors:
        raise ValidationError(errors)


def _rules() -> dict[tuple[str, int | None], Rule]:
    rules = cache.get(RULES_CACHE_KEY)
    if rules is None:
        rules = {
            (r.action, r.board_id): Rule(r.action, r.amount, r.cycle, r.interval_minutes,
                                         r.limit, r.board_id)
            for r in CreditRule.objects.all()
        }
        cache.set(RULES_CACHE_KEY, rules, 3600)
    return rules


def forget_rules() -> None:
    cache.delete(RULES_CACHE_KEY)


def rule_for(action: str, board_id: int | None = None) -> Rule | None:
    """The board's own rule for the action, else the site-wide one."""
    rules = _rules()
    if board_id is not None and action in BOARD_ACTIONS:
        found = rules.get((action, board_id))
        if found is not None:
            return found
    return rules.get((action, None))


def rules_for_board(board_id: int | None) -> list[Rule]:
    """The rules in force in a board (本版积分规则), one per action that has one."""
    found = []
    for action, _label in RULE_ACTIONS:
        rule = rule_for(action, board_id)
        if rule is not None and rule.amount:
            found.append(rule)
    return found


def _cycle_start(rule: Rule, at: datetime.datetime) -> datetime.datetime | None:
    """Earliest time of the awards that count against the rule's limit at `at`."""
    if rule.cycle == Cycle.DAILY:
        day = timezone.localdate(at)
        return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    if rule.cycle == Cycle.INTERVAL:
        return at - datetime.timedelta(minutes=rule.interval_minutes)
    return None  # once: every earlier award counts


# --- writing the ledger ------------------------------------------------------------------

@dataclass
class Entry:
    user_id: int
    action: str
    kind: str
    amount: int
    created_at: datetime.datetime | None = None
    refs: dict = field(default_factory=dict)  # board_id, thread_id, post_id, related_user_id
    note: str = ""


def lock_profiles(user_ids: Iterable[int]) -> dict[int, list[int | None]]:
    """Lock the members' profile rows in id order; {user_id: [credits, level_id]}."""
    rows = (
        Profile.objects.select_for_update(no_key=True)
        .filter(user_id__in=sorted(set(user_ids))).order_by("user_id")
        .values_list("user_id", "credits", "level_id")
    )
    return {uid: [credits, level_id] for uid, credits, level_id in rows}


def _clip(balance: int, amount: int) -> int:
    if amount >= 0:
        return amount
    lowest = min(balance, credit_floor())
    return max(amount, lowest - balance)


def _write(entries: list[Entry], state: dict[int, list[int | None]] | None = None) -> int:
    """Append entries to the ledger and move balances and levels; returns the net change."""
    if not entries:
        return 0
    if state is None:
        state = lock_profiles(e.user_id for e in entries)
    before = {uid: tuple(values) for uid, values in state.items()}
    now = timezone.now()
    logs = []
    for entry in entries:
        current = state.get(entry.user_id)
        if current is None:  # no profile: nothing to credit
            continue
        applied = _clip(current[0], entry.amount)
        if not applied:
            continue
        current[0] += applied
        logs.append(CreditLog(
            user_id=entry.user_id, action=entry.action, kind=entry.kind, amount=applied,
            balance=current[0], created_at=entry.created_at or now, note=entry.note[:200],
            **entry.refs,
        ))
    CreditLog.objects.bulk_create(logs)
    table = levels.all_levels()
    total = 0
    for uid, (credits_before, level_before) in before.items():
        change = state[uid][0] - credits_before
        if not change:
            continue
        total += change
        updates = {"credits": F("credits") + change}
        level_after = levels.level_id_for(state[uid][0], table)
        if level_after != level_before:
            updates["level_id"] = level_after
            state[uid][1] = level_after
        Profile.objects.filter(user_id=uid).update(**updates)
        if level_before is not None and level_after not in (None, level_before):
            from . import notifications

            notifications.level_changed(user_id=uid, level_id=level_after,
                                        promoted=change > 0)
    return total


def _awards_in_cycle(user_id: int, action: str, rule: Rule, at) -> int:
    """The member's awards counting against the rule's limit at `at` (at most `limit`
    rows of the creditlog_cycle index are read, however long the history)."""
    earlier = CreditLog.objects.filter(
        user_id=user_id, action=action, kind=Kind.AWARD, created_at__lte=at,
    )
    start = _cycle_start(rule, at)
    if start is not None:
        earlier = earlier.filter(created_at__gte=start)
    return earlier[:rule.limit].count()


def _full_key(user_id: int, action: str, rule: Rule, at) -> str | None:
    """Cache key saying the member's cycle of this rule (as it is now) is full; None
    for cycles that can empty again (a sliding interval) or have no limit."""
    if rule.cycle not in (Cycle.DAILY, Cycle.ONCE):
        return None
    start = _cycle_start(rule, at)
    return (f"people:cycle-full:v1:{user_id}:{action}:{rule.board_id}:{rule.cycle}:"
            f"{rule.limit}:{start.isoformat() if start else 'ever'}")


def _remember_full(user_id: int, action: str, rule: Rule, at) -> None:
    key = _full_key(user_id, action, rule, at)
    if key is not None:
        cache.set(key, True, FULL_SECONDS)


# A full daily cycle is looked up under the key of its day, so the entry only needs
# to outlive the day; a full once-only cycle is counted again after this.
FULL_SECONDS = 2 * 24 * 3600


def cycle_full(user_id: int | None, action: str, *, board_id: int | None = None,
               at=None, rule: Rule | None = None) -> tuple | None:
    """Before taking any lock: is the member's cycle of the rule known to be full?
    Returns the cycle's key if so (for grant's `full`), else None.

    Known from the cache, where grant() notes a cycle it found or made full. Awards
    are never removed from the ledger (undoing writes a reversal), so a daily or
    once-only cycle that is full stays full (the key names the rule's limit and the
    cycle's start: a new limit or a new day is a new key); a sliding interval may
    empty again and is never noted. A busy member whose day is full costs no count
    of the ledger at all; the others are counted under the lock, as they must be.
    `rule`: what rule_for(action, board_id) returned, if the caller has it."""
    rule = rule or rule_for(action, board_id)
    if (user_id is None or rule is None or not rule.amount
            or rule.cycle in (Cycle.UNLIMITED, Cycle.INTERVAL)):
        return None
    at = at or timezone.now()
    key = _full_key(user_id, action, rule, at)
    if key is None or not cache.get(key):
        return None
    return (rule.cycle, rule.limit, _cycle_start(rule, at))


def grant(user_id: int, action: str, *, board_id: int | None = None, at=None,
          state: dict[int, list[int | None]] | None = None, full: tuple | None = None,
          **refs) -> int:
    """Earn (or lose) the rule's amount for an action, within its cycle's limit.

    `state` is what lock_profiles returned when the caller already holds the
    member's profile lock (it is not read again); `full` is what cycle_full said
    before the caller's locks: if the cycle is still the same one, it is still full
    and the ledger is not counted again under the lock."""
    rule = rule_for(action, board_id)
    if rule is None or not rule.amount:
        return 0
    at = at or timezone.now()
    if full is not None and full == (rule.cycle, rule.limit, _cycle_start(rule, at)):
        return 0
    if state is None or user_id not in state:
        state = lock_profiles([user_id])
    if rule.cycle != Cycle.UNLIMITED:
        earned = _awards_in_cycle(user_id, action, rule, at)
        if earned >= rule.limit:
            # Committed awards only (this transaction wrote none of this action yet):
            # full whatever becomes of this transaction.
            _remember_full(user_id, action, rule, at)
            return 0
    refs = {"board_id": board_id, **refs}
    applied = _write([Entry(user_id, action, Kind.AWARD, rule.amount, at, refs)], state)
    if applied and rule.cycle != Cycle.UNLIMITED and earned + 1 >= rule.limit:
        # This award fills the cycle, once it commits.
        transaction.on_commit(partial(_remember_full, user_id, action, rule, at))
    return applied


def grant_locked(user_id: int, action: str, *, board_id: int | None = None, at,
                 state: dict[int, list[int | None]], full: tuple | None = None,
                 **refs) -> int:
    """grant() for a caller holding the member's profile lock, with the balance and
    level it locked (`state`): the cycle count, the ledger entry and the new balance
    in one statement instead of three (forum's reply path runs this while it holds the
    thread's lock, where every round trip is paid by every writer of the thread).
    Same rules, same ledger, same balance and level as grant()."""
    rule = rule_for(action, board_id)
    if rule is None or not rule.amount:
        return 0
    start = _cycle_start(rule, at)
    if full is not None and full == (rule.cycle, rule.limit, start):
        return 0
    if user_id not in state:
        return grant(user_id, action, board_id=board_id, at=at, full=full, **refs)
    credits_before, level_before = state[user_id]
    applied = _clip(credits_before, rule.amount)
    if not applied:
        return 0  # nothing would be written (a deduction at the floor)
    balance = credits_before + applied
    level_after = levels.level_id_for(balance, levels.all_levels())
    entry = CreditLog(user_id=user_id, action=action, kind=Kind.AWARD, amount=applied,
                      balance=balance, created_at=at, board_id=board_id, **refs)
    limited = rule.cycle != Cycle.UNLIMITED
    params = {"user": user_id, "action": action, "award": Kind.AWARD, "at": at,
              "start": start, "limit": rule.limit if limited else 0, "applied": applied,
              "level": level_after, **model_sql.insert_params(entry, prefix="e_")}
    with connection.cursor() as cursor:
        cursor.execute(_grant_sql(limited=limited, since=start is not None), params)
        earned, written = cursor.fetchone()
    if not written:
        _remember_full(user_id, action, rule, at)  # committed awards only: full
        return 0
    state[user_id] = [balance, level_after]
    if level_before is not None and level_after not in (None, level_before):
        from . import notifications

        notifications.level_changed(user_id=user_id, level_id=level_after,
                                    promoted=applied > 0)
    if limited and earned + 1 >= rule.limit:  # this award fills it, once it commits
        transaction.on_commit(partial(_remember_full, user_id, action, rule, at))
    return applied


_GRANT_SQL: dict[tuple[bool, bool], str] = {}


def _grant_sql(*, limited: bool, since: bool) -> str:
    key = (limited, since)
    if key not in _GRANT_SQL:
        log, profile = CreditLog._meta, Profile._meta
        columns, values = model_sql.insert_parts(CreditLog, prefix="e_")
        # The same rows _awards_in_cycle counts: at most `limit` of the cycle's awards.
        since_sql = " AND created_at >= %(start)s" if since else ""
        count = "SELECT 0 AS n" if not limited else (
            f"SELECT count(*) AS n FROM (SELECT 1 FROM {log.db_table} "  # noqa: S608
            "WHERE user_id = %(user)s AND action = %(action)s AND kind = %(award)s "
            f"AND created_at <= %(at)s{since_sql} LIMIT %(limit)s) e")
        _GRANT_SQL[key] = f"""
WITH c AS ({count}), i AS (
    INSERT INTO {log.db_table} ({columns})
    SELECT {values} FROM c WHERE {"c.n < %(limit)s" if limited else "TRUE"}
    RETURNING 1
), p AS (
    UPDATE {profile.db_table} SET credits = credits + %(applied)s, level_id = %(level)s
    WHERE user_id = %(user)s AND EXISTS (SELECT 1 FROM i)
    RETURNING 1
)
SELECT (SELECT n FROM c), (SELECT count(*) FROM p)
"""  # noqa: S608 - table and column names from the models' metadata only
    return _GRANT_SQL[key]


def _key_filter(key: dict) -> Q:
    """Entries of the keyed object(s): an id, None (no such object) or a list of ids."""
    q = Q()
    for name, value in key.items():
        if isinstance(value, list | tuple | set):
            q &= Q(**{f"{name}__in": list(value)})
        elif value is None:
            q &= Q(**{f"{name}__isnull": True})
        else:
            q &= Q(**{name: value})
    return q


def _nets(action: str, key: dict) -> dict[tuple, tuple[int, int]]:
    """{(user_id, *listed key values): (net, earned)} for the entries matching the key."""
    fields = ["user_id", *(k for k, v in key.items() if isinstance(v, list | tuple | set))]
    rows = (
        CreditLog.objects.filter(_key_filter(key), action=action)
        .values(*fields).order_by()
        .annotate(net=Sum("amount"), earned=Sum("amount", filter=Q(kind=Kind.AWARD)))
    )
    return {tuple(r[f] for f in fields): (r["net"] or 0, r["earned"] or 0) for r in rows}


def revoke(action: str, *, key: dict, note: str = "", refs: dict | None = None) -> int:
    """Write the reversing entry for every member's net amount on the keyed object(s).

    `key` names the object: {"post_id": 7}, {"thread_id": 3, "post_id": None}, or a
    list of ids ({"post_id": [7, 8]}) to settle many objects in one go.
    """
    nets = _nets(action, key)
    entries = []
    for group, (net, _earned) in sorted(nets.items()):
        if net:
            entries.append(Entry(group[0], action, Kind.REVERSAL, -net,
                                 refs=_refs_for(key, group, refs), note=note))
    return _write(entries)


def reinstate(action: str, *, key: dict, note: str = "", refs: dict | None = None) -> int:
    """Give back what the keyed object(s) earned and a reversal took away."""
    nets = _nets(action, key)
    entries = []
    for group, (net, earned) in sorted(nets.items()):
        if earned - net:
            entries.append(Entry(group[0], action, Kind.REINSTATEMENT, earned - net,
                                 refs=_refs_for(key, group, refs), note=note))
    return _write(entries)


def _refs_for(key: dict, group: tuple, extra: dict | None) -> dict:
    """The foreign keys of a reversing entry: the key's object(s), one per entry."""
    refs = dict(extra or {})
    listed = [k for k, v in key.items() if isinstance(v, list | tuple | set)]
    for k, v in key.items():
        if k == "user_id":  # the entry's own member, not a reference
            continue
        if k in listed:
            refs[k] = group[1 + listed.index(k)]
        elif v is not None:
            refs[k] = v
    return refs


def has_earned(user_id: int, action: str, *, key: dict) -> bool:
    return CreditLog.objects.filter(_key_filter(key), user_id=user_id, action=action,
                                    kind=Kind.AWARD).exists()


def adjust(*, user_id: int, amount: int, note: str = "", actor_id: int | None = None,
           at=None) -> int:
    """A manual entry (the staff in the admin, an importer's opening balance)."""
    if not amount:
        return 0
    refs = {"related_user_id": actor_id} if actor_id else {}
    return _write([Entry(user_id, CreditAction.ADJUST, Kind.ADJUSTMENT, amount, at, refs,
                         note)])


def ensure_default_rules() -> None:
    """Create the default rules if there are none (the data migration does this too)."""
    if not CreditRule.objects.exists():
        CreditRule.objects.bulk_create([
            CreditRule(action=a, amount=amount, cycle=c, interval_minutes=i, limit=limit)
            for a, amount, c, i, limit in DEFAULT_RULES
        ])
    forget_rules()
