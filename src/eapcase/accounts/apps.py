from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "eapcase.accounts"
    label = "accounts"
