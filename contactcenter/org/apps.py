from django.apps import AppConfig

from contactcenter.org.background import register_sweep


class OrgConfig(AppConfig):
    # The label stays "contactcenter": the models' tables, migrations and AUTH_USER_MODEL
    # ("contactcenter.Staff") were made under it before this app had a package of its own.
    name = "contactcenter.org"
    label = "contactcenter"
    verbose_name = "Organisation"

    def ready(self) -> None:
        # Events that processes without sockets (manage.py commands) committed, sent by the
        # web process on every tick in the embedded default (contactcenter.org.realtime).
        register_sweep("contactcenter.org.realtime.relay_drain")
