from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "eapcase.notifications"
    label = "notifications"
