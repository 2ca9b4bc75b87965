"""The security app: authentication, sessions, API tokens and response headers."""

from django.apps import AppConfig

from eapcase.security import sessions


class SecurityConfig(AppConfig):
    name = "eapcase.security"
    label = "security"
    verbose_name = "Security"

    def ready(self) -> None:
        # Stamps every new session (password login, test clients' force_login) with the time it
        # began, which the session middleware needs for the idle and absolute limits.
        sessions.connect()
        # Every sign-in and sign-out is an audit row (ADR 0035); imported here, as it needs
        # the models.
        from eapcase.security import signins

        signins.connect()
