from django.urls import path

from . import views

app_name = "portal"

urlpatterns = [
    path("", views.index, name="index"),
    path("credit/", views.credit_search, name="credit_search"),
    path("credit/<str:uscc>/", views.credit_entity, name="credit_entity"),
]
