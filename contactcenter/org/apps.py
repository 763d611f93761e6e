from django.apps import AppConfig


class OrgConfig(AppConfig):
    # The label stays "contactcenter": the models' tables, migrations and AUTH_USER_MODEL
    # ("contactcenter.Staff") were made under it before this app had a package of its own.
    name = "contactcenter.org"
    label = "contactcenter"
    verbose_name = "Organisation"
