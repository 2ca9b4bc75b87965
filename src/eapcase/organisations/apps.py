from django.apps import AppConfig


class OrganisationsConfig(AppConfig):
    name = "eapcase.organisations"
    label = "organisations"
