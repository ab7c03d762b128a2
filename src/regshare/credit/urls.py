from django.urls import path

from . import views

app_name = "credit"

urlpatterns = [
    path("", views.index, name="index"),
    path("check/", views.check, name="check"),
    path("lists/", views.lists, name="lists"),
    path("lists/add/", views.list_add, name="list_add"),
    path("lists/<int:entry_id>/remove/", views.list_remove, name="list_remove"),
    path("publicity/", views.publicity, name="publicity"),
    path("publicity/<int:record_id>/publish/", views.publish, name="publish"),
    path("repairs/", views.repairs, name="repairs"),
    path("repairs/apply/<int:record_id>/", views.repair_apply, name="repair_apply"),
    path("repairs/<int:repair_id>/decide/", views.repair_decide, name="repair_decide"),
    path("memoranda/", views.memoranda, name="memoranda"),
    path("stats/", views.stats, name="stats"),
    path("report/<str:uscc>.<str:fmt>", views.report, name="report"),
]
