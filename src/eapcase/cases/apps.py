from django.apps import AppConfig


class CasesConfig(AppConfig):
    name = "eapcase.cases"
    label = "cases"

    def ready(self) -> None:
        # The house settings move the obligations' next notice instants (ADR 0042).
        from eapcase.cases import signals  # noqa: F401
