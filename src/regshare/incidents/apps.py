from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "regshare.incidents"
    label = "incidents"
    verbose_name = "安全事件"

    def ready(self) -> None:
        from regshare.core.navigation import MenuItem, register_menu
        from regshare.exchange.services import register_channel_guard

        from . import flows, policy  # noqa: F401  (registers the permissions; huey's consumer finds the tasks)
        from .services import channel_refusal

        register_menu(MenuItem("安全事件", "incidents:list", "incidents.view", "安全管理"))
        flows.register()
        register_channel_guard(channel_refusal)
