from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    name = "regshare.supervision"
    label = "supervision"
    verbose_name = "互联网+监管"

    def ready(self) -> None:
        from . import policy  # noqa: F401  (policy registers permissions)
