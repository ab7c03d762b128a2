from django.apps import AppConfig


class CockpitConfig(AppConfig):
    name = "regshare.cockpit"
    label = "cockpit"
    verbose_name = "数据驾驶舱"

    def ready(self) -> None:
        from regshare.core.navigation import MenuItem, register_menu

        from . import boards, policy  # noqa: F401  (policy registers permissions)

        boards.register()
        register_menu(MenuItem("数据驾驶舱", "cockpit:index", "cockpit.view", "工作台"))
        register_menu(MenuItem("部门对比", "cockpit:leader", "cockpit.leader", "工作台"))
