from django.urls import path

from . import views

app_name = "ingest"

urlpatterns = [
    path("", views.load_list, name="list"),
    path("upload/", views.upload, name="upload"),
    path("loads/<int:load_id>/", views.load_detail, name="load"),
    path("loads/<int:load_id>/progress/", views.load_progress, name="progress"),
    path("loads/<int:load_id>/rejects/", views.rejects, name="rejects"),
    path("loads/<int:load_id>/attachments/<int:attachment_id>/", views.attachment, name="attachment"),
    path("resources/<str:code>/", views.resource_quality, name="resource"),
    path("resources/<str:code>/pull/", views.pull_now, name="pull"),
    path("duty/", views.duty, name="duty"),
    path("duty/zero/", views.zero_report, name="zero_report"),
]
