from django.urls import path

from . import views

app_name = "entities"

urlpatterns = [
    path("", views.entity_list, name="list"),
    path("review/", views.review, name="review"),
    path("review/<int:link_id>/decide/", views.decide, name="decide"),
    path("<str:uscc>/", views.entity_detail, name="detail"),
]
