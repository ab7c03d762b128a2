from django.contrib import admin

from .models import Evaluation, Indicator, IndicatorValue, Submission, Survey, Weighting


@admin.register(Indicator)
class IndicatorAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "group", "source", "unit", "direction", "period", "department", "active")
    list_filter = ("group", "source", "active")
    search_fields = ("code", "name")


@admin.register(IndicatorValue)
class IndicatorValueAdmin(admin.ModelAdmin):
    list_display = ("indicator", "period", "department", "industry", "value", "origin")
    list_filter = ("origin", "period")


@admin.register(Submission)
class SubmissionAdmin(admin.ModelAdmin):
    list_display = ("indicator", "period", "department", "value", "status", "deadline")
    list_filter = ("status",)
    readonly_fields = ("status", "reviewed_by", "reviewed_at")


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = ("name", "period", "imported_at")


@admin.register(Weighting)
class WeightingAdmin(admin.ModelAdmin):
    list_display = ("name", "level", "ri_table", "cr", "created_at")
    readonly_fields = ("weights", "lambda_max", "ci", "cr", "ri", "matrix")


@admin.register(Evaluation)
class EvaluationAdmin(admin.ModelAdmin):
    list_display = ("name", "period", "operator", "grade", "score", "created_at")
