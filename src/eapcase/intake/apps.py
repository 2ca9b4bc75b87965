from django.apps import AppConfig


class IntakeConfig(AppConfig):
    name = "eapcase.intake"
    label = "intake"

    def ready(self) -> None:
        # /cases/new/ opens a case from an email in triage through compliance.opening, which
        # sits below this app and learns of emails here (ADR 0030).
        from eapcase.compliance.opening import origin_kind_register
        from eapcase.intake.opening import KIND, EmailOrigin

        origin_kind_register(KIND, EmailOrigin())
