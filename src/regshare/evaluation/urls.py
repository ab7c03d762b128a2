from django.urls import path

from . import views

app_name = "evaluation"

urlpatterns = [
    path("", views.home, name="home"),
    path("indicators/<str:code>/", views.indicator, name="indicator"),
    path("compute/", views.compute, name="compute"),
    path("compare/", views.compare, name="compare"),
    path("submissions/", views.submissions, name="submissions"),
    path("submissions/new/", views.new_submission, name="new_submission"),
    path("submissions/<int:pk>/", views.submission, name="submission"),
    path("surveys/", views.surveys, name="surveys"),
    path("weightings/", views.weightings, name="weightings"),
    path("weightings/<int:pk>/", views.weighting, name="weighting"),
    path("rectifications/", views.rectifications, name="rectifications"),
    path("rectifications/<int:pk>/", views.rectification, name="rectification"),
    path("meetings/", views.meetings, name="meetings"),
    path("evaluations/", views.evaluations, name="evaluations"),
    path("evaluations/<int:pk>/", views.evaluation, name="evaluation"),
]
