from django.apps import AppConfig


class EntitiesConfig(AppConfig):
    name = "regshare.entities"
    label = "entities"
    verbose_name = "市场主体"

    def ready(self) -> None:
        from regshare.core import workflow
        from regshare.core.navigation import MenuItem, register_menu
        from regshare.lake import hooks

        from . import policy  # noqa: F401
        from .services import LINK_REVIEW, on_version_written

        hooks.on_version_written(on_version_written)
        workflow.register(LINK_REVIEW)
        register_menu(
            MenuItem("市场主体(一企一档)", "entities:list", "entities.view", "市场主体与信用"),
            MenuItem("关联待确认", "entities:review", "entities.review", "市场主体与信用"),
        )
