from django.apps import AppConfig


class ExchangeConfig(AppConfig):
    name = "regshare.exchange"
    label = "exchange"
    verbose_name = "共享交换"
