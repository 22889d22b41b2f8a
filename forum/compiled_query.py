"""A queryset compiled once per database connection, then run again with new values.

Django builds and compiles the SQL of a queryset on every evaluation. For the member's
own row, loaded on every request a member makes (with their profile, level and two
flags: accounts.backends), that was ~0.5 ms of Python, more than a third of a member's
thread page served from a shell (docs/performance.md). The query's shape never
changes, only its values: so it is compiled once, with sentinel values standing for
the real ones, and each call runs the same SQL with the sentinels' places filled in.
The rows become model instances the way Django's ModelIterable makes them (the
compiler's converters, `from_db`, its related populators for select_related).

Only for querysets whose SQL depends on nothing but the sentinels: no per-call
filters, no values that change the SQL's text (an `IN` list's length, say).
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured
from django.db import connections, router
from django.db.models import QuerySet
from django.db.models.query import get_related_populators


class _Compiled:
    __slots__ = ("compiler", "sql", "params", "places", "init_list", "span", "populators",
                 "annotations", "converters")

    def __init__(self, queryset: QuerySet, alias: str, sentinels: dict):
        compiler = queryset.query.get_compiler(using=alias)
        sql, params = compiler.as_sql()  # fills compiler.select and klass_info too
        params = list(params)
        places = {}
        for name, sentinel in sentinels.items():
            found = [i for i, value in enumerate(params)
                     if type(value) is type(sentinel) and value == sentinel]
            if len(found) != 1:
                raise ImproperlyConfigured(
                    f"sentinel {name}={sentinel!r} is in the compiled SQL's parameters "
                    f"{len(found)} times, not once")
            places[name] = found[0]
        klass_info = compiler.klass_info
        first, last = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        self.compiler, self.sql, self.params, self.places = compiler, sql, params, places
        self.init_list = [column[0].target.attname for column in compiler.select[first:last]]
        self.span = (first, last)
        self.populators = get_related_populators(klass_info, compiler.select, alias)
        self.annotations = dict(compiler.annotation_col_map or {})
        # What results_iter would work out on every call (~0.05 ms for the member's
        # row): the columns' converters depend on the query and the connection only.
        fields = [column[0] for column in compiler.select[:compiler.col_count]]
        if compiler.has_composite_fields(fields):
            raise ImproperlyConfigured("composite fields are not supported")
        self.converters = compiler.get_converters(fields)


class CompiledQuery:
    """`build(**sentinels)` returns the queryset; `get(**values)` runs it with the
    values in the sentinels' places and returns the first instance, or None."""

    def __init__(self, name: str, model, build: Callable[..., QuerySet], **sentinels):
        self.name = f"forum_compiled_{name}"
        self.model = model
        self.build = build
        self.sentinels = sentinels

    def _compiled(self, alias: str) -> _Compiled:
        # Kept on the connection object: per thread, per database, like the compiler's
        # own reference to the connection.
        connection = connections[alias]
        kept = connection.__dict__.setdefault("_forum_compiled", {})
        entry = kept.get(self.name)
        if entry is None:
            entry = kept[self.name] = _Compiled(self.build(**self.sentinels), alias,
                                                self.sentinels)
        return entry

    def get(self, **values):
        alias = router.db_for_read(self.model)
        entry = self._compiled(alias)
        params = list(entry.params)
        for name, value in values.items():
            params[entry.places[name]] = value
        with connections[alias].cursor() as cursor:
            cursor.execute(entry.sql, params)
            rows = cursor.fetchmany(1)
        if not rows:
            return None
        row = rows[0]
        if entry.converters:
            row = next(entry.compiler.apply_converters([row], entry.converters))
        first, last = entry.span
        obj = self.model.from_db(alias, entry.init_list, row[first:last])
        for populator in entry.populators:
            populator.populate(row, obj)
        for attr, position in entry.annotations.items():
            setattr(obj, attr, row[position])
        return obj
