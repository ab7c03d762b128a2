from django.apps import AppConfig


class EntitiesConfig(AppConfig):
    name = "regshare.entities"
    label = "entities"
    verbose_name = "市场主体"

    def ready(self) -> None:
        from regshare.core.dashboard import register_pending
        from regshare.core.navigation import MenuItem, register_menu
        from regshare.lake import hooks

        from . import policy  # noqa: F401
        from .services import on_version_written
        from .views import pending_items

        hooks.on_version_written(on_version_written)
        register_pending(pending_items)
        register_menu(
            MenuItem("市场主体(一企一档)", "entities:list", "entities.view", "市场主体与信用"),
            MenuItem("关联待确认", "entities:review", "entities.review", "市场主体与信用"),
        )
