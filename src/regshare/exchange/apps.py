from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "regshare.exchange"
    label = "exchange"
    verbose_name = "共享交换"

    def ready(self) -> None:
        from regshare.core.navigation import MenuItem, register_menu
        from regshare.lake import hooks

        # Not the tasks module: huey's consumer finds it (run_huey), and importing huey here would cost
        # every process its Redis and PostgreSQL clients.
        from . import (
            flows,
            panels,
            policy,  # noqa: F401  (registers the permissions)
            push,
        )

        register_menu(
            MenuItem("共享申请", "exchange:applications", "exchange.view", "共享交换"),
            MenuItem("审核队列", "exchange:queue", "exchange.review", "共享交换"),
            MenuItem("审核授权代理", "exchange:delegates", "exchange.delegate", "共享交换"),
            MenuItem("共享授权", "exchange:grants", "exchange.view", "共享交换"),
            MenuItem("本部门用数记录", "exchange:usage", "exchange.access", "共享交换"),
            MenuItem("增量订阅", "exchange:subscriptions", "exchange.view", "共享交换"),
            MenuItem("数据纠错", "exchange:corrections", "exchange.view", "共享交换"),
            MenuItem("调用记录", "exchange:access_logs", "exchange.access_log", "共享交换"),
        )
        flows.register()
        panels.register()
        hooks.on_version_written(push.on_version_written)
        try:
            from regshare.catalog import services as catalog_services
        except ImportError:
            return
        register = getattr(catalog_services, "register_consumer_source", None)
        if register is not None:
            from .services import consumers_of

            register(consumers_of)
