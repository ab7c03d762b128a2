from django.urls import path

from . import views

app_name = "catalog"

urlpatterns = [
    path("", views.resource_list, name="list"),
    path("new/", views.resource_create, name="create"),
    path("review/", views.review, name="review"),
    path("demands/", views.demands, name="demands"),
    path("demands/<int:demand_id>/", views.demand_detail, name="demand"),
    path("obligations/", views.obligations, name="obligations"),
    path("obligations/<int:obligation_id>/fulfil/", views.obligation_fulfil, name="obligation_fulfil"),
    path("transfer/", views.transfer_page, name="transfer"),
    path("r/<str:code>/", views.resource_detail, name="detail"),
    path("r/<str:code>/edit/", views.resource_edit, name="edit"),
    path("r/<str:code>/<str:action>/", views.resource_action, name="action"),
]
