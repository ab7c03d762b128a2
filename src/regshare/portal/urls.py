from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.index, name="index"),
    path("open-data/", views.open_data, name="open_data"),
    path("open-data/<str:code>/", views.open_resource, name="open_resource"),
    path("open-data/<str:code>/download.<str:fmt>", views.open_download, name="open_download"),
    path("credit/", views.credit_search, name="credit_search"),
    path("credit/<str:uscc>/", views.credit_entity, name="credit_entity"),
    path("publicity/", views.publicity, name="publicity"),
    path("inspections/", views.inspections, name="inspections"),
    path("inspections/<str:code>/", views.inspection, name="inspection"),
    path("reports/", views.reports, name="reports"),
    path("reports/<int:report_id>/", views.report, name="report"),
    path("reports/<int:report_id>/file.<str:fmt>", views.report_file, name="report_file"),
]
