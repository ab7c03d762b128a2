from django.apps import AppConfig


class RiskConfig(AppConfig):
    name = "regshare.risk"
    label = "risk"
    verbose_name = "风险预警"

    def ready(self) -> None:
        from regshare.core.navigation import MenuItem, register_menu

        from . import flows, panels, policy  # noqa: F401  (policy registers permissions)

        flows.register()
        panels.register()
        register_menu(
            MenuItem("风险地图", "risk:map", "risk.view", "风险预警"),
            MenuItem("预警处置", "risk:alerts", "risk.view", "风险预警"),
            MenuItem("风险模型", "risk:model", "risk.view", "风险预警"),
            MenuItem("预警规则", "risk:rules", "risk.view", "风险预警"),
        )
