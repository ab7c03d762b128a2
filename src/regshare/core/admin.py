from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from . import audit
from .models import ApiToken, AuditRecord, CalendarYear, Department, EgressAllow, User, WorkdayOverride


class AuditedAdmin(admin.ModelAdmin):
    """Admin changes go to the audit chain like every other change."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit.record(request.user, "admin.change" if change else "admin.add", obj,
                     {"fields": sorted(form.changed_data)})

    def delete_model(self, request, obj):
        audit.record(request.user, "admin.delete", obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        # The list page's "delete selected" action bypasses delete_model.
        for obj in queryset:
            audit.record(request.user, "admin.delete", obj)
        super().delete_queryset(request, queryset)


@admin.register(Department)
class DepartmentAdmin(AuditedAdmin):
    list_display = ("code", "name", "level", "division_code", "parent", "is_data_bureau")
    search_fields = ("name", "code")


@admin.register(User)
class RegshareUserAdmin(UserAdmin, AuditedAdmin):
    list_display = ("username", "full_name", "department", "roles", "is_active", "locked_until")
    search_fields = ("username", "full_name")
    fieldsets = UserAdmin.fieldsets + (("平台", {"fields": ("full_name", "department", "roles", "phone",
                                                            "failed_logins", "locked_until")}),)


@admin.register(ApiToken)
class ApiTokenAdmin(AuditedAdmin):
    list_display = ("name", "prefix", "department", "expires_at", "revoked_at")
    readonly_fields = ("prefix", "secret_hash")


@admin.register(WorkdayOverride)
class WorkdayOverrideAdmin(AuditedAdmin):
    list_display = ("date", "is_workday", "note")


@admin.register(CalendarYear)
class CalendarYearAdmin(AuditedAdmin):
    list_display = ("year", "note")


@admin.register(EgressAllow)
class EgressAllowAdmin(AuditedAdmin):
    list_display = ("entry", "note", "active", "created_at")
    search_fields = ("entry", "note")


@admin.register(AuditRecord)
class AuditRecordAdmin(admin.ModelAdmin):
    list_display = ("seq", "created_at", "actor", "action", "target")
    search_fields = ("action", "actor", "target")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
