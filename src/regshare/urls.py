from django.contrib import admin
from django.urls import include, path

from .api import api

admin.site.site_header = "市场准入数据共享平台 · 后台管理"

urlpatterns = [
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("catalog/", include("regshare.catalog.urls")),
    path("ingest/", include("regshare.ingest.urls")),
    path("exchange/", include("regshare.exchange.urls")),
    path("incidents/", include("regshare.incidents.urls")),
    path("entities/", include("regshare.entities.urls")),
    path("credit/", include("regshare.credit.urls")),
    path("portal/", include("regshare.portal.urls")),
    path("", include("regshare.core.urls")),
]
