from django.apps import AppConfig


class EvaluationConfig(AppConfig):
    name = "regshare.evaluation"
    label = "evaluation"
    verbose_name = "效能评估"

    def ready(self) -> None:
        from regshare.core.navigation import MenuItem, register_menu

        from . import flows, policy  # noqa: F401  (policy registers the permissions; huey's consumer finds the tasks)

        register_menu(
            MenuItem("评估指标", "evaluation:home", "evaluation.view", "效能评估"),
            MenuItem("对比分析", "evaluation:compare", "evaluation.view", "效能评估"),
            MenuItem("部门报送", "evaluation:submissions", "evaluation.view", "效能评估"),
            MenuItem("综合评价", "evaluation:evaluations", "evaluation.view", "效能评估"),
            MenuItem("整改事项", "evaluation:rectifications", "evaluation.view", "效能评估"),
            MenuItem("协调会议", "evaluation:meetings", "evaluation.view", "效能评估"),
            MenuItem("评估报告", "evaluation:reports", "evaluation.view", "效能评估"),
            MenuItem("部门考核", "evaluation:assessment", "evaluation.view", "效能评估"),
            MenuItem("协同分析", "evaluation:topics", "evaluation.view", "效能评估"),
        )
        flows.register()
