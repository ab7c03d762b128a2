from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "regshare.portal"
    label = "portal"
    verbose_name = "公共服务门户"

    def ready(self) -> None:
        from regshare.core.navigation import MenuItem, register_menu
        from regshare.core.permissions import PUBLIC

        register_menu(MenuItem("信用信息公开查询", "portal:credit_search", PUBLIC, "市场主体与信用"),
                      MenuItem("公众服务门户", "portal:index", PUBLIC, "市场主体与信用"))
