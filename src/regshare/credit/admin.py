from django.contrib import admin

from .models import (
    CreditCheck,
    CreditRecord,
    ListEntry,
    Measure,
    Memorandum,
    RepairApplication,
    RiskAssessment,
)


class MeasureInline(admin.TabularInline):
    model = Measure
    extra = 0


@admin.register(Memorandum)
class MemorandumAdmin(admin.ModelAdmin):
    list_display = ("code", "title", "list_type", "kind", "active")
    inlines = [MeasureInline]


@admin.register(CreditRecord)
class CreditRecordAdmin(admin.ModelAdmin):
    list_display = ("kind", "doc_no", "raw_name", "decided_on", "publicity")
    list_filter = ("kind", "publicity")
    search_fields = ("doc_no", "raw_name")


@admin.register(ListEntry)
class ListEntryAdmin(admin.ModelAdmin):
    list_display = ("list_type", "entity", "cause", "listed_on", "removed_on")
    list_filter = ("list_type", "cause")


admin.site.register(CreditCheck)
admin.site.register(RepairApplication)
admin.site.register(RiskAssessment)
