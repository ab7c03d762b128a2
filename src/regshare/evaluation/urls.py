from django.urls import path

from . import views

app_name = "evaluation"

urlpatterns = [
    path("", views.home, name="home"),
    path("indicators/<str:code>/", views.indicator, name="indicator"),
    path("compute/", views.compute, name="compute"),
    path("compare/", views.compare, name="compare"),
    path("submissions/", views.submissions, name="submissions"),
    path("submissions/new/", views.new_submission, name="new_submission"),
    path("submissions/<int:pk>/", views.submission, name="submission"),
    path("surveys/", views.surveys, name="surveys"),
    path("weightings/", views.weightings, name="weightings"),
    path("weightings/<int:pk>/", views.weighting, name="weighting"),
    path("rectifications/", views.rectifications, name="rectifications"),
    path("rectifications/<int:pk>/", views.rectification, name="rectification"),
    path("meetings/", views.meetings, name="meetings"),
    path("evaluations/", views.evaluations, name="evaluations"),
    path("evaluations/<int:pk>/", views.evaluation, name="evaluation"),
    path("reports/", views.reports, name="reports"),
    path("reports/new/", views.new_report, name="new_report"),
    path("reports/<int:pk>/", views.report, name="report"),
    path("reports/<int:pk>/progress/", views.report_progress, name="report_progress"),
    path("reports/<int:pk>/file/<str:fmt>/", views.report_file, name="report_file"),
    path("reports/<int:pk>/comment/", views.report_comment, name="report_comment"),
    path("assessment/", views.assessment, name="assessment"),
    path("assessment/<str:code>/", views.assessment_department, name="assessment_department"),
    path("topics/", views.topics, name="topics"),
    path("topics/new/", views.new_topic, name="new_topic"),
    path("topics/<int:pk>/", views.topic, name="topic"),
]
