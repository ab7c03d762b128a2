from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "regshare.supervision"
    label = "supervision"
    verbose_name = "互联网+监管"

    def ready(self) -> None:
        from regshare.core import workflow
        from regshare.core.navigation import MenuItem, register_menu

        from . import panels, policy  # noqa: F401  (policy registers permissions)
        from .services import FLOWS

        for flow in FLOWS:
            workflow.register(flow)
        panels.register()  # the supervision sections of the entity page and profile API
        group = "互联网+监管"
        register_menu(
            MenuItem("监管事项目录", "supervision:items", "supervision.view", group),
            MenuItem("监管行为记录", "supervision:records", "supervision.view", group),
            MenuItem("双随机抽查", "supervision:tasks", "supervision.view", group),
            MenuItem("抽取结果公开", "supervision:draws", "supervision.view", group),
            MenuItem("投诉举报", "supervision:complaints", "supervision.view", group),
            MenuItem("工单分派规则", "supervision:routing", "supervision.manage_routing", group),
            MenuItem("协查协办", "supervision:assistance", "supervision.view", group),
            MenuItem("重点事件与案件", "supervision:cases", "supervision.view", group),
        )
