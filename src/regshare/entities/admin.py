from django.contrib import admin

from .models import Entity, EntityLink


@admin.register(Entity)
class EntityAdmin(admin.ModelAdmin):
    list_display = ("uscc", "name", "legal_rep", "status", "established")
    search_fields = ("uscc", "name")


@admin.register(EntityLink)
class EntityLinkAdmin(admin.ModelAdmin):
    list_display = ("source", "record_key", "entity", "method", "status", "match_probability")
    list_filter = ("status", "method", "source")
