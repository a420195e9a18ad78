from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo-city generator (`wenming demo`); no models of its own."""

    name = "wenming.demo"
    label = "demo"
    verbose_name = "演示城市"
