from django.apps import AppConfig


class CreditConfig(AppConfig):
    name = "regshare.credit"
    label = "credit"
    verbose_name = "信用监管"

    def ready(self) -> None:
        from regshare.core.navigation import MenuItem, register_menu
        from regshare.entities.services import on_link_decided
        from regshare.lake import hooks

        from . import flows, lists, panels, policy  # noqa: F401  (policy registers permissions)
        from .services import on_link_decided as credit_link_listener

        on_link_decided(credit_link_listener)
        panels.register()  # the credit sections of the entity pages
        # SCJG-0003/0004 versions become list entries; a confirmed candidate for one of their rows too.
        hooks.on_version_written(lists.on_version_written)
        on_link_decided(lists.on_link_decided)
        flows.register()
        register_menu(
            MenuItem("信用核查", "credit:check", "credit.check", "市场主体与信用"),
            MenuItem("信用名单", "credit:lists", "credit.view", "市场主体与信用"),
            MenuItem("双公示", "credit:publicity", "credit.view", "市场主体与信用"),
            MenuItem("信用修复", "credit:repairs", "credit.view", "市场主体与信用"),
            MenuItem("联合奖惩备忘录", "credit:memoranda", "credit.view", "市场主体与信用"),
            MenuItem("核查统计", "credit:stats", "credit.stats", "市场主体与信用"),
        )
