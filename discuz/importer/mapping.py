"""The mapping table as the importer uses it: an in-memory view of (kind, old id) -> new id.

Mapping rows are written with the objects they map, in the batch's transaction
(`Mapping.add` then `Mapping.flush` inside the same `atomic()`), so after a crash
the mapping holds exactly what was committed and a re-run carries on from there.
"""

from __future__ import annotations

from discuz.models import ImportedObject

Kind = ImportedObject.Kind


def pair_id(high: int, low: int) -> int:
    """One old id for rows keyed by two ids (a follow: follower and followee)."""
    return (int(high) << 32) | int(low)


class Mapping:
    def __init__(self) -> None:
        self._known: dict[str, dict[int, int]] = {}
        self._pending: list[ImportedObject] = []

    def of(self, kind: str) -> dict[int, int]:
        """{old id: new id} of one kind, loaded once per run."""
        if kind not in self._known:
            self._known[kind] = dict(
                ImportedObject.objects.filter(kind=kind).values_list("old_id", "new_id")
            )
        return self._known[kind]

    def get(self, kind: str, old_id) -> int | None:
        return self.of(kind).get(int(old_id))

    def add(self, kind: str, old_id: int, new_id: int) -> None:
        """Known at once (later rows of the batch may point at it), written by flush()."""
        self._pending.append(ImportedObject(kind=kind, old_id=int(old_id), new_id=int(new_id)))
        self.of(kind)[int(old_id)] = int(new_id)

    def flush(self) -> None:
        """Write the pending rows (call inside the batch's transaction)."""
        if not self._pending:
            return
        ImportedObject.objects.bulk_create(self._pending, batch_size=1000)
        self._pending = []

    def discard(self) -> None:
        """Forget the pending rows of a rolled-back batch."""
        for row in self._pending:
            self.of(row.kind).pop(row.old_id, None)
        self._pending = []
