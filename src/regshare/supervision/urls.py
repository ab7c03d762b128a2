from django.urls import path

from . import views

app_name = "supervision"

urlpatterns = [
    path("", views.index, name="index"),
    path("items/", views.items, name="items"),
    path("items/import/", views.items_import, name="items_import"),
    path("records/", views.records, name="records"),
    path("tasks/", views.tasks, name="tasks"),
    path("tasks/new/", views.task_new, name="task_new"),
    path("tasks/<int:pk>/", views.task_detail, name="task"),
    path("tasks/<int:pk>/action/", views.task_action, name="task_action"),
    path("draws/", views.draws, name="draws"),
    path("draws/<int:pk>/", views.draw_detail, name="draw"),
    path("draws/<int:pk>/record.json", views.draw_record, name="draw_record"),
    path("complaints/", views.complaints, name="complaints"),
    path("complaints/import/", views.complaints_import, name="complaints_import"),
    path("complaints/<int:pk>/", views.complaint_detail, name="complaint"),
    path("routing/", views.routing, name="routing"),
    path("assistance/", views.assistance, name="assistance"),
    path("assistance/new/", views.assistance_new, name="assistance_new"),
    path("assistance/<int:pk>/", views.assistance_detail, name="assistance_detail"),
    path("cases/", views.cases, name="cases"),
    path("cases/new/", views.case_new, name="case_new"),
    path("cases/<int:pk>/", views.case_detail, name="case"),
    path("conflicts/", views.conflicts, name="conflicts"),
    path("conflicts/new/", views.conflict_new, name="conflict_new"),
    path("conflicts/<int:pk>/withdraw/", views.conflict_withdraw, name="conflict_withdraw"),
]
