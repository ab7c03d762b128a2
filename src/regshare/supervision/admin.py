from django.contrib import admin

from regshare.core.admin import AuditedAdmin

from .models import (
    AssistanceRequest,
    Case,
    CaseEvent,
    Complaint,
    ComplaintEvent,
    DrawSelection,
    InspectionTask,
    Inspector,
    InspectorConflict,
    ItemClaim,
    RandomItem,
    Referral,
    ReferralRule,
    RoutingRule,
    SupervisionItem,
    SupervisionRecord,
)


@admin.register(SupervisionItem)
class SupervisionItemAdmin(AuditedAdmin):
    list_display = ("catalog_code", "main_name", "sub_name", "department", "way", "level", "published")
    list_filter = ("way", "level", "published")
    search_fields = ("catalog_code", "main_name", "sub_name")


@admin.register(ItemClaim)
class ItemClaimAdmin(AuditedAdmin):
    list_display = ("implementing_code", "item", "department", "claimed_on", "active")
    search_fields = ("implementing_code",)


@admin.register(SupervisionRecord)
class SupervisionRecordAdmin(AuditedAdmin):
    list_display = ("kind", "doc_no", "entity", "department", "item", "decided_on")
    list_filter = ("kind",)
    search_fields = ("doc_no", "title", "entity__uscc", "entity__name")
    raw_id_fields = ("entity", "item", "credit_record")


class ConflictInline(admin.TabularInline):
    model = InspectorConflict
    extra = 0
    raw_id_fields = ("entity",)


@admin.register(Inspector)
class InspectorAdmin(AuditedAdmin):
    list_display = ("name", "certificate_no", "department", "area", "active")
    search_fields = ("name", "certificate_no")
    inlines = [ConflictInline]


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0


@admin.register(Case)
class CaseAdmin(AuditedAdmin):
    list_display = ("title", "kind", "lead_department", "status", "opened_on", "closed_on")
    inlines = [CaseEventInline]


class ComplaintEventInline(admin.TabularInline):
    model = ComplaintEvent
    extra = 0


@admin.register(Complaint)
class ComplaintAdmin(AuditedAdmin):
    list_display = ("order_no", "source", "category", "department", "status", "deadline")
    list_filter = ("status", "source")
    search_fields = ("order_no", "content", "subject_name")
    inlines = [ComplaintEventInline]


@admin.register(InspectionTask)
class InspectionTaskAdmin(AuditedAdmin):
    list_display = ("code", "name", "department", "status", "drawn_at")
    exclude = ("pool",)


for model in (ReferralRule, Referral, RandomItem, DrawSelection, RoutingRule, AssistanceRequest):
    admin.site.register(model, AuditedAdmin)
