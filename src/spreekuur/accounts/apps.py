from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "spreekuur.accounts"
    label = "accounts"
    verbose_name = "Accounts"
