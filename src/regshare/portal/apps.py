from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "regshare.portal"
    label = "portal"
    verbose_name = "公共服务门户"
