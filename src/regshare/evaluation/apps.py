from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "regshare.evaluation"
    label = "evaluation"
    verbose_name = "效能评估"

    def ready(self) -> None:
        from regshare.core.dashboard import register_pending
        from regshare.core.navigation import MenuItem, register_menu

        from . import policy  # noqa: F401  (registers the permissions)
        from .services import pending_items

        register_menu(
            MenuItem("评估指标", "evaluation:home", "evaluation.view", "效能评估"),
            MenuItem("对比分析", "evaluation:compare", "evaluation.view", "效能评估"),
            MenuItem("部门报送", "evaluation:submissions", "evaluation.view", "效能评估"),
            MenuItem("综合评价", "evaluation:evaluations", "evaluation.view", "效能评估"),
        )
        register_pending(pending_items)
