from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "regshare.catalog"
    label = "catalog"
    verbose_name = "数据资源目录"

    def ready(self) -> None:
        from regshare.core.navigation import MenuItem, register_menu
        from regshare.core.workflow import register_pending

        from . import (
            flows,
            policy,  # noqa: F401  (registers the permissions)
            search,
        )
        from .dashboard import pending_items

        search.connect_signals()
        register_menu(
            MenuItem("数据目录", "catalog:list", "catalog.view", "数据目录"),
            MenuItem("目录审核", "catalog:review", "catalog.review", "数据目录"),
            MenuItem("需求清单", "catalog:demands", "catalog.demand.view", "数据目录"),
            MenuItem("目录更新义务", "catalog:obligations", "catalog.view", "数据目录"),
            MenuItem("清单导入导出", "catalog:transfer", "catalog.view", "数据目录"),
        )
        flows.register()
        register_pending(pending_items)
