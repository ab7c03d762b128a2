from django.contrib import admin

from .models import Demand, Resource, ResourceField, ResourceVersion, StatusChange, UpdateObligation


class FieldInline(admin.TabularInline):
    model = ResourceField
    extra = 0


@admin.register(Resource)
class ResourceAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "provider", "share_type", "open_type", "status", "version")
    list_filter = ("status", "share_type", "open_type", "grade", "provider")
    search_fields = ("code", "name")
    inlines = [FieldInline]


admin.site.register(ResourceVersion)
admin.site.register(StatusChange)
admin.site.register(UpdateObligation)
admin.site.register(Demand)
