"""The import's records in the admin, read-only: what each run brought, what maps where.

Both are written only by `import_discuz`; editing a mapping row by hand would send
old links to the wrong page or make the next run import a row twice.
"""

from __future__ import annotations

from django.contrib import admin

from accounts.admin import ReadOnlyAdmin

from .models import ImportedObject, ImportRun


@admin.register(ImportRun)
class ImportRunAdmin(ReadOnlyAdmin):
    list_display = ("source", "started_at", "finished_at", "stage", "counts")
    date_hierarchy = "started_at"


@admin.register(ImportedObject)
class ImportedObjectAdmin(ReadOnlyAdmin):
    list_display = ("kind", "old_id", "new_id", "imported_at")
    list_filter = ("kind",)
    search_fields = ("=old_id", "=new_id")
    show_full_result_count = False  # millions of rows after a big import
