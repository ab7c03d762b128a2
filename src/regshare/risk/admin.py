from django.contrib import admin

from .models import Alert, AlertRoute, ModelVersion, RiskRule


@admin.register(RiskRule)
class RiskRuleAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "indicator", "threshold", "industry_prefix", "level", "department", "active")
    list_filter = ("active", "level")


@admin.register(AlertRoute)
class AlertRouteAdmin(admin.ModelAdmin):
    list_display = ("industry_prefix", "department")


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ("version", "trained_on", "auc", "ks", "active")
    readonly_fields = [f.name for f in ModelVersion._meta.fields]


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ("number", "entity", "source", "level", "department", "status", "deadline")
    list_filter = ("status", "source", "level")
    search_fields = ("number", "entity__name", "entity__uscc")
    readonly_fields = ("status", "confirmed", "closed_on")
