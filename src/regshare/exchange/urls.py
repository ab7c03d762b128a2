from django.urls import path

from . import views

app_name = "exchange"

urlpatterns = [
    path("", views.index, name="index"),
    path("applications/", views.applications, name="applications"),
    path("applications/new/", views.apply, name="apply"),
    path("applications/<int:app_id>/", views.application, name="application"),
    path("applications/<int:app_id>/approval/", views.approval_file, name="approval_file"),
    path("dedicated/<str:code>/", views.dedicated, name="dedicated"),
    path("queue/", views.queue, name="queue"),
    path("delegates/", views.delegates, name="delegates"),
    path("grants/", views.grants, name="grants"),
    path("grants/<int:grant_id>/", views.grant, name="grant"),
    path("grants/<int:grant_id>/data/", views.grant_data, name="grant_data"),
    path("grants/<int:grant_id>/download/", views.grant_download, name="grant_download"),
    path("receipts/<str:receipt_id>/", views.receipt, name="receipt"),
    path("receipts/<str:receipt_id>/pdf/", views.receipt_pdf, name="receipt_pdf"),
    path("usage/", views.usage, name="usage"),
    path("packages/<int:package_id>/download/", views.package_download, name="package_download"),
    path("packages/<int:package_id>/handover/", views.package_handover, name="package_handover"),
    path("subscriptions/", views.subscriptions, name="subscriptions"),
    path("subscriptions/<int:sub_id>/", views.subscription_action, name="subscription_action"),
    path("corrections/", views.corrections, name="corrections"),
    path("corrections/<int:correction_id>/", views.correction, name="correction"),
    path("access-logs/", views.access_logs, name="access_logs"),
    path("access-logs/<str:code>/", views.access_log, name="access_log"),
]
