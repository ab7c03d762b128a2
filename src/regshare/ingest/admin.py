from django.contrib import admin

from .models import DataSource, DutyReminder, Load, LoadAttachment, MonthlyReport, QualityReport


@admin.register(Load)
class LoadAdmin(admin.ModelAdmin):
    list_display = ("id", "resource", "source_kind", "status", "rows_in", "rows_loaded", "rows_rejected",
                    "version", "created_at")
    list_filter = ("status", "source_kind", "mode")
    search_fields = ("resource__code", "resource__name", "file_name")


@admin.register(QualityReport)
class QualityReportAdmin(admin.ModelAdmin):
    list_display = ("resource", "load", "completeness", "validity", "uniqueness", "timeliness", "created_at")


@admin.register(DataSource)
class DataSourceAdmin(admin.ModelAdmin):
    list_display = ("resource", "kind", "table", "watermark_column", "watermark_value", "enabled", "last_pulled_at")


@admin.register(MonthlyReport)
class MonthlyReportAdmin(admin.ModelAdmin):
    list_display = ("resource", "period", "kind", "due_date", "submitted_at")
    list_filter = ("kind",)


admin.site.register(LoadAttachment)
admin.site.register(DutyReminder)
