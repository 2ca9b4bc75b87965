from django.apps import AppConfig


class PerfConfig(AppConfig):
    name = "eapcase.perf"
    label = "perf"
