from django.urls import path

from . import views

app_name = "risk"

urlpatterns = [
    path("", views.index, name="index"),
    path("map/", views.risk_map, name="map"),
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/<int:pk>/", views.alert, name="alert"),
    path("model/", views.model_card, name="model"),
    path("model/run/", views.run, name="run"),
    path("rules/", views.rules, name="rules"),
    path("rules/new/", views.rule_edit, name="rule_new"),
    path("rules/<int:pk>/", views.rule_edit, name="rule"),
]
