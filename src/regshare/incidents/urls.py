from django.urls import path

from . import views

app_name = "incidents"

urlpatterns = [
    path("", views.incident_list, name="list"),
    path("new/", views.new, name="new"),
    path("<int:incident_id>/", views.detail, name="detail"),
]
