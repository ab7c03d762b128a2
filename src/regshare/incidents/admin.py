from django.contrib import admin

from .models import Incident, IncidentReport, IncidentStep


class ReportInline(admin.TabularInline):
    model = IncidentReport
    extra = 0
    can_delete = False
    readonly_fields = ("level", "recipient", "content", "reported_at", "reported_by", "on_time")


class StepInline(admin.TabularInline):
    model = IncidentStep
    extra = 0
    can_delete = False
    readonly_fields = ("kind", "happened_at", "description", "actor")


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    # Every change goes through the services (audited); the admin only reads.
    list_display = ("number", "title", "grade", "status", "department", "discovered_at", "report_deadline")
    list_filter = ("grade", "status")
    search_fields = ("number", "title")
    inlines = [ReportInline, StepInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
