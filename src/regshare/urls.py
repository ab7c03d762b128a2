from django.contrib import admin
from django.urls import include, path

from .api import api
from .core import views as core_views

admin.site.site_header = "市场准入数据共享平台 · 后台管理"
# One login for the whole platform: the admin signs in and out through the platform's own views, so
# the lock-out, the rate limits and the audit of every try apply there too.
admin.site.login = core_views.admin_login
admin.site.logout = core_views.admin_logout

urlpatterns = [
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("catalog/", include("regshare.catalog.urls")),
    path("ingest/", include("regshare.ingest.urls")),
    path("exchange/", include("regshare.exchange.urls")),
    path("incidents/", include("regshare.incidents.urls")),
    path("entities/", include("regshare.entities.urls")),
    path("credit/", include("regshare.credit.urls")),
    path("supervision/", include("regshare.supervision.urls")),
    path("risk/", include("regshare.risk.urls")),
    path("evaluation/", include("regshare.evaluation.urls")),
    path("portal/", include("regshare.portal.urls")),
    path("cockpit/", include("regshare.cockpit.urls")),
    path("", include("regshare.core.urls")),
]

# The platform's own Chinese error pages; under /api/ the error is JSON like every other API error.
handler400 = "regshare.core.views.bad_request"
handler403 = "regshare.core.views.permission_denied"
handler404 = "regshare.core.views.page_not_found"
handler500 = "regshare.core.views.server_error"
