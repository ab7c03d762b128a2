from django.urls import path

from . import views

app_name = "core"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("notifications/", views.notifications, name="notifications"),
    path("notifications/read/", views.notifications_read, name="notifications_read"),
    path("system/departments/", views.departments, name="departments"),
    path("system/users/", views.users, name="users"),
    path("system/users/<int:user_id>/unlock/", views.user_unlock, name="user_unlock"),
    path("system/tokens/", views.tokens, name="tokens"),
    path("system/tokens/<int:token_id>/revoke/", views.token_revoke, name="token_revoke"),
    path("system/calendar/", views.calendar, name="calendar"),
    path("system/audit/", views.audit_log, name="audit"),
]
